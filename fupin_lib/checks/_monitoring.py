"""Rules-only monitoring criteria (防止返贫动态监测).

A household is flagged when any criterion holds:

- ``below_line``: per-capita net income below the year's monitoring line;
- ``income_drop``: per-capita net income fell by at least
  ``income_drop_share`` against the previous year;
- ``high_expense``: compliant out-of-pocket expenditure (合规自付支出) of at
  least ``high_expense_share`` of the household's net income;
- ``basic_needs_gap``: compulsory education, basic medical care, safe housing
  or safe drinking water recorded as not secured, or an unsafe house;
- ``sudden_event``: a sudden severe hardship recorded this year.

The suggested category follows the national definitions. A household below
the line or with a basic-needs gap is 脱贫不稳定户 when it has exited poverty
and 边缘易致贫户 otherwise. A household above the line that is hit by a drop,
an expense or a sudden event is 突发严重困难户. This flagging is the baseline
that the risk model has to beat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..params import monitoring_line
from ..schema import HOUSEHOLDS
from ._context import canonical_frame, flag, text
from ._engine import province_of
from ._settings import CheckSettings, ChecksConfig, resolve_checks

__all__ = ["monitoring_flags", "CRITERIA"]

CRITERIA = ("below_line", "income_drop", "high_expense", "basic_needs_gap", "sudden_event")
_BASIC_NEEDS = {
    "compulsory_education_secured": "义务教育",
    "basic_medical_secured": "基本医疗",
    "housing_secured": "住房安全",
    "safe_drinking_water": "饮水安全",
}


def _per_capita(households: pd.DataFrame) -> np.ndarray:
    """Per-capita net income, falling back to net income / household size."""
    per_capita = pd.to_numeric(households["net_income_per_capita"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    net = pd.to_numeric(households["net_income"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    size = pd.to_numeric(households["household_size"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        fallback = net / np.where(size > 0, size, np.nan)
    return np.where(np.isnan(per_capita), fallback, per_capita)


def _yuan(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=float).map("{:,.0f}".format).astype("string")


def _lines(households: pd.DataFrame, year: int) -> np.ndarray:
    """Look up the monitoring line of each household's province for `year`."""
    province = text(households["province_code"]).str[:2]
    county = text(households["county_code"]).str[:2]
    province = province.where(province != "", county)
    line_of = {code: monitoring_line(code, year) for code in province.unique() if code}
    return province.map(line_of).to_numpy(dtype=float, na_value=np.nan)


