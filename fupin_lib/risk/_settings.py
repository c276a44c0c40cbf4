"""The ``risk:`` section of ``parameters/defaults.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from ..params import load_defaults
from ..params._load import validate

__all__ = ["RiskSettings", "RiskBands", "load_risk_settings", "LabelDefinition"]

LabelDefinition = Literal["below_line", "monitored", "either"]


class RiskBands(BaseModel):
    """Probability thresholds of the risk bands 高 and 中 (低 is below `medium`)."""

    model_config = ConfigDict(extra="forbid")

    high: float = 0.30
    medium: float = 0.10

    @model_validator(mode="after")
    def _ordered(self):
        if not 0.0 < self.medium < self.high < 1.0:
            raise ValueError(f"应满足 0 < medium < high < 1，得到 medium={self.medium}, high={self.high}")
        return self


class RiskSettings(BaseModel):
    """Settings of the risk model.

    Parameters
    ----------
    label : {"below_line", "monitored", "either"}, default="either"
        Positive label in year t+1: per-capita net income below the monitoring
        line, identified as a monitoring object (and not eliminated), or either.
    bands : RiskBands
        Probability thresholds of the risk bands.
    """

    model_config = ConfigDict(extra="forbid")

    label: LabelDefinition = "either"
    bands: RiskBands = RiskBands()


def load_risk_settings(defaults=None) -> RiskSettings:
    """Read the ``risk:`` section of the defaults file (built-in values when
    the section is missing).

    Raises
    ------
    ParameterError
        If a value of the section is invalid.
    """
    defaults = defaults or load_defaults()
    section = (defaults.model_extra or {}).get("risk") or {}
    return validate(RiskSettings, section, "parameters/defaults.yaml (risk)")
