"""KPIs of one county run: the county totals of kpis.json and the same
figures by township and village."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from ..schema import MONITORING_CATEGORIES

__all__ = ["county_kpis", "kpis_by_area", "AREA_KPI_HEADERS"]

# Risk bands that raise a warning (风险预警). Band 低 reaches down to
# probability 0: a household in it is scored but not flagged. Households
# without a score (no model) have no band and count nowhere.
WARNING_BANDS = ("高", "中")

# Chinese headers of the columns that `kpis_by_area` returns.
AREA_KPI_HEADERS = {
    "township": "乡镇", "village": "村", "households": "户数", "people": "人数",
    "verified_households": "已核查户", "monitored": "监测户", "rule_flagged": "规则标记户",
    "high_risk": "高风险户", "problems_open": "未整改问题", "problems_closed": "已销号问题",
    "laborers": "劳动力", "employed": "已就业", "employment_rate": "就业率",
}


def _rate(part, whole) -> float:
    return round(float(part) / float(whole), 4) if whole else 0.0


def county_kpis(households: pd.DataFrame, employment: pd.DataFrame, *, county_code: str,
                county: str, year: int, generated_at: str) -> dict:
    """Compute the county totals written to kpis.json.

    Parameters
    ----------
    households : DataFrame
        The households output table (one row per household).
    employment : DataFrame
        The employment output table (one row per member). ``people`` counts
        its rows whose household is in `households`.

    Returns
    -------
    dict
        Keys ``county_code``, ``county``, ``year``, ``households``, ``people``,
        ``verified_households``, ``monitored_by_category`` (every category,
        zero included), ``flagged`` (households in a warning band),
        ``flagged_by_band`` (the warning bands 高 and 中, zero included),
        ``scored_no_warning`` (scored households in band 低), ``rule_flagged``,
        ``problems_open``, ``problems_closed``, ``laborers``, ``employed``
        (employed laborers), ``employment_rate`` (employed / laborers, 0 when
        there are no laborers) and ``generated_at``. Counts are ints.
    """
    categories = households["monitoring_category"].value_counts()
    bands = households["risk_band"].value_counts()
    laborers = int(employment["is_laborer"].sum())
    employed = int((employment["is_laborer"] & employment["employed"]).sum())
    return {
        "county_code": county_code,
        "county": county,
        "year": int(year),
        "households": int(len(households)),
        # Member rows of the year in the county's households: the same count
        # as the sum of household_size that the dashboard reads.
        "people": int(employment["household_no"].isin(households["household_no"]).sum()),
        "verified_households": int(households["verified"].sum()),
        "monitored_by_category": {c: int(categories.get(c, 0)) for c in MONITORING_CATEGORIES},
        "flagged": int(sum(bands.get(b, 0) for b in WARNING_BANDS)),
        "flagged_by_band": {b: int(bands.get(b, 0)) for b in WARNING_BANDS},
        "scored_no_warning": int(bands.get("低", 0)),
        "rule_flagged": int(households["rule_flagged"].sum()),
        "problems_open": int(households["problems_open"].sum()),
        "problems_closed": int(households["problems_closed"].sum()),
        "laborers": laborers,
        "employed": employed,
        "employment_rate": _rate(employed, laborers),
        "generated_at": generated_at,
    }


def kpis_by_area(households: pd.DataFrame, *,
                 level: Literal["township", "village"] = "township") -> pd.DataFrame:
    """Compute the KPIs of each township or village of a county.

    Parameters
    ----------
    households : DataFrame
        The households output table.
    level : {"township", "village"}, default="township"
        ``"township"`` gives one row per township; ``"village"`` one row per
        village, with its township. People are the sum of ``household_size``
        (the member rows of the year, like ``people`` in `county_kpis`).

    Returns
    -------
    DataFrame
        Columns named in `AREA_KPI_HEADERS` (area names first), ordered by
        area code. ``employment_rate`` is employed laborers / laborers.
    """
    keys = ["township_code", "township"] if level == "township" else \
        ["township_code", "township", "village_code", "village"]
    frame = households.assign(
        monitored=households["monitoring_category"].notna(),
        high_risk=households["risk_band"].eq("高").fillna(False),
    )
    table = frame.groupby(keys, dropna=False, sort=True).agg(
        households=("household_no", "size"), people=("household_size", "sum"),
        verified_households=("verified", "sum"), monitored=("monitored", "sum"),
        rule_flagged=("rule_flagged", "sum"), high_risk=("high_risk", "sum"),
        problems_open=("problems_open", "sum"), problems_closed=("problems_closed", "sum"),
        laborers=("laborers", "sum"), employed=("employed", "sum"),
    ).reset_index()
    table["employment_rate"] = [_rate(e, n) for e, n in zip(table["employed"], table["laborers"])]
    return table.drop(columns=[k for k in keys if k.endswith("_code")])
