"""Monitoring criteria: each criterion, the suggested category and the reason
text, on hand-made households of Guangdong 2020 (monitoring line 4,000 yuan in
parameters/defaults.yaml)."""

from __future__ import annotations

import pandas as pd
import pytest

from fupin_lib import ParameterError
from fupin_lib.checks import CheckSettings, monitoring_flags

from _checks_fixtures import HOUSEHOLD, SECOND_HOUSEHOLD, frames, variant


def _flags(h=None, previous=None, **kwargs):
    households, members = variant(h=h, **kwargs)
    return monitoring_flags(households, members, year=2020, previous_households=previous,
                            params=CheckSettings())


def test_monitoring_flags_columns_and_clean_household():
    result = _flags()
    assert list(result.columns) == ["household_no", "flagged", "suggested_category", "reasons", "below_line",
                                    "income_drop", "high_expense", "basic_needs_gap", "sudden_event"]
    row = result.iloc[0]
    assert row["household_no"] == "H1"
    assert not row["flagged"]
    assert pd.isna(row["suggested_category"])
    assert row["reasons"] == ""


def test_monitoring_flags_below_line_exited():
    row = _flags({"net_income": 9600.0, "net_income_per_capita": 3200.0}).iloc[0]
    assert row["below_line"]
    assert row["flagged"]
    assert row["suggested_category"] == "脱贫不稳定户"
    assert row["reasons"] == "人均纯收入 3,200 元，低于 2020 年监测线 4,000 元"


def test_monitoring_flags_below_line_never_registered():
    h = {"net_income": 9600.0, "net_income_per_capita": 3200.0, "household_type": "一般农户",
         "exit_status": None}
    assert _flags(h).iloc[0]["suggested_category"] == "边缘易致贫户"


def test_monitoring_flags_line_equal_not_below():
    row = _flags({"net_income": 12000.0, "net_income_per_capita": 4000.0}).iloc[0]
    assert not row["below_line"]


def test_monitoring_flags_income_drop():
    previous, _ = frames([{**HOUSEHOLD, "year": 2019, "net_income_per_capita": 18000.0}], [])
    row = _flags(previous=previous).iloc[0]
    # 18,000 -> 11,333.33 is a fall of 37 %, above the 30 % share.
    assert row["income_drop"]
    assert row["suggested_category"] == "突发严重困难户"
    assert row["reasons"] == "人均纯收入较上年 18,000 元下降 37%，降至 11,333 元"


def test_monitoring_flags_small_drop_not_flagged():
    previous, _ = frames([{**HOUSEHOLD, "year": 2019, "net_income_per_capita": 14000.0}], [])
    row = _flags(previous=previous).iloc[0]
    # 14,000 -> 11,333.33 is a fall of 19 %.
    assert not row["income_drop"]
    assert not row["flagged"]


def test_monitoring_flags_drop_ignores_new_household():
    previous, _ = frames([{**SECOND_HOUSEHOLD, "year": 2019, "net_income_per_capita": 50000.0}], [])
    assert not _flags(previous=previous).iloc[0]["income_drop"]


def test_monitoring_flags_high_expense():
    row = _flags({"compliant_expense": 20000.0}).iloc[0]
    # 20,000 of a net income of 34,000 is 59 %, above the 50 % share.
    assert row["high_expense"]
    assert row["suggested_category"] == "突发严重困难户"
    assert row["reasons"] == "合规自付支出 20,000 元，占纯收入的 59%"


def test_monitoring_flags_expense_below_share():
    assert not _flags({"compliant_expense": 16000.0}).iloc[0]["high_expense"]


def test_monitoring_flags_basic_needs_gap():
    row = _flags({"basic_medical_secured": False, "safe_drinking_water": False}).iloc[0]
    assert row["basic_needs_gap"]
    assert row["suggested_category"] == "脱贫不稳定户"
    assert row["reasons"] == "基本医疗、饮水安全未保障"


def test_monitoring_flags_missing_needs_not_gap():
    assert not _flags({"basic_medical_secured": None}).iloc[0]["basic_needs_gap"]


def test_monitoring_flags_sudden_event_and_several_reasons():
    row = _flags({"sudden_hardship": True, "net_income": 9600.0, "net_income_per_capita": 3200.0}).iloc[0]
    assert row["sudden_event"]
    assert row["below_line"]
    assert row["suggested_category"] == "脱贫不稳定户"
    assert row["reasons"] == "人均纯收入 3,200 元，低于 2020 年监测线 4,000 元；发生突发严重困难"


def test_monitoring_flags_per_capita_fallback():
    row = _flags({"net_income": 9000.0, "net_income_per_capita": None}).iloc[0]
    assert row["below_line"]
    assert row["reasons"] == "人均纯收入 3,000 元，低于 2020 年监测线 4,000 元"


def test_monitoring_flags_settings_change_share():
    households, members = variant(h={"compliant_expense": 16000.0})
    result = monitoring_flags(households, members, year=2020,
                              params=CheckSettings(high_expense_share=0.4))
    assert result.iloc[0]["high_expense"]


def test_monitoring_flags_unknown_year_raises():
    households, members = variant()
    with pytest.raises(ParameterError, match="2031"):
        monitoring_flags(households, members, year=2031)
