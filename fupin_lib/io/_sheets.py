"""Turn one raw sheet into canonical rows of one or two tables, and record
every problem with the place where it sits."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ..schema import TABLES
from ._layout import detect_tables, header_unit, map_headers
from ._readers import RawSheet
from ._text import cell_to_text, unique_codes
from ._values import parse_values

__all__ = ["SheetRows", "ParsedTable", "TEXT_COLUMNS", "parse_sheet", "REJECT_COLUMNS", "ISSUE_COLUMNS"]

# Columns whose value identifies a row: a row without a readable value is
# rejected. The other required columns only produce warnings.
REJECT_COLUMNS = {
    "households": ("household_no",),
    "members": ("household_no", "id_number"),
    "verifications": ("household_no", "verify_date"),
    "postings": ("posting_id",),
    "trainings": ("training_id",),
    "placements": ("household_no", "id_number", "posting_id"),
}

ISSUE_COLUMNS = ["sheet_id", "pos", "table", "column", "value", "reason", "severity"]

_ZH_NAMES = {name: {c.name: c.zh for c in table.columns} for name, table in TABLES.items()}


# Columns that the checks after parsing compare with, fill from or combine
# with other text: they are always built as text. The importer passes the
# other text columns through to Parquet as categories.
TEXT_COLUMNS = frozenset({"household_no", "id_number", "head_id_number", "sex", "id_type", "village", "village_code",
                          "province_code", "province", "city_code", "city", "county_code", "county",
                          "township_code", "township"})


@dataclasses.dataclass
class ParsedTable:
    """Parsed columns of one table of a sheet, held as distinct values and
    a code per row until the rows to keep are known.

    A roster of a million people repeats a few hundred villages and a few
    labels: building full text columns only for the rows finally kept saves
    copying most of the text several times.

    Attributes
    ----------
    n_rows : int
    columns : dict of str to (ndarray or None, Series)
        Per canonical column, the code of each row's value and the distinct
        parsed values. The codes are None when the Series contains one value
        per row.
    distinct : set of str
        Columns whose parsed values, apart from missing ones, are pairwise
        distinct (see `Parsed.distinct`).
    """

    n_rows: int
    columns: dict
    distinct: set = dataclasses.field(default_factory=set)
    _numbered: dict = dataclasses.field(default_factory=dict, repr=False)

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    @property
    def names(self) -> list[str]:
        """Canonical column names present."""
        return list(self.columns)

    def column(self, name: str, rows: np.ndarray | None = None, *, as_category: bool = False) -> pd.Series:
        """Values of one column, for all rows or for the row positions given.

        With `as_category`, a text column that repeats its values is returned
        as a ``category`` Series built from the codes, without copying text.
        """
        codes, values = self.columns[name]
        if codes is None:
            return values.reset_index(drop=True) if rows is None else values.take(rows).reset_index(drop=True)
        row_codes = codes if rows is None else codes[rows]
        if as_category and str(values.dtype) == "string" and len(values) * 2 < self.n_rows:
            value_codes, categories = pd.factorize(values)
            return pd.Series(pd.Categorical.from_codes(value_codes[row_codes], categories=categories))
        return _expand(values, row_codes)

    def passed_through(self) -> list[str]:
        """Columns outside `TEXT_COLUMNS`, which may come as categories."""
        return [name for name in self.columns if name not in TEXT_COLUMNS]

    def frame(self, rows: np.ndarray | None = None, names=None, *, categories=()) -> pd.DataFrame:
        """Build a DataFrame of the rows given (all by default), with their
        positions in the sheet in ``_pos``.

        The text columns named in `categories` come as ``category`` Series
        when they repeat their values (see `column`).
        """
        positions = np.arange(self.n_rows, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        names = list(self.columns if names is None else names)
        # Arrow's take runs without the GIL, so two threads build the text
        # columns of a large table about twice as fast.
        with ThreadPoolExecutor(max_workers=2 if len(positions) > 100_000 else 1) as pool:
            built = pool.map(lambda name: self.column(name, None if rows is None else positions,
                                                      as_category=name in categories), names)
            return pd.DataFrame({"_pos": positions, **dict(zip(names, built))})

    def value_codes(self, name: str) -> np.ndarray:
        """Number the values of a column, one integer per row.

        Rows with equal values get equal numbers and missing values get -1,
        as with `pandas.factorize`, though not in order of appearance. The
        numbers come from the distinct cells found while parsing, so no text
        is hashed again.
        """
        if name not in self._numbered:
            codes, values = self.columns[name]
            if name in self.distinct:
                numbered = np.where(values.isna().to_numpy(), -1, np.arange(len(values)))
            else:
                numbered = pd.factorize(values)[0]
            if codes is None:
                self._numbered[name] = numbered
            elif np.array_equal(numbered, np.arange(len(numbered))):
                # Distinct cells parsed to distinct values: the cell codes serve.
                self._numbered[name] = codes
            else:
                self._numbered[name] = numbered[codes]
        return self._numbered[name]

    def equals(self, name: str, value) -> np.ndarray:
        """Mask of the rows whose value of a column equals `value`."""
        if name not in self.columns:
            return np.zeros(self.n_rows, dtype=bool)
        codes, values = self.columns[name]
        hit = (values == value).fillna(False).to_numpy(dtype=bool)
        return hit if codes is None else hit[codes]


@dataclasses.dataclass
class SheetRows:
    """Canonical rows parsed from one sheet.

    Attributes
    ----------
    raw : RawSheet
    sheet_id : int
        Position of the sheet among all sheets of one import.
    tables : list of str
        Detected tables; the last one is the sheet's primary table (members
        for a roster), whose rows are counted.
    parsed : dict of str to ParsedTable
        Parsed rows per table, one per sheet row.
    rejects : dict of str to ndarray of bool
        Rows rejected per table.
    issues : list of DataFrame
        Problems found, in `ISSUE_COLUMNS`.
    unknown_headers, duplicated_headers : list of str
    """

    raw: RawSheet
    sheet_id: int
    tables: list
    parsed: dict
    rejects: dict
    issues: list
    unknown_headers: list
    duplicated_headers: list

    @property
    def primary(self) -> str | None:
        """The table whose rows the sheet counts."""
        return self.tables[-1] if self.tables else None


def issue_frame(sheet_id, positions, table, column, values, reasons, severity) -> pd.DataFrame:
    """Build issue records for rows of one sheet."""
    positions = np.asarray(positions, dtype=np.int64)
    n = len(positions)
    return pd.DataFrame({
        "sheet_id": np.full(n, sheet_id, dtype=np.int64),
        "pos": positions,
        "table": table,
        "column": column,
        "value": np.asarray(values, dtype=object) if not np.isscalar(values) else np.full(n, values, dtype=object),
        "reason": np.asarray(reasons, dtype=object) if not isinstance(reasons, str) else np.full(n, reasons, dtype=object),
        "severity": severity,
    })


def parse_sheet(raw: RawSheet, sheet_id: int) -> SheetRows:
    """Parse the cells of a sheet into the canonical columns of its tables.

    Each column is parsed once per distinct value. Values that cannot be
    read become missing with a warning; a missing or destroyed key rejects
    the row.
    """
    n = raw.n_rows
    headers = raw.layout.headers if raw.layout else []
    tables = detect_tables(headers) if raw.layout else []
    issues: list[pd.DataFrame] = []
    parsed_tables: dict[str, ParsedTable] = {}
    rejects: dict[str, np.ndarray] = {}
    unknown, duplicated = [], []
    codes_cache: dict[int, tuple] = {}
    parsed_cache: dict[tuple, tuple] = {}

    for table_name in tables:
        mapping, unknown, duplicated = map_headers(headers, table_name)
        table = TABLES[table_name]
        columns: dict[str, tuple] = {}
        distinct: set[str] = set()
        reject = np.zeros(n, dtype=bool)
        for name, position in mapping.items():
            column = table.column(name)
            key = (position, name, column.dtype)
            first_time = key not in parsed_cache
            if first_time:
                if position not in codes_cache:
                    codes_cache[position] = unique_codes(raw.columns[position])
                codes, uniques = codes_cache[position]
                parsed = parse_values(uniques, column, date1904=raw.date1904, unit=header_unit(headers[position]))
                parsed_cache[key] = (codes, uniques, parsed)
            codes, uniques, parsed = parsed_cache[key]
            columns[name] = (codes, parsed.values)
            if parsed.distinct:
                distinct.add(name)
            for extra_name, extra_values in parsed.extra.items():
                if extra_name in table.names and extra_name not in mapping:
                    columns[extra_name] = (codes, extra_values)
            if name in REJECT_COLUMNS[table_name]:
                missing = parsed.values.isna().to_numpy()[codes]
                blank = missing & ~parsed.has_reason[codes]
                if blank.any():
                    rows = np.flatnonzero(blank)
                    issues.append(issue_frame(sheet_id, rows, table_name, headers[position], "",
                                              f"{_ZH_NAMES[table_name][name]}为空，无法识别该行", "reject"))
                reject |= missing | parsed.reject[codes]
            if first_time:
                issues.append(_parsed_issues(sheet_id, table_name, headers[position], codes, uniques, parsed,
                                             rejects_row=name in REJECT_COLUMNS[table_name]))
        if "id_type" in mapping and "id_number" in mapping:
            # A blank 证件类型 takes the type that the ID's length gives.
            id_codes, _, id_parsed = parsed_cache[(mapping["id_number"], "id_number", "string")]
            written_type = _expand(columns["id_type"][1], columns["id_type"][0])
            columns["id_type"] = (None, written_type.fillna(_expand(id_parsed.extra["id_type"], id_codes)))
        parsed_tables[table_name] = ParsedTable(n, columns, distinct)
        rejects[table_name] = reject

    for number, reason, text in raw.skipped:
        issues.append(pd.DataFrame({"sheet_id": [sheet_id], "pos": [-1], "table": [tables[-1] if tables else ""],
                                    "column": [""], "value": [text], "reason": [reason], "severity": ["reject"],
                                    "row": [number]}))
    return SheetRows(raw, sheet_id, tables, parsed_tables, rejects, issues, unknown, duplicated)


def _expand(values: pd.Series, codes: np.ndarray) -> pd.Series:
    """Give every row the parsed value of its distinct cell."""
    if len(values) == len(codes) and np.array_equal(codes, np.arange(len(codes))):
        # Every cell distinct (IDs, names): the distinct values are the rows,
        # in order, since factorising numbers values by first appearance.
        return values.reset_index(drop=True)
    return values.take(codes).reset_index(drop=True)


def _parsed_issues(sheet_id, table_name, header, codes, uniques, parsed, *, rejects_row) -> pd.DataFrame:
    has_reason = parsed.has_reason
    if not has_reason.any():
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    rows = np.flatnonzero(has_reason[codes])
    row_codes = codes[rows]
    # The original text goes to the report, before any clean-up.
    text_by_code = np.full(len(uniques), "", dtype=object)
    text_by_code[has_reason] = [cell_to_text(value) for value in np.asarray(uniques, dtype=object)[has_reason]]
    severity = np.where(parsed.reject[row_codes] & rejects_row, "reject", "warning")
    frame = issue_frame(sheet_id, rows, table_name, header, text_by_code[row_codes], parsed.reason[row_codes], "warning")
    frame["severity"] = severity
    return frame