def monitoring_flags(households: pd.DataFrame, members: pd.DataFrame, *, year: int,
                     previous_households: pd.DataFrame | None = None,
                     params: CheckSettings | ChecksConfig | None = None) -> pd.DataFrame:
    """Apply the monitoring criteria to each household.

    Parameters
    ----------
    households : DataFrame
        Canonical household table of the year.
    members : DataFrame
        Canonical member table of the year. The criteria read household fields
        only; the argument keeps the signature shared with the risk model.
    year : int
        Data year; selects the monitoring line.
    previous_households : DataFrame, optional
        Canonical household table of the previous year, for ``income_drop``
        (False for every household when None or when the household is new).
    params : CheckSettings or ChecksConfig, optional
        Thresholds; by default those of ``parameters/checks.yaml`` for the
        households' province and `year`.

    Returns
    -------
    DataFrame
        One row per household, in the input order: ``household_no``,
        ``flagged`` (bool), ``suggested_category`` (脱贫不稳定户, 边缘易致贫户,
        突发严重困难户 or NA), ``reasons`` (Chinese text, empty when not
        flagged) and one bool column per criterion in `CRITERIA`.

    Raises
    ------
    ParameterError
        If ``parameters/defaults.yaml`` has no monitoring line for a
        household's province and `year`.
    """
    settings = _settings(households, year, params)
    frame = canonical_frame(HOUSEHOLDS, households)
    per_capita = _per_capita(frame)
    line = _lines(frame, year)

    below_line = per_capita < line
    previous = _previous_per_capita(frame, previous_households)
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_share = (previous - per_capita) / previous
    income_drop = (previous > 0) & (drop_share >= settings.income_drop_share)
    expense = pd.to_numeric(frame["compliant_expense"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    net = pd.to_numeric(frame["net_income"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    high_expense = (expense > 0) & ((expense >= settings.high_expense_share * net) | (net <= 0))
    gaps = {label: flag(frame[column] == False) for column, label in _BASIC_NEEDS.items()}  # noqa: E712
    gaps["住房安全"] = gaps["住房安全"] | flag(frame["unsafe_house"])
    basic_needs_gap = np.logical_or.reduce(list(gaps.values()))
    sudden_event = flag(frame["sudden_hardship"])

    result = pd.DataFrame({
        "household_no": frame["household_no"].astype("string"),
        "below_line": below_line, "income_drop": income_drop, "high_expense": high_expense,
        "basic_needs_gap": basic_needs_gap, "sudden_event": sudden_event,
    })
    result["flagged"] = result[list(CRITERIA)].any(axis=1)
    result["suggested_category"] = _category(frame, result)
    result["reasons"] = _reasons(result, per_capita, line, previous, drop_share, expense, net, gaps, year)
    return result[["household_no", "flagged", "suggested_category", "reasons", *CRITERIA]]


def _settings(households, year, params) -> CheckSettings:
    if isinstance(params, CheckSettings):
        return params
    return resolve_checks(province_of(households), year, params).settings


def _previous_per_capita(frame: pd.DataFrame, previous_households) -> np.ndarray:
    if previous_households is None or len(previous_households) == 0:
        return np.full(len(frame), np.nan)
    previous = canonical_frame(HOUSEHOLDS, previous_households)
    by_household = pd.Series(_per_capita(previous), index=previous["household_no"].astype("string"))
    by_household = by_household[~by_household.index.duplicated()]
    return frame["household_no"].astype("string").map(by_household).to_numpy(dtype=float, na_value=np.nan)


def _category(frame: pd.DataFrame, result: pd.DataFrame) -> pd.Series:
    exited = flag(text(frame["household_type"]) == "脱贫户") | \
        flag(text(frame["exit_status"]).str.startswith("已脱贫")) | flag(text(frame["exit_status"]) == "返贫")
    low = result["below_line"].to_numpy() | result["basic_needs_gap"].to_numpy()
    sudden = (result["income_drop"] | result["high_expense"] | result["sudden_event"]).to_numpy()
    category = np.select([low & exited, low & ~exited, sudden],
                         ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"], default="")
    return pd.Series(category, dtype="string").replace("", pd.NA)


def _reasons(result, per_capita, line, previous, drop_share, expense, net, gaps, year) -> pd.Series:
    """Build the Chinese reason text of the flagged households only."""
    parts = []
    flagged = result["flagged"].to_numpy()
    index = np.flatnonzero(flagged)

    def add(mask, message: pd.Series):
        chosen = mask[index]
        parts.append(pd.Series(np.where(chosen, message.to_numpy(dtype=object), ""), dtype="string"))

    pc, ln = per_capita[index], line[index]
    add(result["below_line"].to_numpy(),
        "人均纯收入 " + _yuan(pc) + f" 元，低于 {year} 年监测线 " + _yuan(ln) + " 元")
    with np.errstate(invalid="ignore"):
        percent = pd.Series(np.round(drop_share[index] * 100), dtype=float).map("{:.0f}".format).astype("string")
    add(result["income_drop"].to_numpy(),
        "人均纯收入较上年 " + _yuan(previous[index]) + " 元下降 " + percent + "%，降至 " + _yuan(pc) + " 元")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pd.Series(np.where(net[index] > 0, np.round(expense[index] / net[index] * 100), np.nan))
    share_text = share.astype(float).map(
        lambda v: f"，占纯收入的 {v:.0f}%" if v == v else "，纯收入为零或负").astype("string")
    add(result["high_expense"].to_numpy(), "合规自付支出 " + _yuan(expense[index]) + " 元" + share_text)
    gap_labels = pd.Series("", index=range(len(index)), dtype="string")
    for label, mask in gaps.items():
        gap_labels = gap_labels + np.where(mask[index], label + "、", "")
    add(result["basic_needs_gap"].to_numpy(), gap_labels.str.rstrip("、") + "未保障")
    add(result["sudden_event"].to_numpy(), pd.Series(["发生突发严重困难"] * len(index), dtype="string"))

    joined = pd.Series("", index=range(len(index)), dtype="string")
    for part in parts:
        joined = joined + part.where(part == "", part + "；")
    reasons = pd.Series("", index=result.index, dtype="string")
    reasons.iloc[index] = joined.str.rstrip("；").to_numpy()
    return reasons
