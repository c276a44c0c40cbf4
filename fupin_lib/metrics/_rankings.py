"""Ranked lists for leaders: the villages and households with the most open
problem items and high-risk households."""

from __future__ import annotations

import pandas as pd

from ._kpis import scoped_where
from ._source import output_files, query, scoped_area, execute
from ._summary import summary_table

__all__ = ["problem_villages", "problem_households"]

_VILLAGE_COLUMNS = [
    "village_code", "village", "township_code", "township", "county_code", "county",
    "households", "problems_open", "problems_closed", "flagged_high", "rule_flagged", "monitored",
]
_HOUSEHOLD_COLUMNS = [
    "household_no", "head_name_masked", "county_code", "county", "township", "village_code", "village",
    "problems_open", "problems_closed", "risk_band", "risk_probability", "rule_flagged",
    "rule_reasons", "risk_reasons", "monitoring_category",
]


def problem_villages(area_code: str, year: int, *, outputs_root, user, limit: int = 10) -> pd.DataFrame:
    """Rank the villages of an area by open problem items, then by high-risk
    households.

    Only villages with an open problem item or a high-risk household are
    listed, so an area whose ledger is cleared (整改清零) and has no high-risk
    household returns an empty table.

    Parameters
    ----------
    area_code : str
        Area whose villages are ranked (see `kpis`).
    year : int
    outputs_root : path-like
    user : User
        The signed-in user; villages outside their area are never read.
    limit : int, default=10
        Maximum number of rows.

    Returns
    -------
    DataFrame
        ``village_code``, ``village``, ``township_code``, ``township``,
        ``county_code``, ``county``, ``households``, ``problems_open``,
        ``problems_closed``, ``flagged_high``, ``rule_flagged``,
        ``monitored``.
    """
    code = scoped_area(area_code, user)
    table = summary_table(outputs_root, int(year), user)
    if table is None:
        return pd.DataFrame({column: [] for column in _VILLAGE_COLUMNS})
    where, parameters = scoped_where(code, user)
    frame = execute(
        f"""SELECT {", ".join(_VILLAGE_COLUMNS)} FROM {table}
            WHERE {where} AND (problems_open > 0 OR flagged_high > 0)
            ORDER BY problems_open DESC, flagged_high DESC, village_code
            LIMIT ?""",
        parameters + [int(limit)],
    )
    return frame.reset_index(drop=True)


def problem_households(area_code: str, year: int, *, outputs_root, user, limit: int = 20) -> pd.DataFrame:
    """Rank the households of an area by open problem items, then by risk
    probability.

    Only households with an open problem item, a high risk band or a rule
    flag are listed.

    Parameters
    ----------
    area_code : str
        Area whose households are ranked (see `kpis`).
    year : int
    outputs_root : path-like
    user : User
        The signed-in user; households outside their area are never read.
    limit : int, default=20
        Maximum number of rows.

    Returns
    -------
    DataFrame
        ``household_no``, ``head_name_masked`` (names come masked from the
        run), ``county_code``, ``county``, ``township``, ``village_code``,
        ``village``, ``problems_open``, ``problems_closed``, ``risk_band``,
        ``risk_probability``, ``rule_flagged``, ``rule_reasons``,
        ``risk_reasons``, ``monitoring_category``.
    """
    code = scoped_area(area_code, user)
    files = output_files(outputs_root, "households", code, [int(year)])
    if not files:
        return pd.DataFrame({column: [] for column in _HOUSEHOLD_COLUMNS})
    where, parameters = scoped_where(code, user)
    frame = query(
        f"""SELECT {", ".join(_HOUSEHOLD_COLUMNS)} FROM {{source}}
            WHERE {where} AND year = ?
              AND (problems_open > 0 OR trim(risk_band) = '高' OR rule_flagged)
            ORDER BY problems_open DESC, risk_probability DESC NULLS LAST, household_no
            LIMIT ?""",
        files, parameters + [int(year), int(limit)],
    )
    return frame.reset_index(drop=True)
