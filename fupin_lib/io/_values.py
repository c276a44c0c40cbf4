"""Value parsers: one per declared column type, run on the distinct values of
a column.

Each parser takes the distinct raw cells of a column: str, float, int, bool
or datetime, as the reader returned them. It returns a `Parsed` with the
canonical values and a Chinese reason for every value that could not be read
cleanly. The `Parsed` also marks the reasons that reject the row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import bool_mask, fixed_width_bytes, string_series, to_arrow
from ._text import normalize_header, uniques_to_text

__all__ = ["Parsed", "parse_values", "parse_id_numbers", "id_check_digit_ok", "BOOL_TOKENS"]

_TRUE = ("是", "√", "✓", "✔", "有", "y", "yes", "true", "1", "对", "已", "已参加", "参加", "享受")
_FALSE = ("否", "×", "✗", "✘", "x", "无", "没有", "n", "no", "false", "0", "未", "未参加", "不享受")
BOOL_TOKENS = {**{t: True for t in _TRUE}, **{t: False for t in _FALSE}}

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK_BYTES = np.frombuffer(b"10X98765432", dtype=np.uint8)
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")

PRECISION_LOST = ("证件号码在源文件中已被 Excel 存成数字，超过 15 位的数字已丢失，无法还原："
                  "请在源系统中把该列设为文本后重新导出")
_NUMBER_PRECISION_LOST = ("该编号在源文件中已被 Excel 存成数字，超过 15 位的数字已丢失，无法还原："
                          "请在源系统中把该列设为文本后重新导出")


# Below this many distinct values, numbering them by hashing costs nothing.
_SMALL_DISTINCT = 10_000


@dataclasses.dataclass
class Parsed:
    """Parsed distinct values of one column.

    Attributes
    ----------
    values : Series
        Canonical value per distinct raw value, in the column's pandas dtype.
    reason : ndarray of object
        Chinese reason per distinct value, None when the value was read cleanly.
    reject : ndarray of bool
        Whether the reason makes the row unimportable.
    extra : dict of str to Series
        Values derived on the way, e.g. ``id_type`` from the ID's length.
    distinct : bool
        The values that are not missing are pairwise distinct, so they can
        be numbered without hashing.
    """

    values: pd.Series
    reason: np.ndarray
    reject: np.ndarray
    extra: dict = dataclasses.field(default_factory=dict)
    distinct: bool = False

    @property
    def has_reason(self) -> np.ndarray:
        """Mask of the distinct values that have a reason."""
        return np.not_equal(self.reason, None)


def _reasons(n):
    return np.full(n, None, dtype=object), np.zeros(n, dtype=bool)


def parse_values(uniques: np.ndarray, column, *, date1904: bool = False, unit: float = 1.0) -> Parsed:
    """Parse the distinct raw values of one canonical column.

    Parameters
    ----------
    uniques : ndarray of object, or Series of str
        Distinct raw cells (see `fupin_lib.io._text.unique_codes`).
    column : fupin_lib.schema.Column
        The canonical column; its ``dtype`` (and ``allowed``) choose the parser.
    date1904 : bool, default=False
        The workbook counts Excel serial dates from 1904 (old Mac Excel).
    unit : float, default=1.0
        Multiplier for money columns whose header names the unit (万元: 10000).
    """
    if column.name in ("id_number", "head_id_number"):
        return parse_id_numbers(uniques)
    if len(uniques) <= 2 and all(value is None or (isinstance(value, str) and not value.strip()) for value in uniques):
        # An empty column, common in wide exports: nothing to parse.
        return _empty(uniques, column)
    if column.dtype in ("int", "float", "money"):
        return _parse_numbers(uniques, column, unit)
    if column.dtype == "bool":
        return _parse_bools(uniques)
    if column.dtype == "date":
        return _parse_dates(uniques, date1904)
    if column.dtype == "ym":
        return _parse_year_months(uniques, date1904)
    if column.dtype == "category":
        return _parse_categories(uniques, column)
    return _parse_strings(uniques, column)


def _empty(uniques, column) -> Parsed:
    values = pd.Series([None] * len(uniques), dtype=column.pandas_dtype)
    reason, reject = _reasons(len(uniques))
    return Parsed(values, reason, reject)


def _is_number_cell(uniques) -> np.ndarray:
    if isinstance(uniques, pd.Series):  # text cells of a CSV file
        return np.zeros(len(uniques), dtype=bool)
    return np.array([isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool)
                     for v in uniques], dtype=bool)


def _parse_strings(uniques, column) -> Parsed:
    text = uniques_to_text(uniques)
    reason, reject = _reasons(len(uniques))
    if column.name.endswith("_code") or column.name in ("household_no", "person_no", "posting_id", "training_id"):
        # Identifiers: a number cell with more than 15 digits, or text in
        # scientific notation, has lost digits in Excel.
        numeric = _is_number_cell(uniques)
        long_number = numeric & (text.str.len().to_numpy() > 15)
        scientific = text.str.match(_SCIENTIFIC.pattern).fillna(False).to_numpy(dtype=bool)
        lost = long_number | scientific
        reason[lost] = _NUMBER_PRECISION_LOST
        reject[lost] = True
        text = text.str.replace(r"^'", "", regex=True)
    # Distinct cells of text give distinct values when no clean-up changed them.
    distinct = isinstance(uniques, pd.Series) and len(text) > _SMALL_DISTINCT and bool(
        pc.all(pc.equal(to_arrow(text), to_arrow(uniques))).as_py())
    values = text.where(text != "", None).astype("string")
    if column.name.endswith("_code"):
        bad = values.notna() & ~values.str.fullmatch(r"\d+").fillna(False).astype(bool) & ~pd.Series(reject)
        reason[bad.to_numpy()] = "区划代码应为数字"
        values = values.where(~bad, None)
    return Parsed(values, reason, reject, distinct=distinct)


def _parse_numbers(uniques, column, unit) -> Parsed:
    text = uniques_to_text(uniques)
    reason, reject = _reasons(len(uniques))
    cleaned = text.str.replace(r"[,\s￥¥]|人民币", "", regex=True)
    scale = pd.Series(unit, index=text.index, dtype="float64")
    if column.dtype == "money":
        wan = cleaned.str.endswith("万元") | cleaned.str.endswith("万")
        scale = scale.where(~wan, 10000.0)
        cleaned = cleaned.str.replace(r"(万元|万|元)$", "", regex=True)
    else:
        cleaned = cleaned.str.replace(r"(个月|月|人|岁|年|平方米|㎡|m2)$", "", regex=True)
    numbers = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").astype("float64") * scale
    # "inf", "nan" and numbers beyond 2**53 parse as floats but are no
    # counts or amounts.
    numbers = numbers.where(numbers.abs() < 2.0**53)
    bad = (cleaned != "") & numbers.isna()
    reason[bad.to_numpy()] = {"int": "无法识别的整数", "float": "无法识别的数值", "money": "无法识别的金额"}[column.dtype]
    if column.dtype == "int":
        fractional = numbers.notna() & (numbers.round() != numbers)
        reason[fractional.to_numpy()] = "应为整数，得到小数"
        numbers = numbers.where(~fractional)
        values = numbers.round().astype("Int64")
    else:
        values = numbers.astype("Float64")
    return Parsed(values, reason, reject)


def _parse_bools(uniques) -> Parsed:
    text = uniques_to_text(uniques).str.lower()
    reason, reject = _reasons(len(uniques))
    values = text.map(BOOL_TOKENS)
    unknown = (text != "") & values.isna()
    reason[unknown.to_numpy()] = "无法识别的是/否值（可用：是、否、√、×、有、无、Y、N）"
    return Parsed(values.astype("boolean"), reason, reject)


_DATE_PATTERNS = (
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
    r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?$",
)


def _excel_serial_to_date(serial: pd.Series, date1904: bool) -> pd.Series:
    # Excel's 1900 system counts from 1899-12-30 (it treats 1900 as a leap
    # year); the 1904 system counts from 1904-01-01.
    origin = pd.Timestamp("1904-01-01") if date1904 else pd.Timestamp("1899-12-30")
    # Serials beyond 2199-12-31 are not dates of people or events.
    days = serial.where((serial >= 1) & (serial <= 109574))
    return origin + pd.to_timedelta(days.round(), unit="D")


def _dates_from(uniques, date1904) -> tuple[pd.Series, np.ndarray]:
    """Parse dates; return datetimes (NaT where unreadable) and the mask of
    non-empty values."""
    n = len(uniques)
    result = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if isinstance(uniques, pd.Series):  # text cells of a CSV file
        is_datetime = np.zeros(n, dtype=bool)
    else:
        is_datetime = np.array([isinstance(v, (dt.date, pd.Timestamp)) for v in uniques], dtype=bool)
    if is_datetime.any():
        result[is_datetime] = pd.to_datetime(pd.Series(uniques[is_datetime], dtype=object), errors="coerce").to_numpy()

    numeric = _is_number_cell(uniques)
    text = uniques_to_text(uniques)
    # A 5-digit number in text is an Excel serial that was pasted as text.
    serial_text = ~numeric & ~is_datetime & text.str.fullmatch(r"\d{5}(\.\d+)?").fillna(False).to_numpy(dtype=bool)
    serial_mask = numeric | serial_text
    if serial_mask.any():
        serial = pd.to_numeric(text[serial_mask], errors="coerce")
        eight_digits = serial.between(19000101, 21001231)
        from_serial = _excel_serial_to_date(serial.where(~eight_digits), date1904)
        compact = pd.to_datetime(serial.where(eight_digits).astype("Int64").astype("string"), format="%Y%m%d", errors="coerce")
        result[serial_mask] = from_serial.where(~eight_digits, compact).to_numpy()

    remaining = ~is_datetime & ~serial_mask & (text != "").to_numpy()
    if remaining.any():
        sub = text[remaining]
        # The ISO form is by far the most common: pandas parses it in C, and
        # only the rest goes through the regular expressions.
        parsed = pd.to_datetime(sub, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
        for pattern in _DATE_PATTERNS:
            todo = parsed.isna()
            if not todo.any():
                break
            parts = sub[todo].str.extract(pattern).reindex(sub.index)
            found = parts["y"].notna() & parsed.isna()
            if found.any():
                frame = parts[found].astype(int).rename(columns={"y": "year", "m": "month", "d": "day"})
                parsed[found] = pd.to_datetime(frame, errors="coerce")
        result[remaining] = parsed.to_numpy()
    return result, (text != "").to_numpy()


def _parse_dates(uniques, date1904) -> Parsed:
    values, filled = _dates_from(uniques, date1904)
    reason, reject = _reasons(len(uniques))
    reason[filled & values.isna().to_numpy()] = "无法识别的日期（可用：2020-04-15、2020.4.15、2020/4/5、20200415、2020年4月15日）"
    return Parsed(values, reason, reject)


def _parse_year_months(uniques, date1904) -> Parsed:
    text = uniques_to_text(uniques)
    reason, reject = _reasons(len(uniques))
    parts = text.str.extract(r"^(?P<y>\d{4})(?:[-/.年]?(?P<m>\d{1,2})月?)(?:[-/.]?\d{1,2}日?)?(?:\s.*)?$")
    months = pd.to_numeric(parts["m"], errors="coerce")
    ok = parts["y"].notna() & months.between(1, 12) & ~text.str.fullmatch(r"\d{5}(\.\d+)?").fillna(False)
    values = (parts["y"] + months.astype("Int64").astype("string").str.zfill(2)).where(ok)
    # Whole dates (datetime cells, serials) also give a month.
    dates, _ = _dates_from(uniques, date1904)
    from_date = dates.dt.strftime("%Y%m")
    values = values.where(values.notna(), from_date.where(dates.notna() & ~ok))
    bad = (text != "") & values.isna()
    reason[bad.to_numpy()] = "无法识别的年月（应为 YYYYMM，如 202004）"
    return Parsed(values.astype("string"), reason, reject)


_MULTI_SEPARATORS = r"[,，、;；/|]"


def _parse_categories(uniques, column) -> Parsed:
    text = uniques_to_text(uniques)
    reason, reject = _reasons(len(uniques))
    canonical = {normalize_header(value): value for value in column.allowed or ()}
    if column.multi:
        def canonical_multi(value):
            parts = [canonical.get(normalize_header(p), p) for p in re.split(_MULTI_SEPARATORS, value) if p.strip()]
            return ",".join(parts)
        values = text.map(canonical_multi)
    else:
        key = text.map(normalize_header)
        values = key.map(canonical).where(key.isin(canonical.keys()), text)
    # Values outside `allowed` stay as written here: the pandera schema
    # reports them and blanks them.
    values = values.where(values != "", None).astype("string")
    return Parsed(values, reason, reject)


def id_check_digit_ok(ids: pd.Series) -> pd.Series:
    """Check the ISO 7064 MOD 11-2 check digit of 18-character ID numbers.

    Parameters
    ----------
    ids : Series of str
        Values of 17 digits followed by a digit or ``X``.

    Returns
    -------
    Series of bool
    """
    if len(ids) == 0:
        return pd.Series([], dtype=bool, index=ids.index)
    return pd.Series(_check_digit_ok(to_arrow(ids)), index=ids.index)


def _check_digit_ok(ids: pa.Array) -> np.ndarray:
    raw = fixed_width_bytes(ids, 18)
    # Weighted sum of the character codes, then the codes of "0" taken off.
    total = np.einsum("ij,j->i", raw[:, :17], _ID_WEIGHTS, dtype=np.int64) - ord("0") * _ID_WEIGHTS.sum()
    return _ID_CHECK_BYTES[total % 11] == raw[:, 17]


def _matches(array: pa.Array, pattern: str) -> np.ndarray:
    return bool_mask(pc.match_substring_regex(array, pattern))


def parse_id_numbers(uniques: np.ndarray) -> Parsed:
    """Parse ID numbers (证件号码).

    18-character resident IDs (a trailing ``x`` becomes ``X``), 15-digit
    first-generation IDs and 20- or 22-digit disability certificate numbers
    are accepted. Numbers that Excel stored as floats with more than 15
    digits, text in scientific notation, and 18-digit values ending in
    ``000`` whose check digit fails (a 15-digit float padded with zeros) are
    rejected as destroyed. A well-formed ID with a wrong check digit is kept
    with a warning.

    Returns
    -------
    Parsed
        ``extra["id_type"]`` contains ``居民身份证`` or ``残疾人证`` by length.
    """
    # Every step runs in Arrow's compute kernels: a roster of a million people
    # has a million distinct IDs, so a Python call per value would dominate
    # the import.
    text = to_arrow(uniques_to_text(uniques))
    n = len(text)
    # Distinct cells of text give distinct IDs when no clean-up changed them.
    unchanged = isinstance(uniques, pd.Series) and bool(pc.all(pc.equal(text, to_arrow(uniques))).as_py() or n == 0)
    resident = _matches(text, r"^\d{17}[\dX]$")
    if not resident.all():
        unchanged = False
        # Quotes that keep Excel from turning the ID into a number, spaces
        # inside and a lower-case x: rare, so cleaned only when present.
        text = pc.utf8_upper(pc.replace_substring_regex(text, r"^'|\s", ""))
        resident = _matches(text, r"^\d{17}[\dX]$")
    reason, reject = _reasons(n)
    old = np.zeros(n, dtype=bool)
    disability = np.zeros(n, dtype=bool)
    scientific = np.zeros(n, dtype=bool)
    empty = np.zeros(n, dtype=bool)
    long_number = np.zeros(n, dtype=bool)
    other = np.flatnonzero(~resident)
    if len(other):
        rest = text.take(pa.array(other))
        old[other] = _matches(rest, r"^\d{15}$")
        disability[other] = _matches(rest, r"^(\d{20}|\d{22})$")
        scientific[other] = _matches(rest, _SCIENTIFIC.pattern)
        lengths = pc.utf8_length(rest).to_numpy(zero_copy_only=False)
        empty[other] = lengths == 0
        if not isinstance(uniques, pd.Series):  # Excel cells: a number may stand for the ID
            long_number[other] = _is_number_cell(np.asarray(uniques, dtype=object)[other]) & (lengths > 15)

    check_ok = np.ones(n, dtype=bool)
    if resident.all():
        check_ok = _check_digit_ok(text)
    elif resident.any():
        check_ok[resident] = _check_digit_ok(text.filter(pa.array(resident)))
    wrong_check = resident & ~check_ok
    padded = np.zeros(n, dtype=bool)
    if wrong_check.any():
        padded[wrong_check] = _matches(text.filter(pa.array(wrong_check)), "000$")
    lost = scientific | long_number | padded
    malformed = ~(resident | old | disability) & ~lost & ~empty

    reason[wrong_check] = "身份证号校验位错误（已导入，请核实）"
    reason[old & ~lost] = "15 位旧身份证号（已导入，请核实并换成 18 位）"
    reason[malformed] = "证件号码格式无效（应为 18 位身份证号，或 20/22 位残疾人证号）"
    reason[lost] = PRECISION_LOST
    reason[empty] = "证件号码为空"
    reject[lost | malformed | empty] = True

    usable = ~(reject | empty)
    if not usable.all():
        text = pc.if_else(pa.array(usable), text, pa.scalar(None, text.type))
    values = string_series(text)
    # 0: none, 1: 居民身份证, 2: 残疾人证; decoded from a two-entry dictionary.
    kind = np.where(disability, 2, np.where(resident | old, 1, 0)).astype(np.int8)
    kind[~usable] = 0
    id_type = pa.DictionaryArray.from_arrays(
        pa.array(kind, mask=kind == 0), pa.array(["", "居民身份证", "残疾人证"])).cast(pa.large_string())
    return Parsed(values, reason, reject, extra={"id_type": string_series(id_type)}, distinct=unchanged)


def id_birth_and_sex(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Derive birth dates and sexes from 18-digit IDs (or the first 18 digits
    of a disability certificate number); missing where the ID gives none."""
    n = len(ids)
    birth = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    sex_code = np.zeros(n, dtype=np.int8)  # 0: unknown, 1: 男, 2: 女
    if n:
        text = to_arrow(ids.astype("string"))
        usable = _matches(text, r"^\d{17}[\dX](\d{2}|\d{4})?$")
        if usable.any():
            usable_ids = text if usable.all() else text.filter(pa.array(usable))
            # The pattern admits ASCII only, so bytes count characters.
            if (pc.binary_length(usable_ids).to_numpy(zero_copy_only=False) != 18).any():
                usable_ids = pc.utf8_slice_codeunits(usable_ids, 0, 18)
            raw = fixed_width_bytes(usable_ids, 18)

            def number(first, last):
                value = np.zeros(len(raw), dtype=np.int32)
                for position in range(first, last):
                    value = value * 10 + (raw[:, position].astype(np.int32) - ord("0"))
                return value

            dates = _dates_from_parts(number(6, 10), number(10, 12), number(12, 14))
            birth[usable] = dates
            sex_code[usable] = np.where(np.isnat(dates), 0, np.where(raw[:, 16] % 2 == 1, 1, 2))
    sex = pa.DictionaryArray.from_arrays(pa.array(sex_code, mask=sex_code == 0), pa.array(["", "男", "女"]))
    return (pd.Series(birth, index=ids.index, dtype="datetime64[ns]"),
            string_series(sex.cast(pa.large_string()), index=ids.index))


def _dates_from_parts(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Build dates from integer parts; NaT where the parts name no real
    date (a 13th month, 30 February) or fall outside 1800–2199."""
    ok = (year >= 1800) & (year <= 2199) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("timedelta64[M]")
    first = np.datetime64("1970-01", "M") + months
    dates = first.astype("datetime64[D]") + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    # A day beyond the month's end rolls into the next month.
    ok &= dates.astype("datetime64[M]") == first
    return np.where(ok, dates, np.datetime64("NaT")).astype("datetime64[ns]")
