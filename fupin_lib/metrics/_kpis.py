"""Key figures (KPIs) of an area and of the areas one level below it.

Area figures are sums over the village summaries (`_summary`); the households
of one village are read from its county's household file.
"""

from __future__ import annotations

import pandas as pd

from ..cases.access import area_clause
from ..geo import division_name
from ._source import (
    area_condition,
    area_level,
    child_level,
    execute,
    output_files,
    query,
    scoped_area,
)
from ._summary import (
    BANDS,
    CATEGORIES,
    COUNTS,
    WARNING_BANDS,
    band_column,
    category_column,
    summary_table,
)

__all__ = ["KPIS", "COUNTS", "RATIOS", "kpis", "children", "area_name", "scoped_where"]

# Ratio name -> (numerator, denominator terms). The clearance rate (整改清零进度)
# is the share of problem items closed.
RATIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "verified_share": ("verified_households", ("households",)),
    "employment_rate": ("employed", ("laborers",)),
    "clearance_rate": ("problems_closed", ("problems_open", "problems_closed")),
}

# KPI name -> (Chinese label, "count" or "ratio", True when a higher value is
# worse). The dashboard offers these for ranking and the map.
KPIS: dict[str, tuple[str, str, bool]] = {
    "households": ("户数", "count", False),
    "people": ("人数", "count", False),
    "verified_households": ("已核查户数", "count", False),
    "verified_share": ("核查完成率", "ratio", False),
    "monitored": ("监测户数", "count", True),
    "flagged": ("风险预警户数", "count", True),
    "flagged_high": ("高风险户数", "count", True),
    "rule_flagged": ("规则疑点户数", "count", True),
    "problems_open": ("未整改问题", "count", True),
    "problems_closed": ("已销号问题", "count", False),
    "clearance_rate": ("整改清零进度", "ratio", False),
    "laborers": ("劳动力人数", "count", False),
    "employed": ("就业人数", "count", False),
    "employment_rate": ("劳动力就业率", "ratio", False),
}

# Child level -> (SQL key over the summary, column holding its name or None).
_CHILD_KEY = {
    "province": ("substr(county_code, 1, 2)", None),
    "city": ("substr(county_code, 1, 4)", None),
    "county": ("county_code", "county"),
    "township": ("township_code", "township"),
    "village": ("village_code", "village"),
}


def scoped_where(area_code: str, user) -> tuple[str, list]:
    """Return the SQL condition of a scoped area: the requested area and the
    user's own area, both applied, so a query never leaves the user's area."""
    area_sql, area_parameters = area_condition(area_code)
    user_sql, user_parameters = area_clause(user, "village_code")
    return f"({area_sql}) AND ({user_sql})", area_parameters + user_parameters


