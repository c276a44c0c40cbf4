"""County parameter files and the type checks of the county notebook's
parameters (no kernels)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from fupin_lib import ParameterError
from fupin_lib.params import CountyParams, load_county_params
from fupin_lib.runs import build_county_report
from fupin_lib.runs._runner import _check_parameters, default_notebook

ROOT = Path(__file__).resolve().parents[1]
ZHAOQING = ("441202", "441203", "441204", "441223", "441224", "441225", "441226", "441284")


@pytest.mark.parametrize("code", ZHAOQING)
def test_county_file_valid(code):
    params = load_county_params(code, path=ROOT / "parameters" / "counties" / f"{code}.yaml",
                                defaults_file=ROOT / "parameters" / "defaults.yaml")
    assert isinstance(params, CountyParams)
    assert params.code == code
    assert params.name.endswith(("区", "县", "市"))
    assert params.visit_capacity > 0


def _write(tmp_path, text, name="441224.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_county_yaml_keeps_text_values(tmp_path):
    # YAML 1.1 would read these as 83, a date and False.
    path = _write(tmp_path, 'code: "441224"\nname: no\nresponsible_office: 0123\n'
                            'contact: 2020-04-15\nrectification_deadline: 2020-04-15\n'
                            'visit_monitored: no\n')
    params = load_county_params("441224", path=path, defaults_file=ROOT / "parameters" / "defaults.yaml")
    assert params.name == "no"
    assert params.responsible_office == "0123"
    assert params.contact == "2020-04-15"
    assert params.rectification_deadline == datetime.date(2020, 4, 15)
    assert params.visit_monitored is False


def test_county_code_unquoted_leading_zero_stays_text(tmp_path):
    path = _write(tmp_path, "code: 012345\nname: 测试县\nresponsible_office: 测试县乡村振兴局\n",
                  name="012345.yaml")
    params = load_county_params("012345", path=path, defaults_file=ROOT / "parameters" / "defaults.yaml")
    assert params.code == "012345"


@pytest.mark.parametrize("line, key", [
    ("visit_capacity: many", "visit_capacity"),
    ("visit_capacity: -5", "visit_capacity"),
    ("visit_probability: 1.5", "visit_probability"),
    ("rectification_deadline: 2020-13-45", "rectification_deadline"),
    ("visit_monitored: perhaps", "visit_monitored"),
    ("visits_per_day: 3", "visits_per_day"),
])
def test_county_yaml_invalid_value_names_file_and_key(tmp_path, line, key):
    path = _write(tmp_path, f'code: "441224"\nname: 怀集县\nresponsible_office: 局\n{line}\n')
    with pytest.raises(ParameterError, match=key) as caught:
        load_county_params("441224", path=path, defaults_file=ROOT / "parameters" / "defaults.yaml")
    assert str(path) in str(caught.value)


def test_county_file_of_other_county_rejected(tmp_path):
    path = _write(tmp_path, 'code: "441226"\nname: 德庆县\nresponsible_office: 局\n')
    with pytest.raises(ParameterError, match="441226"):
        load_county_params("441224", path=path, defaults_file=ROOT / "parameters" / "defaults.yaml")


def test_county_without_file_uses_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_PARAMETERS", str(ROOT / "parameters"))
    params = load_county_params("441299", county_name="某县")
    assert params.name == "某县"
    assert params.responsible_office == "某县乡村振兴局"
    assert params.visit_capacity == 200


@pytest.mark.parametrize("arguments, message", [
    (dict(county_code=441224, year=2020), "county_code"),
    (dict(county_code="4412", year=2020), "county_code"),
    (dict(county_code="441224", year="2020"), "year"),
    (dict(county_code="441224", year=True), "year"),
    (dict(county_code="441224", year=2020, model_dir=None), "model_dir"),
])
def test_report_arguments_type_checked(tmp_path, arguments, message):
    with pytest.raises(ParameterError, match=message):
        build_county_report(**{"data_dir": str(tmp_path), **arguments})


def test_report_missing_county_data_rejected(tmp_path):
    with pytest.raises(ParameterError, match="fupin import"):
        build_county_report("441224", 2020, data_dir=str(tmp_path))


def test_notebook_unknown_parameter_rejected():
    with pytest.raises(ParameterError, match="county_name"):
        _check_parameters(default_notebook(), {"county_code": "441224", "county_name": "怀集县"})


def test_notebook_parameter_wrong_type_rejected():
    with pytest.raises(ParameterError, match="county_code"):
        _check_parameters(default_notebook(), {"county_code": 441224})


def test_notebook_declares_runner_parameters():
    import nbformat

    notebook = nbformat.read(str(default_notebook()), as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    _check_parameters(default_notebook(), {"county_code": "441224", "year": 2020, "data_dir": "",
                                           "model_dir": "", "params_file": "", "output_dir": ""})
    code_cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert not any("def " in source or "class " in source for source in code_cells)
    assert not any("Agg" in source or "matplotlib.use" in source for source in code_cells)


def test_ledger_write_retried_when_locked(monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from fupin_lib.runs import _sources

    monkeypatch.setattr(_sources.time, "sleep", lambda seconds: None)
    calls = []

    def write(*, county_code):
        calls.append(county_code)
        if len(calls) < 3:
            raise OperationalError("UPDATE problem_items", {}, sqlite3.OperationalError("database is locked"))
        return "written"

    assert _sources._retry_locked(write, county_code="441224") == "written"
    assert calls == ["441224"] * 3


def test_ledger_write_other_error_not_retried():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from fupin_lib.runs import _sources

    calls = []

    def write():
        calls.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: problem_items"))

    with pytest.raises(OperationalError, match="no such table"):
        _sources._retry_locked(write)
    assert calls == [1]
