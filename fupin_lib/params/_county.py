"""Per-county settings of the county runs: ``parameters/counties/<code>.yaml``.

The shared defaults sit under ``county_runs`` in ``parameters/defaults.yaml``;
a county file names the county and overrides any of them. Both files are
read with `load_yaml_strict`, so every value arrives as text and pydantic
converts it to the declared type: a code such as ``0123`` stays text, a
``2020-04-15`` becomes a date only where a date is declared, and ``no`` is
False only in a bool field.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .._errors import ParameterError
from .._paths import parameters_dir
from ._load import load_yaml_strict, validate

__all__ = ["CountyRunDefaults", "CountyParams", "load_county_params"]


class CountyRunDefaults(BaseModel):
    """Settings of every county run that a county file may override."""

    model_config = ConfigDict(extra="forbid")

    # Households the county can visit in one round: the visit list is cut there.
    visit_capacity: int = Field(200, ge=0)
    # A risk probability at or above this puts a household on the visit list.
    visit_probability: float = Field(0.5, ge=0.0, le=1.0)
    # Rows per cadre on one printed page of the visit list.
    max_households_per_cadre: int = Field(15, ge=1)
    # Whether households already monitored also go on the visit list.
    visit_monitored: bool = True


class CountyParams(CountyRunDefaults):
    """Settings of one county run: the defaults merged with the county file.

    Parameters
    ----------
    code : str
        6-digit county code; must match the file name.
    name : str
        County name as printed on the reports (``怀集县``).
    responsible_office : str
        Office that owns the problem list and the visits (责任单位).
    rectification_deadline : date, optional
        Deadline of the problems found in this run (整改时限). Without it the
        deadline is 31 December of the data year.
    contact : str, optional
        Office telephone printed on the visit list.
    """

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    responsible_office: str
    rectification_deadline: datetime.date | None = None
    contact: str = ""

    @field_validator("code")
    @classmethod
    def _code_is_six_digits(cls, value):
        if not (len(value) == 6 and value.isdigit()):
            raise ValueError(f"县代码应为 6 位数字，得到 {value!r}")
        return value


def _shared_defaults(defaults_file: Path) -> dict:
    data = load_yaml_strict(defaults_file) or {}
    section = data.get("county_runs", {}) if isinstance(data, dict) else {}
    validate(CountyRunDefaults, section, f"{defaults_file}（county_runs）")
    return dict(section)


def load_county_params(county_code: str, *, path: str | Path | None = None,
                       defaults_file: str | Path | None = None,
                       county_name: str | None = None) -> CountyParams:
    """Load and validate the settings of one county.

    Parameters
    ----------
    county_code : str
        6-digit county code.
    path : path-like, optional
        The county file; by default ``parameters/counties/<county_code>.yaml``.
        When that default file does not exist, the shared defaults are used
        with `county_name` and the office ``<county_name>乡村振兴局``.
    defaults_file : path-like, optional
        By default ``parameters/defaults.yaml``.
    county_name : str, optional
        Name used when there is no county file.

    Returns
    -------
    CountyParams

    Raises
    ------
    ParameterError
        If a value is invalid, a given file is missing, or the file belongs to
        another county.
    """
    county_code = str(county_code)
    defaults_file = Path(defaults_file) if defaults_file else parameters_dir() / "defaults.yaml"
    merged = _shared_defaults(defaults_file)
    if path is None and not (parameters_dir() / "counties" / f"{county_code}.yaml").exists():
        name = county_name or county_code
        merged.update(code=county_code, name=name, responsible_office=f"{name}乡村振兴局")
        return validate(CountyParams, merged, defaults_file)

    path = Path(path) if path else parameters_dir() / "counties" / f"{county_code}.yaml"
    county = load_yaml_strict(path)
    if not isinstance(county, dict):
        raise ParameterError(f"参数文件 {path} 应为键值对（code: ...、name: ...），实际内容无法识别。")
    merged.update(county)
    params = validate(CountyParams, merged, path)
    if params.code != county_code:
        raise ParameterError(
            f"参数文件 {path} 的 code 为 {params.code!r}，与要运行的县 {county_code!r} 不一致。"
            "请检查文件名和文件中的 code。"
        )
    return params
