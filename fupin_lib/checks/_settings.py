"""Settings of the checks, the monitoring criteria and the ledger, read from
``parameters/checks.yaml``.

The file contains settings for every province and year, a list of disabled
checks, and overrides for a province (and optionally some years). Values are
read as text by `load_yaml_strict` and converted to the types declared here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .._errors import ParameterError
from .._paths import parameters_dir
from ..params import load_yaml_strict
from ..params._load import validate

__all__ = ["CheckSettings", "ChecksConfig", "ResolvedChecks", "load_check_config", "resolve_checks"]


class CheckSettings(BaseModel):
    """Thresholds that the checks, `monitoring_flags` and the ledger read.

    Ages are in whole years at the end of the data year, money in yuan.
    """

    model_config = ConfigDict(extra="forbid")

    min_labor_age: int = 16
    max_labor_age: int = 59
    max_public_job_age: int = 70
    min_monthly_wage: float = 100
    max_monthly_wage: float = 30_000
    primary_school_ages: tuple[int, int] = (6, 14)
    junior_school_ages: tuple[int, int] = (12, 17)
    senior_school_ages: tuple[int, int] = (15, 20)
    min_postgraduate_age: int = 20
    low_education_ages: tuple[int, int] = (16, 22)
    compulsory_school_ages: tuple[int, int] = (7, 15)
    max_preschool_age: int = 6
    max_age: int = 110
    min_parent_child_gap: int = 15
    min_monitoring_months: int = 6
    income_tolerance: float = 10
    income_drop_share: float = Field(0.3, gt=0, lt=1)
    high_expense_share: float = Field(0.5, gt=0)
    ledger_deadline_days: int = Field(30, gt=0)

    @field_validator(
        "primary_school_ages", "junior_school_ages", "senior_school_ages",
        "low_education_ages", "compulsory_school_ages",
    )
    @classmethod
    def _range_is_ordered(cls, value):
        if value[0] > value[1]:
            raise ValueError(f"年龄区间的下限应不大于上限，得到 {list(value)}")
        return value


class Override(BaseModel):
    """Settings and disabled checks for one province, all years or some."""

    model_config = ConfigDict(extra="forbid")

    province: str
    years: list[int] | None = None
    disabled: list[str] = []
    enabled: list[str] = []
    settings: dict[str, str | list[str]] = {}

    @field_validator("province")
    @classmethod
    def _province_is_two_digits(cls, value):
        if not (len(value) == 2 and value.isdigit()):
            raise ValueError(f"省代码应为两位数字，得到 {value!r}")
        return value


class ChecksConfig(BaseModel):
    """The content of ``parameters/checks.yaml``."""

    model_config = ConfigDict(extra="forbid")

    settings: CheckSettings = CheckSettings()
    disabled: list[str] = []
    overrides: list[Override] = []

    @model_validator(mode="after")
    def _codes_are_known(self):
        from ._registry import CATALOGUE

        named = set(self.disabled)
        for override in self.overrides:
            named |= set(override.disabled) | set(override.enabled)
            CheckSettings.model_validate({**self.settings.model_dump(), **override.settings})
        unknown = sorted(named - set(CATALOGUE))
        if unknown:
            raise ValueError(f"未知的核查编码：{', '.join(unknown)}")
        return self


class ResolvedChecks(BaseModel):
    """Settings and enabled check codes for one province and year."""

    settings: CheckSettings
    enabled: tuple[str, ...]


def load_check_config(path: str | Path | None = None) -> ChecksConfig:
    """Load and validate ``parameters/checks.yaml`` (or `path`).

    Raises
    ------
    ParameterError
        If the file is missing, not YAML, or contains an invalid value or an
        unknown check code.
    """
    path = Path(path) if path is not None else parameters_dir() / "checks.yaml"
    data = load_yaml_strict(path) or {}
    if not isinstance(data, dict):
        raise ParameterError(f"参数文件 {path} 的顶层应为键值对（settings、disabled、overrides）。")
    return validate(ChecksConfig, data, path)


def resolve_checks(province_code: str | None, year: int,
                   config: ChecksConfig | None = None) -> ResolvedChecks:
    """Apply the overrides of `province_code` and `year` to the settings and
    the list of enabled checks.

    Overrides apply in file order, so a later one wins.
    """
    from ._registry import CATALOGUE

    config = config if config is not None else load_check_config()
    values = config.settings.model_dump()
    disabled = set(config.disabled)
    province = str(province_code)[:2] if province_code else None
    for override in config.overrides:
        if override.province != province:
            continue
        if override.years is not None and int(year) not in override.years:
            continue
        values.update(override.settings)
        disabled = (disabled | set(override.disabled)) - set(override.enabled)
    settings = CheckSettings.model_validate(values)
    enabled = tuple(code for code in CATALOGUE if code not in disabled)
    return ResolvedChecks(settings=settings, enabled=enabled)
