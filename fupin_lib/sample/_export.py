"""Writing one county's sample files: rosters, verification tables,
postings, trainings and placements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import HOUSEHOLDS, MEMBERS, PLACEMENTS, POSTINGS, TRAININGS, VERIFICATIONS
from ._vocabulary import PROBLEM_TEXT
from ._xlsx import write_export

__all__ = ["write_county_files", "ROSTER_COLUMNS", "roster_frame"]

_MEMBER_FIRST = ["person_no", "name", "sex", "birth_date", "id_type", "id_number", "relation_to_head"]
_AREA = ["city", "county", "township", "village", "natural_village"]
_SKIP_HOUSEHOLD = {"year", "province_code", "province", "city_code", "county_code", "township_code",
                   "village_code", "household_no", *_AREA, "household_size"}
_SKIP_MEMBER = {"year", "county_code", "household_no", *_MEMBER_FIRST, "phone"}

# Roster column order: year, area names, keys and identity, household size,
# member fields, then household fields (codes are not exported).
ROSTER_COLUMNS = (
    ["year", *_AREA, "household_no", *_MEMBER_FIRST, "household_size"]
    + [c.name for c in MEMBERS.columns if c.name not in _SKIP_MEMBER]
    + ["member_phone"]
    + [c.name for c in HOUSEHOLDS.columns if c.name not in _SKIP_HOUSEHOLD]
)

_BOOL_COLUMNS = {c.name for t in (HOUSEHOLDS, MEMBERS) for c in t.columns if c.dtype == "bool"}
_INT_COLUMNS = {"year", "household_size", "exit_year"}
_DATE_COLUMNS = {"birth_date"}
_EXPORT_DAY = {2017: "2018-01-12", 2018: "2019-01-15", 2019: "2020-01-10", 2020: "2021-01-15"}


def roster_frame(members: pd.DataFrame, households: pd.DataFrame, area: pd.DataFrame,
                 helpers: pd.DataFrame) -> pd.DataFrame:
    """Join one county-year's members and households into flat roster rows
    (canonical names, export-ready values)."""
    household_part = households.drop(columns=["year", "county_code", "household_no"]).set_index("_hh")
    frame = members.join(household_part, on="_hh")
    frame = frame.join(area, on="_hh").join(helpers, on="_hh")
    frame["member_phone"] = frame["phone"]
    frame = frame.drop(columns=["phone"])
    # The household's phone is the head's.
    head_phone = members.loc[members["relation_to_head"] == "户主", ["_hh", "phone"]].set_index("_hh")["phone"]
    frame["phone"] = frame["_hh"].map(head_phone)
    out = {}
    for name in ROSTER_COLUMNS:
        column = frame[name]
        if name in _BOOL_COLUMNS:
            if column.dtype == bool:
                column = pd.Series(np.where(column.to_numpy(), "是", "否"), index=frame.index, dtype=object)
        elif name in _DATE_COLUMNS:
            column = pd.Series(pd.to_datetime(column).dt.strftime("%Y-%m-%d"), dtype=object)
        elif name in _INT_COLUMNS:
            column = pd.to_numeric(column).astype("Int64").mask(lambda s: s == 0)
        elif name in ("work_months", "public_job_months"):
            column = pd.to_numeric(column).mask(lambda s: s == 0)
        out[name] = column
    return pd.DataFrame(out)


def _verification_frame(households: pd.DataFrame, year: int, first_year: int, helpers: pd.DataFrame,
                        rng: np.random.Generator) -> pd.DataFrame:
    """Cadres' verification records: a share of households each year, most
    households in the last year 2020."""
    n = len(households)
    share = 0.9 if year >= 2020 else min(0.3 + 0.1 * (year - first_year), 0.6)
    visited = rng.random(n) < share
    h = households[visited].reset_index(drop=True)
    m = len(h)
    start = dt.date(year, 9, 1) if year >= 2020 else dt.date(year, 3, 1)
    days = rng.integers(0, 100 if year >= 2020 else 270, m)
    verify_date = pd.to_datetime(start) + pd.to_timedelta(days, unit="D")

    below = h["_below"].to_numpy()
    unsafe = h["unsafe_house"].to_numpy().astype(bool)
    no_water = ~h["safe_drinking_water"].to_numpy().astype(bool)
    income_mismatch = rng.random(m) < 0.03
    population_mismatch = rng.random(m) < 0.01
    measures_missing = rng.random(m) < 0.02
    problem_type = np.select(
        [unsafe, no_water, below, income_mismatch, population_mismatch, measures_missing],
        ["住房安全", "饮水安全", "收入偏低", "收入核实", "人口信息", "帮扶措施"], "")
    u = rng.random(m)
    description = np.full(m, "", dtype=object)
    for kind, texts in PROBLEM_TEXT.items():
        rows = problem_type == kind
        if rows.any():
            index = np.minimum((u[rows] * len(texts)).astype(int), len(texts) - 1)
            description[rows] = np.asarray(texts, dtype=object)[index]
    grade = h["house_grade"].to_numpy().astype(str)
    description = pd.Series(description).str.replace("{grade}", "", regex=False).to_numpy(dtype=object)
    description = np.where(problem_type == "住房安全", "住房为" + grade + "危房，尚未完成改造", description)
    satisfaction = np.where(rng.random(m) < np.where(problem_type != "", 0.6, 0.88), "满意",
                            np.where(rng.random(m) < 0.9, "基本满意", "不满意"))
    verified = h["net_income_per_capita"].to_numpy() * np.where(income_mismatch, rng.uniform(0.7, 1.3, m),
                                                                   rng.uniform(0.98, 1.02, m))
    checker = helpers.iloc[rng.integers(0, len(helpers), m)] if len(helpers) else helpers
    yes = lambda mask: np.where(mask, "是", "否")  # noqa: E731
    return pd.DataFrame({
        "year": year,
        "household_no": h["household_no"].to_numpy(),
        "verify_date": verify_date.strftime("%Y-%m-%d"),
        "checker_name": checker["helper_name"].to_numpy() if m else [],
        "checker_unit": checker["helper_unit"].to_numpy() if m else [],
        "population_matches": yes(~population_mismatch),
        "food_clothing_ok": "是",
        "education_ok": "是",
        "medical_ok": "是",
        "housing_ok": yes(~unsafe),
        "water_ok": yes(~no_water),
        "income_verified": yes(~income_mismatch),
        "verified_income_per_capita": np.round(verified, 2),
        "measures_implemented": yes(~measures_missing),
        "helper_visited": yes(rng.random(m) < 0.97),
        "suspected_ineligible": yes(rng.random(m) < 0.005),
        "satisfaction": satisfaction,
        "problems_found": yes(problem_type != ""),
        "problem_type": problem_type,
        "problem_description": description,
    })


def _rename(frame: pd.DataFrame, table, extra: dict | None = None) -> pd.DataFrame:
    headers = {c.name: c.zh for c in table.columns}
    headers.update(extra or {})
    return frame.rename(columns=headers)


def write_county_files(out: Path, county, county_index: int, frames, area, helpers, jobs, years, damage,
                       damage_rng, *, verification_rng) -> list[Path]:
    """Write all files of one county into ``out/<county_code>/``."""
    from ._damage import damage_frame
    from ._generate import roster_headers

    folder = Path(out) / county.code
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    headers = roster_headers(county_index % 3)
    city = area["city"].iloc[0] if len(area) else ""
    for year, households, members in frames:
        rows = households["county_code"] == county.code
        h = households[rows]
        m = members[members["county_code"] == county.code]
        roster = roster_frame(m, h, area, helpers)
        if damage > 0:
            roster = damage_frame(roster, damage, damage_rng)
        mixed = {headers.get(name, name) for name in roster.attrs.get("mixed_columns", ())}
        roster = roster.rename(columns=headers)
        exported = _EXPORT_DAY.get(year, f"{year + 1}-01-15")
        written.append(write_export(
            folder / f"{county.code}_{year}_花名册.xlsx",
            f"{city}{county.name}{year}年建档立卡贫困人口花名册",
            f"导出时间：{exported}  数据年度：{year}", roster, mixed=mixed))

        verification = _verification_frame(h, year, years[0], helpers.iloc[h["_hh"].to_numpy()], verification_rng)
        verification.insert(1, "county_code", county.code)
        written.append(write_export(
            folder / f"{county.code}_{year}_核查表.xlsx",
            f"{city}{county.name}{year}年脱贫攻坚成效核查表",
            f"导出时间：{exported}  数据年度：{year}", _rename(verification, VERIFICATIONS)))

    today = f"{years[-1] + 1}-01-20"
    for name, table, title in (("postings", POSTINGS, "岗位信息"), ("trainings", TRAININGS, "培训信息"),
                               ("placements", PLACEMENTS, "就业安置记录")):
        frame = jobs[name]
        frame = frame[frame["county_code"] == county.code]
        written.append(write_export(
            folder / f"{county.code}_{title}.xlsx",
            f"{city}{county.name}{years[0]}—{years[-1]}年{title}",
            f"导出时间：{today}", _rename(frame, table)))
    return written
