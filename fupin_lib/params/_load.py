"""Strict loading of parameter files.

YAML 1.1 loaders turn ``0123`` into 83, ``no`` into False and ``2020-04-15``
into a date. Parameter files are therefore read with every scalar kept as the
text written. Each value is then converted to the type that its pydantic model
declares, so a county code stays ``"441202"``. A wrong value is rejected with
the file and key named.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .._errors import ParameterError
from .._paths import parameters_dir

__all__ = ["load_yaml_strict", "load_defaults", "monitoring_line", "Defaults"]


def load_yaml_strict(path: str | Path) -> Any:
    """Read a YAML file keeping every scalar as a string.

    Raises
    ------
    ParameterError
        If the file is missing or is not valid YAML.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ParameterError(f"参数文件不存在：{path}。请检查路径，或从 parameters/ 复制一份。") from error
    try:
        return yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise ParameterError(f"参数文件 {path} 不是有效的 YAML：{error}") from error


def validate(model: type[BaseModel], data: Any, path: str | Path) -> BaseModel:
    """Convert strict-loaded YAML `data` into `model`, naming the file and key
    of every invalid value."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "；".join(
            f"{'.'.join(str(p) for p in e['loc'])}：{e['msg']}（值：{e.get('input')!r}）"
            for e in error.errors()
        )
        raise ParameterError(f"参数文件 {path} 中有无效的值：{problems}") from error


class Defaults(BaseModel):
    """The settings of ``parameters/defaults.yaml`` that the library reads
    directly. Other top-level sections are owned by their modules."""

    model_config = ConfigDict(extra="allow")

    # province code (2 digits) -> year -> yuan per person per year
    monitoring_lines: dict[str, dict[int, float]]

    @field_validator("monitoring_lines")
    @classmethod
    def _province_codes_are_two_digits(cls, value):
        for code in value:
            if not (len(code) == 2 and code.isdigit()):
                raise ValueError(f"省代码应为两位数字，得到 {code!r}")
        return value


@functools.lru_cache(maxsize=8)
def _load_defaults_cached(path: str) -> Defaults:
    return validate(Defaults, load_yaml_strict(path), path)


def load_defaults(path: str | Path | None = None) -> Defaults:
    """Load and validate ``parameters/defaults.yaml``.

    Parameters
    ----------
    path : path-like, optional
        Another defaults file; by default the one in `parameters_dir`.
    """
    path = Path(path) if path is not None else parameters_dir() / "defaults.yaml"
    return _load_defaults_cached(str(path.resolve()))


def monitoring_line(province_code: str, year: int, *, defaults: Defaults | None = None) -> float:
    """Return the monitoring income line (yuan per person per year) of a
    province and year.

    The lines live only in ``parameters/defaults.yaml``; every part of the
    workbench calls this function instead of holding a constant.

    Raises
    ------
    ParameterError
        If the file has no line for that province and year.
    """
    defaults = defaults or load_defaults()
    province_code = str(province_code)[:2]
    lines = defaults.monitoring_lines.get(province_code, {})
    if int(year) not in lines:
        known = ", ".join(f"{p}:{sorted(y)}" for p, y in defaults.monitoring_lines.items())
        raise ParameterError(
            f"parameters/defaults.yaml 中没有省代码 {province_code} 在 {year} 年的监测线"
            f"（已有：{known}）。请在 monitoring_lines 下补充该省该年的数值。"
        )
    return float(lines[int(year)])
