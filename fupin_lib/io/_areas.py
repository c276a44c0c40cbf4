"""County, year and division codes of imported rows.

The county and the year come from the rows themselves (code and name
columns, a 年度 column), then from the title rows above the header, then from
the file and folder names, and last from the ``--county`` / ``--year``
options. Codes are filled from names through `fupin_lib.geo`, and names and
codes that both appear are checked against each other.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import geo
from ..schema import village_code as derive_village_code

__all__ = ["year_from_text", "county_from_text", "resolve_areas", "resolve_combinations", "combination_ids",
           "assign_village_codes", "AREA_OUTPUTS"]

_YEAR_IN_TEXT = re.compile(r"(?:年度[:：]?\s*)((?:19|20)\d{2})|((?:19|20)\d{2})\s*年")
# Title lines that name the export date rather than the data year.
_DATE_LINE = re.compile(r"导出|打印|制表|时间|日期")


def year_from_text(text: str) -> int | None:
    """Find the data year in a title or file name (``2020年…``, ``年度：2020``),
    ignoring parts that name an export or print date."""
    parts = [part for part in re.split(r"[\s_]+", text or "") if not _DATE_LINE.search(part)]
    for part in parts:
        found = _YEAR_IN_TEXT.search(part)
        if found:
            return int(found.group(1) or found.group(2))
    for part in parts:
        bare = re.search(r"(?<!\d)(20[12]\d)(?!\d)", part)
        if bare:
            return int(bare.group(1))
    return None


@functools.lru_cache(maxsize=1)
def _county_names() -> pd.DataFrame:
    table = geo.divisions()
    counties = table[table["level"] == "county"][["code", "name"]].copy()
    counties["city_code"] = counties["code"].str.slice(0, 4)
    return counties


def county_from_text(text: str) -> str | None:
    """Find a county code in free text: a 6-digit code of a known county, or
    the full name of exactly one county (narrowed by a city name when the
    text names one)."""
    text = text or ""
    for code in re.findall(r"(?<!\d)(\d{6})(?!\d)", text):
        if geo.division_name(code) and geo.level_of(code) == "county":
            return code
    counties = _county_names()
    found = counties[[name in text for name in counties["name"]]]
    if len(found) > 1:
        cities = geo.divisions()
        cities = cities[cities["level"] == "city"]
        named = set(cities[[name in text for name in cities["name"]]]["code"])
        if named:
            found = found[found["city_code"].isin(named)]
    if len(found) > 1:
        # 怀集县 also contains no other county name, but 城区 is inside 某某城区:
        # keep the longest names.
        longest = found["name"].str.len().max()
        found = found[found["name"].str.len() == longest]
    return str(found["code"].iloc[0]) if len(found) == 1 else None


@functools.lru_cache(maxsize=4096)
def _find_code(name: str, level: str, within: str | None) -> str | None:
    return geo.find_code(name, level=level, within=within)


def _valid_code(value, length: int) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    value = str(value)
    return value if value.isdigit() and len(value) >= length else None


def _names_agree(name, code) -> bool:
    official = geo.division_name(code)
    if official is None or not isinstance(name, str):
        return True
    return official.startswith(name) or name.startswith(official)


def _resolve_one(combo: dict, fallback_county: str | None, city_hint: str | None) -> tuple[dict, list[str], str | None]:
    """Resolve the codes of one distinct combination of area cells.

    Returns
    -------
    codes : dict
        province_code, city_code, county_code, township_code and names.
    warnings : list of str
    reject : str or None
        Reason to reject the rows when the county cannot be known.
    """
    warnings = []
    county = _valid_code(combo.get("county_code"), 6)
    county = county[:6] if county else None
    for longer in ("township_code", "village_code"):
        code = _valid_code(combo.get(longer), 9)
        if county is None and code:
            county = code[:6]
    city_code = _valid_code(combo.get("city_code"), 4)
    if city_code is None and isinstance(combo.get("city"), str):
        city_code = _find_code(combo["city"], "city", _valid_code(combo.get("province_code"), 2))
    city_code = city_code[:4] if city_code else city_hint
    name = combo.get("county")
    if county is None and isinstance(name, str):
        county = _find_code(name, "county", city_code)
        if county is None and city_code is not None:
            county = _find_code(name, "county", None)
        if county is None:
            if fallback_county is None:
                return {}, warnings, f"县名称 {name!r} 在区划表中找不到，无法确定所属县：请改正县名称或在命令中加 --county"
            warnings.append(f"县名称 {name!r} 在区划表中找不到，按文件标题或 --county 归入 {fallback_county}")
            county = fallback_county
    elif county is not None and isinstance(name, str) and not _names_agree(name, county):
        warnings.append(f"县名称 {name!r} 与县代码 {county}（{geo.division_name(county)}）不一致")
    if county is None:
        county = fallback_county
    if county is None:
        return {}, warnings, "无法确定所属县：行内没有县代码或县名称，文件标题里也没有：请在命令中加 --county"

    codes = {"county_code": county, "province_code": county[:2], "city_code": county[:4]}
    codes["county"] = name if isinstance(name, str) else geo.division_name(county)
    for level, length in (("province", 2), ("city", 4)):
        given = combo.get(level)
        official = geo.division_name(codes[f"{level}_code"])
        if isinstance(given, str) and not _names_agree(given, codes[f"{level}_code"]):
            warnings.append(f"{'省' if level == 'province' else '市'}名称 {given!r} 与代码 "
                            f"{codes[f'{level}_code']}（{official}）不一致")
        codes[level] = given if isinstance(given, str) else official

    township_code = _valid_code(combo.get("township_code"), 9)
    township = combo.get("township")
    if township_code is None and isinstance(township, str):
        township_code = _find_code(township, "township", county)
        if township_code is None:
            warnings.append(f"乡镇名称 {township!r} 在 {county} 的区划表中找不到，乡代码和村代码留空")
    elif township_code is not None and isinstance(township, str) and not _names_agree(township, township_code[:9]):
        warnings.append(f"乡镇名称 {township!r} 与乡代码 {township_code}（{geo.division_name(township_code[:9])}）不一致")
    if township_code is not None and not township_code.startswith(county):
        warnings.append(f"乡代码 {township_code} 不属于县 {county}")
    codes["township_code"] = township_code[:9] if township_code else None
    codes["township"] = township if isinstance(township, str) else (
        geo.division_name(township_code[:9]) if township_code else None)
    return codes, warnings, None


_AREA_INPUTS = ("province_code", "province", "city_code", "city", "county_code", "county",
                "township_code", "township", "village_code")
AREA_OUTPUTS = ("province_code", "province", "city_code", "city", "county_code", "county", "township_code", "township")


def combination_ids(column_codes: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct combinations of several coded columns.

    Parameters
    ----------
    column_codes : list of ndarray
        Per column, an integer code per row (as `pandas.factorize` gives).
    n : int
        Number of rows.

    Returns
    -------
    ids : ndarray of intp
        Combination number of each row.
    first_rows : ndarray of intp
        Per combination, the first row that has it.
    """
    if not column_codes:
        return np.zeros(n, dtype=np.intp), np.zeros(min(n, 1), dtype=np.intp)
    key = np.zeros(n, dtype=np.int64)
    for codes in column_codes:
        key = key * (int(codes.max(initial=-1)) + 2) + (codes + 1)
        key = pd.factorize(key)[0].astype(np.int64)  # keeps the key below n * n
    _, first_rows, ids = np.unique(key, return_index=True, return_inverse=True)
    return ids.reshape(-1), first_rows


