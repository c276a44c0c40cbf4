"""parameters/checks.yaml: strict loading, typed values, overrides by province
and year, and the errors for invalid values and unknown codes."""

from __future__ import annotations

import pytest

from fupin_lib import ParameterError
from fupin_lib.checks import CATALOGUE, ChecksConfig, load_check_config, resolve_checks, run_checks

from _checks_fixtures import variant

OVERRIDES = """
settings:
  max_monthly_wage: 30000
disabled: ["10_01_005"]
overrides:
  - province: "44"
    years: [2020]
    disabled: ["7_01_004"]
    settings:
      max_monthly_wage: 20000
      junior_school_ages: [11, 16]
  - province: "44"
    enabled: ["10_01_005"]
  - province: "45"
    disabled: ["1_01_001"]
"""


def _write(tmp_path, text):
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_checks_yaml_loads():
    config = load_check_config()
    resolved = resolve_checks("44", 2020, config)
    assert resolved.settings.max_monthly_wage == 30000.0
    assert resolved.settings.junior_school_ages == (12, 17)
    assert set(resolved.enabled) == set(CATALOGUE)


def test_overrides_apply_by_province_and_year(tmp_path):
    config = load_check_config(_write(tmp_path, OVERRIDES))
    guangdong_2020 = resolve_checks("441224", 2020, config)
    assert guangdong_2020.settings.max_monthly_wage == 20000.0
    assert isinstance(guangdong_2020.settings.max_monthly_wage, float)
    assert guangdong_2020.settings.junior_school_ages == (11, 16)
    assert "7_01_004" not in guangdong_2020.enabled
    assert "10_01_005" in guangdong_2020.enabled
    guangdong_2019 = resolve_checks("44", 2019, config)
    assert guangdong_2019.settings.max_monthly_wage == 30000.0
    assert "7_01_004" in guangdong_2019.enabled
    guangxi = resolve_checks("45", 2020, config)
    assert "10_01_005" not in guangxi.enabled
    assert "1_01_001" not in guangxi.enabled


def test_override_changes_check_result(tmp_path):
    config = load_check_config(_write(tmp_path, OVERRIDES))
    households, members = variant(m={0: {"monthly_wage": 25000.0}})
    hits = run_checks(households, members, year=2020, codes=["7_01_004", "3_01_004"], config=config)
    # 7_01_004 is disabled for Guangdong 2020; the child of 12 is inside 11-16.
    assert hits.empty
    hits = run_checks(households, members, year=2019, codes=["7_01_004"], config=config)
    assert hits.empty
    households, members = variant(m={0: {"monthly_wage": 35000.0}})
    hits = run_checks(households, members, year=2019, codes=["7_01_004"], config=config)
    assert list(hits["person_no"]) == ["P1"]


def test_invalid_value_names_file_and_key(tmp_path):
    path = _write(tmp_path, "settings:\n  max_monthly_wage: 三万\n")
    with pytest.raises(ParameterError, match=r"checks\.yaml.*settings\.max_monthly_wage"):
        load_check_config(path)


def test_unknown_code_rejected(tmp_path):
    path = _write(tmp_path, 'disabled: ["9_99_999"]\n')
    with pytest.raises(ParameterError, match="9_99_999"):
        load_check_config(path)


def test_unknown_setting_rejected(tmp_path):
    path = _write(tmp_path, "settings:\n  max_wage: 1\n")
    with pytest.raises(ParameterError, match="max_wage"):
        load_check_config(path)


def test_unordered_age_range_rejected(tmp_path):
    path = _write(tmp_path, "settings:\n  junior_school_ages: [17, 12]\n")
    with pytest.raises(ParameterError, match="下限应不大于上限"):
        load_check_config(path)


def test_unknown_code_in_run_rejected():
    households, members = variant()
    with pytest.raises(ParameterError, match="未知的核查编码：0_00_000"):
        run_checks(households, members, year=2020, codes=["0_00_000"], config=ChecksConfig())
