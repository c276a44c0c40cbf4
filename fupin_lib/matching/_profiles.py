"""Laborer profiles: one row per laborer with what the matcher needs from the
member and household tables."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..schema import EDUCATION_LEVELS, age_at_year_end, is_employed, is_laborer
from ..schema import village_code as derive_village_code
from ._settings import INTENTIONS, MatchingSettings, load_matching_settings

__all__ = ["build_laborer_profiles", "join_households", "PROFILE_COLUMNS"]

logger = logging.getLogger(__name__)

# Physical capacity and physical demand share one scale: 轻 1, 中 2, 重 3.
DEMAND_LEVELS = {"轻": 1, "中": 2, "重": 3}
EDUCATION_RANK = {level: rank for rank, level in enumerate(EDUCATION_LEVELS)}

# Laborers at this age or older take at most medium physical work.
_OLDER_WORKER_AGE = 55

_HOUSEHOLD_FIELDS = (
    "province_code", "county_code", "county", "township_code", "township", "village_code",
    "village", "household_type", "monitoring_category", "longitude", "latitude",
)

PROFILE_COLUMNS = (
    "id_number", "household_no", "person_no", "name", "phone", "sex", "age", "education",
    "education_rank", "health", "disability_grade", "labor_skill", "physical_capacity",
    "skills", "past_work", "caring", "caring_reason", "county_code", "county",
    "township_code", "township", "village_code", "village", "province_code", "longitude",
    "latitude", "intention", "wants_work", "expected_wage", "employed", "work_months",
    "employment_channel", "registered_poor", "monitored", "public_job_eligible",
)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def join_households(members: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Add the household's area, type and coordinates to each member row.

    Members and households are joined on ``household_no`` (and ``year`` when
    both tables carry several years). Member columns keep their values where
    both tables have the same column (``county_code``). A member whose
    household is missing keeps blank area fields and is logged.
    """
    fields = [c for c in _HOUSEHOLD_FIELDS if c in households.columns]
    keys = ["household_no"]
    if "year" in members.columns and "year" in households.columns:
        keys.append("year")
    right = households[keys + fields].drop_duplicates(keys)
    overlap = [c for c in fields if c in members.columns]
    joined = members.merge(right, on=keys, how="left", suffixes=("", "_household"))
    for column in overlap:
        joined[column] = joined[column].fillna(joined[f"{column}_household"])
        joined = joined.drop(columns=f"{column}_household")
    missing = ~members["household_no"].isin(households["household_no"]).to_numpy()
    if missing.any():
        logger.warning("%s members have no household row; their area is blank", int(missing.sum()))
    for column in _HOUSEHOLD_FIELDS:
        if column not in joined.columns:
            joined[column] = pd.NA
    return _fill_village_codes(joined)


def _fill_village_codes(frame: pd.DataFrame) -> pd.DataFrame:
    # The 2014-2020 roster carries village names only: derive the code the
    # way the importer does.
    codes = frame["village_code"].astype("string")
    township = _text(frame["township_code"])
    village = _text(frame["village"])
    derivable = codes.isna() & (township != "") & (village != "")
    if derivable.any():
        pairs = pd.DataFrame({"t": township[derivable], "v": village[derivable]})
        codes = codes.copy()
        codes[derivable] = [derive_village_code(t, v) for t, v in zip(pairs["t"], pairs["v"])]
    frame["village_code"] = codes
    if frame["province_code"].isna().all():
        frame["province_code"] = _text(frame["county_code"]).str[:2].replace("", pd.NA)
    return frame


def _caring_flags(members: pd.DataFrame, age: pd.Series, settings: MatchingSettings) -> pd.DataFrame:
    """Per member, the kinds of care that *other* members of the household need."""
    caring = settings.caring
    health = _text(members["health"])
    grade = _text(members["disability_grade"]) if "disability_grade" in members else pd.Series("", index=members.index)
    ill_pattern = "|".join(caring.ill_health) or "$^"
    ill = health.str.contains(ill_pattern, regex=True)
    severe = health.str.contains("残疾") & grade.isin(caring.severe_disability_grades)
    needs = pd.DataFrame({
        "老人": (age >= caring.elderly_min_age).fillna(False).astype(int),
        "幼儿": (age < caring.child_below_age).fillna(False).astype(int),
        "病人": (ill | severe).astype(int),
    }, index=members.index)
    per_household = needs.groupby(members["household_no"].to_numpy()).transform("sum")
    # Subtract the member's own needs: a sick laborer does not care for himself.
    return (per_household - needs) > 0


def _physical_capacity(profiles: pd.DataFrame) -> np.ndarray:
    """Heaviest physical demand (1 轻, 2 中, 3 重) a laborer can take."""
    health = profiles["health"]
    grade = profiles["disability_grade"]
    capacity = np.full(len(profiles), 3, dtype=np.int8)
    medium = health.str.contains("长期慢性病") | health.str.contains("残疾") | (profiles["age"] >= _OLDER_WORKER_AGE)
    light = (
        (profiles["labor_skill"] == "弱劳动力或半劳动力")
        | health.str.contains("患有大病")
        | (health.str.contains("残疾") & grade.isin(("一级", "二级")))
    )
    capacity[medium.to_numpy(dtype=bool)] = 2
    capacity[light.to_numpy(dtype=bool)] = 1
    return capacity