def resolve_combinations(combos: pd.DataFrame, *, fallback_county: str | None, city_hint: str | None
                         ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Resolve the division codes of each distinct combination of area cells.

    Parameters
    ----------
    combos : DataFrame
        One row per combination, with the area columns the sheet carries
        (any of ``province_code``, ``province``, ``city_code``, ``city``,
        ``county_code``, ``county``, ``township_code``, ``township``,
        ``village_code``).
    fallback_county : str or None
        County from the title, the file name or ``--county``.
    city_hint : str or None
        City code named in the title, to tell apart counties of equal name.

    Returns
    -------
    codes : DataFrame
        Per combination, ``AREA_OUTPUTS`` as strings; a missing
        ``county_code`` where the county is unknown.
    warning : ndarray of object
        Chinese warning per combination (``; ``-joined) or None.
    reject : ndarray of object
        Chinese reason to reject the rows, or None.
    """
    columns = [c for c in _AREA_INPUTS if c in combos]
    if columns:
        records = combos[columns].astype(object).to_dict("records")
        combo_dicts = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in records]
    else:
        combo_dicts = [{}] * max(len(combos), 1)
    results = [_resolve_one(combo, fallback_county, city_hint) for combo in combo_dicts]
    table = pd.DataFrame([r[0] for r in results], columns=list(AREA_OUTPUTS)).astype("string")
    warning = np.array(["; ".join(r[1]) or None for r in results], dtype=object)
    reject = np.array([r[2] for r in results], dtype=object)
    return table, warning, reject


def resolve_areas(area: pd.DataFrame, *, fallback_county: str | None, city_hint: str | None
                  ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Resolve the division codes of every row.

    Parameters
    ----------
    area : DataFrame
        The area columns that the sheet carries (see `resolve_combinations`).
    fallback_county, city_hint : str or None
        See `resolve_combinations`.

    Returns
    -------
    codes : DataFrame
        ``AREA_OUTPUTS`` per row; rows whose county is unknown have a
        missing ``county_code``.
    warning : Series of object
        Chinese warning per row or None.
    reject : Series of object
        Chinese reason to reject the row or None.
    """
    columns = [c for c in _AREA_INPUTS if c in area]
    # Only the distinct combinations are resolved: a county has a few
    # hundred villages however many rows it has.
    ids, first_rows = combination_ids([pd.factorize(area[c])[0] for c in columns], len(area))
    table, warning, reject = resolve_combinations(area[columns].iloc[first_rows], fallback_county=fallback_county,
                                                  city_hint=city_hint)
    codes = table.iloc[ids].reset_index(drop=True)
    codes.index = area.index
    return codes, pd.Series(warning[ids], index=area.index), pd.Series(reject[ids], index=area.index)


def assign_village_codes(villages: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """Give every village without a code a 12-digit code from
    `fupin_lib.schema.village_code`, resolving collisions.

    Two village names of one township that hash to the same code are sorted
    by name. The first keeps the code, and each next one takes the next free
    suffix, wrapping within 600–999. The result depends only on the set of
    names.

    Parameters
    ----------
    villages : DataFrame
        ``township_code``, ``village`` and ``village_code`` (may be missing).

    Returns
    -------
    codes : Series of string
    messages : list of str
        One Chinese message per resolved collision.
    """
    given = villages["village_code"].astype("string")
    valid_given = given.str.fullmatch(r"\d{12}").fillna(False).astype(bool)
    need = ~valid_given & villages["township_code"].notna() & villages["village"].notna()
    pairs = villages.loc[need, ["township_code", "village"]].astype(str).drop_duplicates()
    messages = []
    assigned = {}
    for township, group in pairs.groupby("township_code", sort=True):
        taken = set(given[valid_given & (villages["township_code"] == township)])
        by_code: dict[str, list[str]] = {}
        for name in sorted(group["village"]):
            by_code.setdefault(derive_village_code(township, name), []).append(name)
        for code, names in sorted(by_code.items()):
            if code not in taken:
                assigned[(township, names[0])] = code
                taken.add(code)
                rest = names[1:]
            else:
                rest = names
            for name in rest:
                suffix = int(code[-3:])
                while f"{township}{suffix:03d}" in taken:
                    suffix = 600 + (suffix - 600 + 1) % 400
                new_code = f"{township}{suffix:03d}"
                taken.add(new_code)
                assigned[(township, name)] = new_code
                messages.append(f"乡镇 {township} 的村 {name!r} 与其他村算出相同的村代码 {code}，改用 {new_code}")
    table = pd.DataFrame([(t, v, c) for (t, v), c in assigned.items()],
                         columns=["township_code", "village", "code"]).astype("string")
    lookup = villages[["township_code", "village"]].astype("string").reset_index(drop=True)
    derived = lookup.merge(table, how="left", on=["township_code", "village"])["code"]
    derived.index = villages.index
    return given.where(valid_given, derived), messages


def fallback_from_path(path: str) -> tuple[str | None, int | None]:
    """Find a county code and a year in a file's name and its folder's name."""
    file = Path(path)
    text = f"{file.parent.name} {file.stem}"
    return county_from_text(text), year_from_text(file.stem) or year_from_text(file.parent.name)
