"""Employment statistics, 就业奖补 eligibility and matching settings."""

from __future__ import annotations

import numpy as np
import pytest

from fupin_lib import ParameterError
from fupin_lib.matching import MatchingSettings, employment_statistics, load_matching_settings, subsidy_eligibility
from fupin_lib.schema import HOUSEHOLDS, MEMBERS

from test_matching import canonical, household, person


@pytest.fixture
def area():
    """Two villages of one township: 5 laborers in 莲社村 (3 employed), 2 in
    仓社村 (1 employed), plus members who are not laborers."""
    households = [household("H1", village="莲社村"), household("H2", village="莲社村"),
                  household("H3", village="仓社村", household_type="一般农户")]
    members = [
        person(1, "H1", "1980-01-01", work_months=8.0, employment_channel="外出务工"),
        person(2, "H1", "1982-01-01", relation="配偶", sex="女", work_months=4.0, employment_channel="灵活就业"),
        person(3, "H1", "1950-01-01", relation="之父", skill="无劳动力", work_months=12.0),  # not a laborer
        person(4, "H2", "1985-01-01", public_job_months=10.0, skill="弱劳动力或半劳动力"),
        person(5, "H2", "1987-01-01", relation="配偶", sex="女"),
        person(6, "H2", "2006-01-01", relation="之子", school_status="普通高中二年级"),           # student
        person(7, "H1", "1999-01-01", relation="之子", work_months=0.0),
        person(8, "H3", "1990-01-01", work_months=12.0, employment_channel="本地企业"),
        person(9, "H3", "1991-01-01", relation="配偶", sex="女"),
    ]
    return canonical(MEMBERS, members), canonical(HOUSEHOLDS, households)


def test_statistics_counts_by_level(area):
    members, households = area
    stats = employment_statistics(members, households, year=2020, settings=MatchingSettings())
    assert list(stats.columns[:6]) == ["level", "code", "name", "laborers", "employed", "rate"]
    assert stats["level"].tolist() == ["county", "township", "village", "village"]
    county = stats.iloc[0]
    assert (county["code"], county["laborers"], county["employed"]) == ("441224", 7, 4)
    assert county["rate"] == pytest.approx(4 / 7)
    villages = stats[stats["level"] == "village"].set_index("name")
    assert (villages.loc["莲社村", "laborers"], villages.loc["莲社村", "employed"]) == (5, 3)
    assert (villages.loc["仓社村", "laborers"], villages.loc["仓社村", "employed"]) == (2, 1)


def test_statistics_by_channel(area):
    members, households = area
    county = employment_statistics(members, households, year=2020, settings=MatchingSettings()).iloc[0]
    assert county["employed_migrant"] == 1
    assert county["employed_flexible"] == 1
    assert county["employed_public_job"] == 1   # public-job months without a channel
    assert county["employed_local_enterprise"] == 1
    channels = [c for c in county.index if c.startswith("employed_")]
    assert county[channels].sum() == county["employed"]


def test_subsidy_stable_and_casual(area):
    members, households = area
    eligibility = subsidy_eligibility(members, households, year=2020, settings=MatchingSettings()).set_index("id_number")
    assert eligibility.loc[f"44122419{1:010d}", "kind"] == "stable"       # 8 months
    assert eligibility.loc[f"44122419{2:010d}", "kind"] == "casual"       # 4 months
    assert eligibility.loc[f"44122419{4:010d}", "kind"] == ""             # public-welfare post excluded
    assert eligibility.loc[f"44122419{8:010d}", "kind"] == ""             # not a registered poor household
    stats = employment_statistics(members, households, year=2020, settings=MatchingSettings()).iloc[0]
    assert (stats["subsidy_stable"], stats["subsidy_casual"], stats["subsidy_amount"]) == (1, 1, 1500.0)


def test_subsidy_rules_are_configurable(area):
    members, households = area
    settings = MatchingSettings.model_validate({"employment_subsidy": {
        "household_types": ["脱贫户", "一般农户"], "exclude_channels": [],
        "rules": [{"name": "稳岗", "kind": "stable", "min_months": "3", "amount": "800"}]}})
    eligibility = subsidy_eligibility(members, households, year=2020, settings=settings).set_index("id_number")
    assert eligibility.loc[f"44122419{2:010d}", "rule"] == "稳岗"
    assert eligibility.loc[f"44122419{8:010d}", "amount"] == 800.0
    assert eligibility.loc[f"44122419{4:010d}", "rule"] == "稳岗"


def test_statistics_empty_area_has_no_rate():
    members = canonical(MEMBERS, [person(1, "H1", "1940-01-01", skill="无劳动力")])
    households = canonical(HOUSEHOLDS, [household("H1")])
    stats = employment_statistics(members, households, year=2020, settings=MatchingSettings())
    assert stats.empty or np.isnan(stats["rate"]).all()


def test_settings_read_from_defaults_file():
    settings = load_matching_settings()
    assert settings.allocation.tiers[-1] == ("公益性岗位",)
    assert settings.max_distance_km["省外"] is None
    assert set(settings.weights) >= {"intercept", "skill", "proximity"}


def test_settings_reject_unknown_intention(tmp_path):
    path = tmp_path / "defaults.yaml"
    path.write_text('monitoring_lines:\n  "44":\n    2020: 4000\nmatching:\n  max_distance_km:\n    村内: "3"\n',
                    encoding="utf-8")
    with pytest.raises(ParameterError, match="max_distance_km") as raised:
        load_matching_settings(path)
    assert "村内" in str(raised.value)


def test_settings_reject_invalid_number(tmp_path):
    path = tmp_path / "defaults.yaml"
    path.write_text('monitoring_lines:\n  "44":\n    2020: 4000\nmatching:\n  allocation:\n    min_fit: 高\n',
                    encoding="utf-8")
    with pytest.raises(ParameterError, match="allocation.min_fit"):
        load_matching_settings(path)