def _ratio(numerator, denominator):
    if denominator is None or pd.isna(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def _add_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    for name, (numerator, denominator) in RATIOS.items():
        total = sum(frame[term] for term in denominator)
        frame[name] = (frame[numerator] / total.where(total != 0)).astype("Float64")
    return frame


def _sums() -> str:
    columns = list(COUNTS) + [category_column(c) for c in CATEGORIES] + [band_column(b) for b in BANDS]
    return ", ".join(f"sum({column})::BIGINT AS {column}" for column in columns)


def _check_kpi(kpi: str) -> None:
    if kpi not in KPIS:
        raise ValueError(f"kpi must be one of {sorted(KPIS)}, got {kpi!r}")


def area_name(area_code: str, *, outputs_root=None, year: int | None = None) -> str:
    """Return the Chinese name of an area: from the division table down to
    townships, from the outputs for a village (or a township the table lacks),
    else the code itself."""
    code = str(area_code)
    if code == "":
        return "全部"
    name = division_name(code) if len(code) <= 9 else None
    if name is None and outputs_root is not None and len(code) >= 9 and year is not None:
        files = output_files(outputs_root, "households", code, [int(year)])
        column = "village" if len(code) == 12 else "township"
        if files:
            found = query(f"SELECT any_value({column}) AS name FROM {{source}} WHERE {column}_code = ?",
                          files, [code])
            value = found["name"].iloc[0] if len(found) else None
            name = value if pd.notna(value) else None
    return str(name) if name else code


def _area_totals(code: str, year: int, *, outputs_root, user) -> dict | None:
    """Sum the village summary of `year` over the scoped area `code`; None
    when the year has no outputs there."""
    table = summary_table(outputs_root, year, user)
    if table is None:
        return None
    where, parameters = scoped_where(code, user)
    frame = execute(f"SELECT count(*) AS villages, {_sums()} FROM {table} WHERE {where}", parameters)
    row = frame.iloc[0]
    if row["villages"] == 0:
        return None
    values = {name: int(row[name]) for name in COUNTS}
    for name, (numerator, denominator) in RATIOS.items():
        values[name] = _ratio(values[numerator], sum(values[term] for term in denominator))
    values["monitored_by_category"] = {
        c: int(row[category_column(c)]) for c in CATEGORIES if row[category_column(c)] > 0
    }
    values["flagged_by_band"] = {
        b: int(row[band_column(b)]) for b in WARNING_BANDS if row[band_column(b)] > 0
    }
    return values


def _empty_totals() -> dict:
    values = {name: 0 for name in COUNTS}
    values.update({name: None for name in RATIOS})
    values.update({"monitored_by_category": {}, "flagged_by_band": {}})
    return values


def kpis(area_code: str, year: int, *, outputs_root, user) -> dict:
    """Compute the key figures of an area in a year, with the previous year's
    values and the change.

    Parameters
    ----------
    area_code : str
        Province (2 digits), city (4), county (6), township (9) or village
        (12) code; ``""`` for everything the user may see.
    year : int
    outputs_root : path-like
        Folder with ``<county_code>/<year>/households.parquet``.
    user : User
        The signed-in user (`fupin_lib.cases.access.User`); only the part of the area inside
        ``user.area_code`` is counted.

    Returns
    -------
    dict
        ``area_code`` (the area counted, narrowed to the user's area),
        ``area_name``, ``level``, ``year``, every count of `COUNTS` and ratio
        of `RATIOS` (None when the denominator is 0),
        ``monitored_by_category`` and ``flagged_by_band`` (dicts without the
        zero entries; ``flagged_by_band`` contains only the warning bands 高 and
        中, whose sum is ``flagged``), ``previous`` (the same figures for
        ``year - 1``, or None without outputs for that year) and ``change`` (current minus
        previous, per count and ratio; empty without a previous year).

    Raises
    ------
    AccessDeniedError
        If the area lies outside the user's area.
    """
    code = scoped_area(area_code, user)
    year = int(year)
    current = _area_totals(code, year, outputs_root=outputs_root, user=user) or _empty_totals()
    previous = _area_totals(code, year - 1, outputs_root=outputs_root, user=user)
    change = {}
    if previous is not None:
        for name in list(COUNTS) + list(RATIOS):
            if current[name] is not None and previous[name] is not None:
                change[name] = current[name] - previous[name]
    return {
        "area_code": code,
        "area_name": area_name(code, outputs_root=outputs_root, year=year),
        "level": area_level(code),
        "year": year,
        **current,
        "previous": previous,
        "change": change,
    }


def children(area_code: str, year: int, kpi: str = "households", *, outputs_root, user) -> pd.DataFrame:
    """Compute the key figures of each area one level below `area_code`, or of
    each household of a village.

    Parameters
    ----------
    area_code : str
        The area whose parts are listed (see `kpis`).
    year : int
    kpi : str, default="households"
        Name from `KPIS`; copied into the column ``value`` and used to rank
        the rows (largest first, then by code; missing values last).
    outputs_root : path-like
    user : User
        The signed-in user; rows outside ``user.area_code`` are never read,
        so a township official who lists the townships of their county gets
        one row.

    Returns
    -------
    DataFrame
        ``code``, ``name``, ``level``, ``value``, then every column of
        `COUNTS` and `RATIOS`. Below a village there is one row per household:
        ``code`` is the household number, ``name`` the masked name of the
        head, and the counts are the household's own (``households`` is 1),
        followed by ``monitoring_category``, ``risk_band`` and
        ``risk_probability``.

    Raises
    ------
    AccessDeniedError
        If the area lies outside the user's area.
    """
    _check_kpi(kpi)
    # The rows stay one level below the requested area even when the user's
    # area is smaller; the user's area clause then leaves only their part.
    scoped_area(area_code, user)
    code = str(area_code or "")
    level = child_level(code)
    if level == "household":
        frame = _households(code, int(year), outputs_root, user)
    else:
        frame = _child_areas(code, level, int(year), outputs_root, user)
    frame["value"] = frame[kpi]
    frame = frame.sort_values(["value", "code"], ascending=[False, True], na_position="last", kind="stable")
    columns = ["code", "name", "level", "value", *COUNTS, *RATIOS]
    extra = [column for column in frame.columns if column not in columns]
    return frame[columns + extra].reset_index(drop=True)


def _display_name(code: str, written) -> str:
    """Return the division table's name of `code`, else the name written in
    the exports, else the code."""
    known = division_name(code) if len(code) <= 9 else None
    if known:
        return known
    if isinstance(written, str) and written:
        return written
    return code


def _child_areas(code: str, level: str, year: int, outputs_root, user) -> pd.DataFrame:
    key, name_column = _CHILD_KEY[level]
    table = summary_table(outputs_root, year, user)
    if table is None:
        frame = pd.DataFrame({"code": [], "name": [], **{name: [] for name in COUNTS}})
    else:
        where, parameters = scoped_where(code, user)
        name_sql = f"any_value({name_column})" if name_column else "NULL::VARCHAR"
        columns = ", ".join(f"sum({name})::BIGINT AS {name}" for name in COUNTS)
        frame = execute(
            f"SELECT {key} AS code, {name_sql} AS name, {columns} FROM {table} WHERE {where} GROUP BY 1",
            parameters,
        )
    frame["code"] = frame["code"].astype("string")
    names = [_display_name(code, name) for code, name in zip(frame["code"], frame["name"])]
    frame["name"] = pd.Series(names, index=frame.index, dtype="string")
    frame["level"] = level
    for name in COUNTS:
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype("int64")
    return _add_ratios(frame)


def _households(code: str, year: int, outputs_root, user) -> pd.DataFrame:
    files = output_files(outputs_root, "households", code, [year])
    columns = ["code", "name", *COUNTS, "monitoring_category", "risk_band", "risk_probability"]
    if not files:
        frame = pd.DataFrame({column: [] for column in columns})
    else:
        where, parameters = scoped_where(code, user)
        frame = query(
            f"""SELECT household_no AS code, head_name_masked AS name,
                       1 AS households, household_size AS people,
                       verified::INT AS verified_households,
                       (coalesce(trim(monitoring_category), '') <> '')::INT AS monitored,
                       coalesce(trim(risk_band) IN ('高', '中'), false)::INT AS flagged,
                       coalesce(trim(risk_band) = '高', false)::INT AS flagged_high,
                       rule_flagged::INT AS rule_flagged,
                       problems_open, problems_closed, laborers, employed,
                       nullif(trim(monitoring_category), '') AS monitoring_category,
                       nullif(trim(risk_band), '') AS risk_band, risk_probability
                FROM {{source}} WHERE {where} AND year = ?""",
            files, parameters + [year],
        )
    frame["level"] = "household"
    for name in COUNTS:
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype("int64")
    for name in ("code", "name", "monitoring_category", "risk_band"):
        frame[name] = frame[name].astype("string")
    frame["risk_probability"] = pd.to_numeric(frame["risk_probability"]).astype("Float64")
    return _add_ratios(frame)