def build_laborer_profiles(members: pd.DataFrame, households: pd.DataFrame, *, year: int,
                           settings: MatchingSettings | None = None) -> pd.DataFrame:
    """Build one profile row per laborer (劳动力) of the data year.

    Parameters
    ----------
    members, households : DataFrame
        Canonical member and household tables (`fupin_lib.schema.MEMBERS`,
        `HOUSEHOLDS`). Rows of other years are ignored.
    year : int
        Data year; ages are counted on 31 December of it.
    settings : MatchingSettings, optional
        By default the ``matching`` section of ``parameters/defaults.yaml``.

    Returns
    -------
    DataFrame
        Columns `PROFILE_COLUMNS`, one row per member for whom
        `fupin_lib.schema.is_laborer` holds. Notable columns:

        - ``physical_capacity``: 1 (轻) for weak laborers, serious illness or a
          grade 1–2 disability; 2 (中) for chronic illness, other disability or
          age 55 and over; 3 (重) otherwise.
        - ``caring`` and ``caring_reason``: another member of the household is
          elderly, a young child or ill (thresholds in the settings); every
          laborer of such a household is marked.
        - ``intention``: 务工意愿, the settings' default intention when blank;
          ``wants_work`` is False for 无.
        - ``public_job_eligible``: may hold a public-welfare post.
    """
    settings = settings or load_matching_settings()
    members = members[members["year"].astype("Int64") == int(year)] if "year" in members else members
    households = households[households["year"].astype("Int64") == int(year)] if "year" in households else households
    members = join_households(members.reset_index(drop=True), households)

    age = age_at_year_end(members["birth_date"], int(year))
    caring = _caring_flags(members, age, settings)
    laborer = is_laborer(members.assign(year=int(year))).to_numpy(dtype=bool)
    profiles = _profile_frame(members[laborer], age[laborer], caring[laborer], settings)
    logger.info("%s laborers among %s members of %s", len(profiles), len(members), year)
    return profiles


def _profile_frame(members: pd.DataFrame, age: pd.Series, caring: pd.DataFrame,
                   settings: MatchingSettings) -> pd.DataFrame:
    profiles = pd.DataFrame(index=members.index)
    for column in ("id_number", "household_no", "person_no", "name", "phone", "sex",
                   "county_code", "county", "township_code", "township", "village_code",
                   "village", "province_code", "employment_channel"):
        profiles[column] = members[column].astype("string") if column in members else pd.NA
    profiles["age"] = age.astype("Int64")
    for column in ("education", "health", "disability_grade", "labor_skill", "skills", "past_work"):
        profiles[column] = _text(members[column]) if column in members else ""
    profiles["education_rank"] = profiles["education"].map(EDUCATION_RANK).fillna(0).astype(np.int8)
    profiles["physical_capacity"] = _physical_capacity(profiles)

    profiles["caring"] = caring.any(axis=1).to_numpy()
    profiles["caring_reason"] = _join_reasons(caring)
    profiles["longitude"] = pd.to_numeric(members["longitude"], errors="coerce").astype(float)
    profiles["latitude"] = pd.to_numeric(members["latitude"], errors="coerce").astype(float)

    intention = _text(members["work_intention"]) if "work_intention" in members else pd.Series("", index=members.index)
    profiles["wants_work"] = (intention != "无").to_numpy()
    profiles["intention"] = intention.where(intention.isin(INTENTIONS), settings.default_intention)
    profiles["expected_wage"] = pd.to_numeric(members.get("expected_wage"), errors="coerce").astype(float)
    profiles["employed"] = is_employed(members).to_numpy()
    months = pd.to_numeric(members["work_months"], errors="coerce").fillna(0)
    public = pd.to_numeric(members.get("public_job_months", 0), errors="coerce")
    profiles["work_months"] = np.maximum(months.to_numpy(float), np.nan_to_num(np.asarray(public, dtype=float)))

    household_type = _text(members["household_type"])
    profiles["registered_poor"] = household_type.isin(settings.public_job.household_types).to_numpy()
    profiles["monitored"] = (_text(members["monitoring_category"]) != "").to_numpy()
    profiles["public_job_eligible"] = _public_job_eligible(profiles, settings)
    return profiles.reset_index(drop=True)[list(PROFILE_COLUMNS)]


def _join_reasons(flags: pd.DataFrame) -> np.ndarray:
    """Join the names of the True columns of each row with 、."""
    reasons = np.full(len(flags), "", dtype=object)
    for column in flags.columns:
        reasons = np.where(flags[column].to_numpy(dtype=bool), reasons + column + "、", reasons)
    return np.array([text[:-1] for text in reasons], dtype=object)


def _public_job_eligible(profiles: pd.DataFrame, settings: MatchingSettings) -> np.ndarray:
    rules = settings.public_job
    in_scope = profiles["registered_poor"]
    if rules.include_monitored:
        in_scope = in_scope | profiles["monitored"]
    weak = (
        (profiles["labor_skill"] == "弱劳动力或半劳动力")
        | profiles["caring"]
        | profiles["health"].str.contains("长期慢性病|患有大病|残疾", regex=True)
    )
    in_age = profiles["age"].between(rules.min_age, rules.max_age).fillna(False)
    return (in_scope & weak & in_age).to_numpy(dtype=bool)
