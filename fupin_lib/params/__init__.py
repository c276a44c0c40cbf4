"""Parameter files under ``parameters/``: strict YAML loading and the
monitoring income line."""

from ._county import CountyParams, load_county_params
from ._load import load_defaults, load_yaml_strict, monitoring_line

__all__ = [
    "load_yaml_strict",
    "load_defaults",
    "monitoring_line",
    "CountyParams",
    "load_county_params",
]
