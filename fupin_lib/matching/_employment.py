"""Employment statistics by village, township and county, and 就业奖补
eligibility, by the glossary's definitions of laborer and employed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import is_employed, is_laborer
from ._profiles import join_households
from ._settings import MatchingSettings, load_matching_settings

__all__ = ["employment_statistics", "subsidy_eligibility", "rate_percent", "EMPLOYMENT_HEADERS", "CHANNEL_CODES"]

# Employment channel (就业渠道) -> column suffix of the statistics.
CHANNEL_CODES = {
    "外出务工": "migrant",
    "本地企业": "local_enterprise",
    "帮扶车间": "workshop",
    "产业基地": "industry_base",
    "公益性岗位": "public_job",
    "以工代赈": "work_relief",
    "自主创业": "self_employed",
    "灵活就业": "flexible",
    "": "unknown",
}

_LEVELS = (("county", "county_code", "county"), ("township", "township_code", "township"),
           ("village", "village_code", "village"))
LEVEL_NAMES = {"county": "县", "township": "乡镇", "village": "村"}

EMPLOYMENT_HEADERS = {
    "level": "层级",
    "code": "区划代码",
    "name": "名称",
    "laborers": "劳动力人数",
    "employed": "就业人数",
    "rate": "就业率",
    **{f"employed_{code}": f"就业渠道：{name or '未登记'}" for name, code in CHANNEL_CODES.items()},
    "subsidy_stable": "稳定就业奖补人数",
    "subsidy_casual": "零散务工奖补人数",
    "subsidy_amount": "就业奖补金额（元）",
}


def rate_percent(rate) -> np.ndarray:
    """Convert rates to percent with two decimals, halves rounded up as in
    published figures (116 / 128 = 90.625 % shows as 90.63 %), where Python's
    `round` would give 90.62."""
    return np.floor(np.asarray(rate, dtype=float) * 10_000 + 0.5) / 100


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def _laborer_rows(members: pd.DataFrame, households: pd.DataFrame, year: int) -> pd.DataFrame:
    if "year" in members:
        members = members[members["year"].astype("Int64") == int(year)]
    if "year" in households:
        households = households[households["year"].astype("Int64") == int(year)]
    joined = join_households(members.reset_index(drop=True), households)
    joined = joined.assign(year=int(year))
    laborers = joined[is_laborer(joined).to_numpy(dtype=bool)].copy()
    laborers["employed"] = is_employed(laborers).to_numpy()
    channel = _text(laborers["employment_channel"])
    public = pd.to_numeric(laborers["public_job_months"], errors="coerce").fillna(0)
    channel = channel.where((channel != "") | (public < 1), "公益性岗位")
    laborers["channel"] = channel.where(channel.isin(list(CHANNEL_CODES)), "")
    return laborers


def subsidy_eligibility(members: pd.DataFrame, households: pd.DataFrame, *, year: int,
                        settings: MatchingSettings | None = None) -> pd.DataFrame:
    """Decide 就业奖补 eligibility for every laborer of the data year.

    A laborer is in scope when the household's 户类型 is one of the rule's
    ``household_types`` (or it is monitored and ``include_monitored``) and
    the employment channel is not excluded (公益性岗位 by default, paid
    through the post itself). The first rule whose months range contains the
    laborer's months of work (务工时间 or 公益性岗位月数, the larger) and whose
    channels, when listed, contain the channel applies.

    Returns
    -------
    DataFrame
        One row per laborer: ``id_number``, ``household_no``, area codes,
        ``work_months``, ``channel``, ``rule`` (blank when not eligible),
        ``kind`` (stable or casual) and ``amount`` (yuan).
    """
    settings = settings or load_matching_settings()
    laborers = _laborer_rows(members, households, year)
    return _apply_subsidy_rules(laborers, settings)


def _apply_subsidy_rules(laborers: pd.DataFrame, settings: MatchingSettings) -> pd.DataFrame:
    rules = settings.employment_subsidy
    in_scope = _text(laborers["household_type"]).isin(rules.household_types)
    if rules.include_monitored:
        in_scope |= _text(laborers["monitoring_category"]) != ""
    in_scope &= ~laborers["channel"].isin(rules.exclude_channels)
    # Months worked in any channel, as in is_employed.
    months = np.maximum(pd.to_numeric(laborers["work_months"], errors="coerce").fillna(0),
                        pd.to_numeric(laborers["public_job_months"], errors="coerce").fillna(0))

    rule = pd.Series("", index=laborers.index, dtype=object)
    kind = pd.Series("", index=laborers.index, dtype=object)
    amount = pd.Series(0.0, index=laborers.index)
    open_ = in_scope.to_numpy(dtype=bool).copy()
    for item in rules.rules:
        upper = np.inf if item.max_months is None else item.max_months
        hit = open_ & (months >= item.min_months).to_numpy() & (months < upper).to_numpy()
        if item.channels:
            hit &= laborers["channel"].isin(item.channels).to_numpy()
        rule[hit] = item.name
        kind[hit] = item.kind
        amount[hit] = item.amount
        open_ &= ~hit
    columns = ["id_number", "household_no", "county_code", "township_code", "village_code", "channel"]
    result = laborers[columns].copy()
    result["work_months"] = months.to_numpy()
    result["rule"] = rule.to_numpy()
    result["kind"] = kind.to_numpy()
    result["amount"] = amount.to_numpy()
    return result.reset_index(drop=True)


def employment_statistics(members: pd.DataFrame, households: pd.DataFrame, *, year: int,
                          settings: MatchingSettings | None = None) -> pd.DataFrame:
    """Count laborers and employed laborers per county, township and village.

    Laborers and employment follow `fupin_lib.schema.is_laborer` and
    `is_employed`: ``rate = employed / laborers`` (NaN where an area has no
    laborers).

    Parameters
    ----------
    members, households : DataFrame
        Canonical member and household tables; rows of other years are
        ignored. Areas come from the household rows.
    year : int
        Data year.
    settings : MatchingSettings, optional
        For the 就业奖补 rules; by default from ``parameters/defaults.yaml``.

    Returns
    -------
    DataFrame
        One row per area, counties first, then townships, then villages:
        ``level`` (county, township, village), ``code``, ``name``,
        ``laborers``, ``employed``, ``rate``, ``employed_<channel>`` per
        employment channel (see `CHANNEL_CODES`; ``employed_unknown`` when the
        channel is blank), ``subsidy_stable`` and ``subsidy_casual`` (laborers
        eligible for each kind of 就业奖补) and ``subsidy_amount`` (yuan).

    Examples
    --------
    >>> stats = employment_statistics(members, households, year=2020)  # doctest: +SKIP
    >>> stats.loc[stats["level"] == "township", ["name", "employed", "laborers", "rate"]]  # doctest: +SKIP
    """
    settings = settings or load_matching_settings()
    laborers = _laborer_rows(members, households, year)
    subsidy = _apply_subsidy_rules(laborers, settings)
    laborers["subsidy_stable"] = (subsidy["kind"] == "stable").to_numpy()
    laborers["subsidy_casual"] = (subsidy["kind"] == "casual").to_numpy()
    laborers["subsidy_amount"] = subsidy["amount"].to_numpy()
    for name, code in CHANNEL_CODES.items():
        laborers[f"employed_{code}"] = (laborers["employed"] & (laborers["channel"] == name)).to_numpy()

    value_columns = ["laborers", "employed", *[f"employed_{c}" for c in CHANNEL_CODES.values()],
                     "subsidy_stable", "subsidy_casual", "subsidy_amount"]
    laborers["laborers"] = 1
    frames = []
    for level, code_column, name_column in _LEVELS:
        codes = _text(laborers[code_column]).rename("code")
        names = _text(laborers[name_column]).replace("", pd.NA)
        grouped = laborers[value_columns].groupby(codes, sort=True).sum()
        # One name per code: the first non-blank one, should spellings differ.
        grouped.insert(0, "name", names.groupby(codes, sort=True).first().reindex(grouped.index).fillna(""))
        grouped = grouped.reset_index()
        grouped.insert(0, "level", level)
        frames.append(grouped)
    stats = pd.concat(frames, ignore_index=True)
    for column in value_columns:
        if column != "subsidy_amount":
            stats[column] = stats[column].astype(np.int64)
    stats["rate"] = np.where(stats["laborers"] > 0, stats["employed"] / stats["laborers"].where(stats["laborers"] > 0), np.nan)
    ordered = ["level", "code", "name", "laborers", "employed", "rate", *value_columns[2:]]
    return stats[ordered]
