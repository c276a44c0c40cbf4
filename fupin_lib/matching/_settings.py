"""Settings of the matcher: the ``matching`` section of
``parameters/defaults.yaml``, converted to typed values."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from ..params import load_defaults
from ..params._load import validate

__all__ = ["MatchingSettings", "SubsidyRule", "load_matching_settings", "INTENTIONS"]

# Work intentions (务工意愿) from the nearest to the farthest area.
INTENTIONS = ("乡镇内", "县内", "县外省内", "省外")

FEATURES = (
    "skill",
    "experience",
    "proximity",
    "caring_proximity",
    "wage",
    "housing_far",
    "public_job",
)


def _blank_to_none(value):
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaringSettings(_Strict):
    """Who makes a laborer a carer."""

    elderly_min_age: int = 70
    child_below_age: int = 6
    ill_health: tuple[str, ...] = ("患有大病",)
    severe_disability_grades: tuple[str, ...] = ("一级", "二级")


class PublicJobSettings(_Strict):
    """Eligibility for public-welfare posts."""

    household_types: tuple[str, ...] = ("脱贫户", "贫困户")
    include_monitored: bool = True
    min_age: int = 16
    max_age: int = 69


class AllocationSettings(_Strict):
    """Channel tiers and thresholds of the capacity-aware assignment."""

    tiers: tuple[tuple[str, ...], ...] = (("企业", "产业基地"), ("扶贫车间", "以工代赈"), ("公益性岗位",))
    min_fit: float = 0.3
    candidates_per_laborer: int = 20


class SubsidyRule(_Strict):
    """One 就业奖补 rule: months worked in the year from `min_months` up to
    (excluding) `max_months`."""

    name: str
    kind: str
    min_months: float
    max_months: float | None = None
    amount: float = 0.0
    channels: tuple[str, ...] = ()

    _blank = field_validator("max_months", mode="before")(_blank_to_none)


class SubsidySettings(_Strict):
    """就业奖补 eligibility."""

    household_types: tuple[str, ...] = ("脱贫户", "贫困户")
    include_monitored: bool = True
    exclude_channels: tuple[str, ...] = ("公益性岗位",)
    rules: tuple[SubsidyRule, ...] = (
        SubsidyRule(name="稳定就业奖补", kind="stable", min_months=6, amount=1000),
        SubsidyRule(name="零散务工奖补", kind="casual", min_months=3, amount=500),
    )


class MatchingSettings(_Strict):
    """Typed ``matching`` section of ``parameters/defaults.yaml``.

    Every field has a default, so a defaults file without the section still
    works. See the comments in the YAML file for what each value means.
    """

    weights: dict[str, float] = {
        "intercept": -2.0,
        "skill": 2.5,
        "experience": 2.0,
        "proximity": 1.5,
        "caring_proximity": 1.5,
        "wage": 1.0,
        "housing_far": 0.5,
        "public_job": -0.5,
    }
    min_placements_to_learn: int = 30
    kept_min_months: float = 3
    max_distance_km: dict[str, float | None] = {"乡镇内": 15, "县内": 80, "县外省内": None, "省外": None}
    default_intention: str = "县内"
    admin_distance_km: dict[str, float] = {
        "same_village": 1,
        "same_township": 8,
        "same_county": 35,
        "same_province": 150,
        "other": 800,
    }
    proximity_scale_km: float = 10
    near_home_km: float = 10
    caring: CaringSettings = CaringSettings()
    public_job: PublicJobSettings = PublicJobSettings()
    allocation: AllocationSettings = AllocationSettings()
    employment_subsidy: SubsidySettings = SubsidySettings()

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value):
        unknown = set(value) - {"intercept", *FEATURES}
        if unknown:
            raise ValueError(f"未知的权重 {sorted(unknown)}，可用的有 intercept, {', '.join(FEATURES)}")
        return {"intercept": 0.0, **{name: 0.0 for name in FEATURES}, **value}

    @field_validator("max_distance_km", mode="before")
    @classmethod
    def _blank_distances(cls, value):
        if isinstance(value, dict):
            return {key: _blank_to_none(item) for key, item in value.items()}
        return value

    @field_validator("max_distance_km")
    @classmethod
    def _known_intentions(cls, value):
        unknown = set(value) - set(INTENTIONS)
        if unknown:
            raise ValueError(f"未知的务工意愿 {sorted(unknown)}，可用的有 {', '.join(INTENTIONS)}")
        return {name: value.get(name) for name in INTENTIONS}

    @field_validator("default_intention")
    @classmethod
    def _known_default_intention(cls, value):
        if value not in INTENTIONS:
            raise ValueError(f"务工意愿应为 {', '.join(INTENTIONS)} 之一，得到 {value!r}")
        return value


def load_matching_settings(path=None) -> MatchingSettings:
    """Read the ``matching`` section of the defaults file.

    Parameters
    ----------
    path : path-like, optional
        Another defaults file; by default ``parameters/defaults.yaml``.

    Raises
    ------
    ParameterError
        If a value of the section is invalid; the message names the key.
    """
    defaults = load_defaults(path)
    section = (defaults.model_extra or {}).get("matching") or {}
    source = path or "parameters/defaults.yaml"
    return validate(MatchingSettings, section, f"{source}（matching）")
