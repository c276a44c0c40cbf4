"""KPI functions of fupin_lib.metrics on the hand-made example outputs, whose
totals are listed in fupin_lib.metrics._synthetic.EXAMPLE_VILLAGES."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from sqlalchemy import update

from fupin_lib import AccessDeniedError, FupinError
from fupin_lib.cases import Case, get_engine, init_db, upsert_run_results
from fupin_lib.cases.access import User
from fupin_lib.metrics import (
    available_years,
    cases_by_status,
    children,
    clear_summaries,
    employment_rate,
    kpis,
    problem_households,
    problem_villages,
    top_area,
)
from fupin_lib.metrics._synthetic import write_example_outputs, write_outputs

LIANMAI = "441224118"
HUAIJI = "441224"
DEQING = "441226"
ZHAOQING = "4412"

LEADER = User("leader", "leader", ZHAOQING)
TOWNSHIP = User("lianmai", "reviewer", LIANMAI)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The example outputs: 怀集县 (连麦镇 with 莲社村, 仓社村, 下坑村, and
    怀城街道 with 城东村) and 德庆县 (新圩镇 with 河口村), 2019 and 2020."""
    root = tmp_path_factory.mktemp("outputs")
    write_example_outputs(root)
    return root


def _village_code(root, name, year=2020):
    frame = pd.read_parquet(root / HUAIJI / str(year) / "households.parquet")
    return frame.loc[frame["village"] == name, "village_code"].iloc[0]


def test_kpis_lianmai_employment_rate(outputs):
    figures = kpis(LIANMAI, 2020, outputs_root=outputs, user=LEADER)
    assert figures["laborers"] == 128
    assert figures["employed"] == 116
    assert figures["employment_rate"] == pytest.approx(116 / 128)
    assert round(figures["employment_rate"] * 100, 4) == 90.625


def test_kpis_lianmai_counts(outputs):
    figures = kpis(LIANMAI, 2020, outputs_root=outputs, user=LEADER)
    assert figures["area_name"] == "连麦镇"
    assert figures["level"] == "township"
    assert figures["households"] == 49
    assert figures["people"] == 16 * 4 + 14 * 3 + 19 * 3
    assert figures["verified_households"] == 47
    assert figures["verified_share"] == pytest.approx(47 / 49)
    assert figures["monitored"] == 7
    assert figures["monitored_by_category"] == {"脱贫不稳定户": 3, "边缘易致贫户": 3, "突发严重困难户": 1}
    # Band 低 is "no warning": only 高 and 中 are flagged.
    assert figures["flagged_by_band"] == {"高": 6, "中": 6}
    assert figures["flagged"] == 12
    assert figures["rule_flagged"] == 9
    assert figures["problems_open"] == 16
    assert figures["problems_closed"] == 20
    assert figures["clearance_rate"] == pytest.approx(20 / 36)


def test_kpis_change_from_previous_year(outputs):
    figures = kpis(LIANMAI, 2020, outputs_root=outputs, user=LEADER)
    assert figures["previous"]["employed"] == 105
    assert figures["previous"]["problems_open"] == 27
    assert figures["change"]["employed"] == 11
    assert figures["change"]["problems_open"] == -11
    assert figures["change"]["verified_households"] == 47 - 39
    assert figures["change"]["employment_rate"] == pytest.approx(116 / 128 - 105 / 128)


def test_kpis_first_year_has_no_previous(outputs):
    figures = kpis(LIANMAI, 2019, outputs_root=outputs, user=LEADER)
    assert figures["previous"] is None
    assert figures["change"] == {}
    assert figures["employed"] == 105


def test_kpis_year_without_outputs_is_zero(outputs):
    figures = kpis(ZHAOQING, 2015, outputs_root=outputs, user=LEADER)
    assert figures["households"] == 0
    assert figures["employment_rate"] is None
    assert figures["monitored_by_category"] == {}


@pytest.mark.parametrize(
    "area, households, people, laborers, employed, problems_open",
    [
        (ZHAOQING, 69, 233, 158, 132, 19),
        (HUAIJI, 59, 183, 138, 122, 16),
        (DEQING, 10, 50, 20, 10, 3),
        ("441224001", 10, 20, 10, 6, 0),
    ],
    ids=["city", "county", "other-county", "other-township"],
)
def test_kpis_area_totals(outputs, area, households, people, laborers, employed, problems_open):
    figures = kpis(area, 2020, outputs_root=outputs, user=LEADER)
    assert figures["households"] == households
    assert figures["people"] == people
    assert figures["laborers"] == laborers
    assert figures["employed"] == employed
    assert figures["problems_open"] == problems_open


@pytest.mark.parametrize("county", [HUAIJI, DEQING])
def test_kpis_county_equals_kpis_json(outputs, county):
    written = json.loads((outputs / county / "2020" / "kpis.json").read_text(encoding="utf-8"))
    figures = kpis(county, 2020, outputs_root=outputs, user=LEADER)
    for key in ("households", "people", "verified_households", "rule_flagged", "problems_open",
                "problems_closed", "laborers", "employed"):
        assert figures[key] == written[key], key
    assert figures["monitored_by_category"] == {k: v for k, v in written["monitored_by_category"].items() if v}
    assert figures["flagged_by_band"] == {k: v for k, v in written["flagged_by_band"].items() if v}


def test_children_of_city_are_counties(outputs):
    rows = children(ZHAOQING, 2020, "households", outputs_root=outputs, user=LEADER)
    assert rows["code"].tolist() == [HUAIJI, DEQING]
    assert rows["name"].tolist() == ["怀集县", "德庆县"]
    assert set(rows["level"]) == {"county"}
    assert rows["value"].tolist() == [59, 10]


def test_children_ranked_by_kpi(outputs):
    rows = children(LIANMAI, 2020, "problems_open", outputs_root=outputs, user=LEADER)
    assert rows["name"].tolist() == ["下坑村", "莲社村", "仓社村"]
    assert rows["value"].tolist() == [9, 5, 2]
    assert rows["laborers"].sum() == 128
    assert rows["employed"].sum() == 116


def test_children_ranked_by_ratio(outputs):
    rows = children(LIANMAI, 2020, "employment_rate", outputs_root=outputs, user=LEADER)
    rates = dict(zip(rows["name"], rows["value"]))
    assert rates["莲社村"] == pytest.approx(44 / 48)
    assert rates["仓社村"] == pytest.approx(38 / 42)
    assert rates["下坑村"] == pytest.approx(34 / 38)
    assert rows["name"].tolist() == ["莲社村", "仓社村", "下坑村"]


def test_children_of_village_are_masked_households(outputs):
    village = _village_code(outputs, "下坑村")
    rows = children(village, 2020, "problems_open", outputs_root=outputs, user=LEADER)
    assert len(rows) == 19
    assert set(rows["level"]) == {"household"}
    assert rows["households"].eq(1).all()
    assert rows["name"].str.fullmatch(r".\*+").all()
    assert rows["problems_open"].sum() == 9
    assert rows["laborers"].sum() == 38


def test_children_rejects_unknown_kpi(outputs):
    with pytest.raises(ValueError, match="kpi must be one of"):
        children(ZHAOQING, 2020, "income", outputs_root=outputs, user=LEADER)


def test_problem_villages_ranked(outputs):
    rows = problem_villages(ZHAOQING, 2020, outputs_root=outputs, user=LEADER)
    # 城东村 has no open item but one high-risk household, so it comes last.
    assert rows["village"].tolist() == ["下坑村", "莲社村", "河口村", "仓社村", "城东村"]
    assert rows["problems_open"].tolist() == [9, 5, 3, 2, 0]
    assert rows["problems_open"].dtype.kind == "i"
    assert rows.loc[4, "flagged_high"] == 1


def test_problem_villages_limit(outputs):
    rows = problem_villages(ZHAOQING, 2020, outputs_root=outputs, user=LEADER, limit=2)
    assert rows["village"].tolist() == ["下坑村", "莲社村"]


def test_problem_households_ranked(outputs):
    village = _village_code(outputs, "下坑村")
    rows = problem_households(village, 2020, outputs_root=outputs, user=LEADER)
    assert len(rows) == 9
    assert rows["problems_open"].eq(1).all()
    assert rows["risk_probability"].is_monotonic_decreasing
    assert rows["head_name_masked"].str.fullmatch(r".\*+").all()


def test_employment_rate_from_members(outputs):
    result = employment_rate(LIANMAI, 2020, outputs_root=outputs, user=LEADER)
    assert result["laborers"] == 128
    assert result["employed"] == 116
    assert result["rate"] == pytest.approx(0.90625)
    assert sum(result["by_channel"].values()) == 116


def test_employment_rate_without_outputs(outputs):
    result = employment_rate(ZHAOQING, 2016, outputs_root=outputs, user=LEADER)
    assert result == {"laborers": 0, "employed": 0, "rate": None, "by_channel": {}}


def test_township_user_sees_only_township(outputs):
    figures = kpis(ZHAOQING, 2020, outputs_root=outputs, user=TOWNSHIP)
    assert figures["area_code"] == LIANMAI
    assert figures["households"] == 49
    rows = children(HUAIJI, 2020, "households", outputs_root=outputs, user=TOWNSHIP)
    assert rows["code"].tolist() == [LIANMAI]
    villages = problem_villages(ZHAOQING, 2020, outputs_root=outputs, user=TOWNSHIP)
    assert set(villages["township_code"]) == {LIANMAI}
    households = problem_households(ZHAOQING, 2020, outputs_root=outputs, user=TOWNSHIP)
    assert households["household_no"].str.startswith(HUAIJI).all()
    assert set(households["village"]) <= {"莲社村", "仓社村", "下坑村"}
    assert employment_rate(HUAIJI, 2020, outputs_root=outputs, user=TOWNSHIP)["laborers"] == 128


@pytest.mark.parametrize(
    "function",
    [
        lambda root, user: kpis(DEQING, 2020, outputs_root=root, user=user),
        lambda root, user: children(DEQING, 2020, outputs_root=root, user=user),
        lambda root, user: problem_villages(DEQING, 2020, outputs_root=root, user=user),
        lambda root, user: problem_households(DEQING, 2020, outputs_root=root, user=user),
        lambda root, user: employment_rate(DEQING, 2020, outputs_root=root, user=user),
    ],
    ids=["kpis", "children", "problem_villages", "problem_households", "employment_rate"],
)
def test_other_area_is_denied(outputs, function):
    with pytest.raises(AccessDeniedError, match="无权查看区域 441226"):
        function(outputs, TOWNSHIP)


def test_missing_user_is_denied(outputs):
    with pytest.raises(AccessDeniedError):
        kpis(ZHAOQING, 2020, outputs_root=outputs, user=None)


def test_village_user_sees_own_households(outputs):
    village = _village_code(outputs, "仓社村")
    user = User("cangshe", "cadre", village)
    villages = children(LIANMAI, 2020, "households", outputs_root=outputs, user=user)
    assert villages["name"].tolist() == ["仓社村"]
    rows = children(village, 2020, "households", outputs_root=outputs, user=user)
    assert len(rows) == 14
    assert set(rows["level"]) == {"household"}


def test_available_years_and_top_area(outputs):
    assert available_years(outputs) == [2019, 2020]
    assert available_years(outputs, DEQING) == [2019, 2020]
    assert top_area(outputs, TOWNSHIP) == LIANMAI
    assert top_area(outputs, LEADER) == ZHAOQING


def test_summary_follows_a_new_run(tmp_path):
    write_example_outputs(tmp_path)
    assert kpis(DEQING, 2020, outputs_root=tmp_path, user=LEADER)["problems_open"] == 3

    households = pd.read_parquet(tmp_path / DEQING / "2020" / "households.parquet")
    households["problems_open"] = 0
    households = households.drop(columns=["risk_rank"])
    write_outputs(tmp_path, households)
    os.utime(tmp_path / DEQING / "2020" / "households.parquet", ns=(1, 1))

    assert kpis(DEQING, 2020, outputs_root=tmp_path, user=LEADER)["problems_open"] == 0
    assert kpis(ZHAOQING, 2020, outputs_root=tmp_path, user=LEADER)["problems_open"] == 16
    clear_summaries()


def test_damaged_output_raises_chinese_error(tmp_path):
    write_example_outputs(tmp_path)
    (tmp_path / DEQING / "2020" / "households.parquet").write_bytes(b"not parquet")
    with pytest.raises(FupinError, match="读取运行结果失败"):
        kpis(ZHAOQING, 2020, outputs_root=tmp_path, user=LEADER)


def test_cases_by_status_in_area(outputs, tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    init_db(url)
    for county in (HUAIJI, DEQING):
        frame = pd.read_parquet(outputs / county / "2020" / "households.parquet")
        upsert_run_results(frame, county_code=county, year=2020, url=url)
    engine = get_engine(url)
    with engine.begin() as connection:
        first = connection.execute(Case.__table__.select().order_by(Case.id).limit(2)).fetchall()
        connection.execute(update(Case).where(Case.id.in_([row.id for row in first])).values(state="入户核实"))

    # Flagged (rule flag or high risk): 莲社村 3, 仓社村 2, 下坑村 4, 城东村 1, 河口村 0.
    assert cases_by_status(HUAIJI, 2020, user=LEADER, url=url) == {"线索": 8, "入户核实": 2}
    assert sum(cases_by_status(LIANMAI, 2020, user=LEADER, url=url).values()) == 9
    assert sum(cases_by_status(ZHAOQING, 2020, user=TOWNSHIP, url=url).values()) == 9
    assert cases_by_status(ZHAOQING, 2019, user=LEADER, url=url) == {}
    with pytest.raises(AccessDeniedError):
        cases_by_status(DEQING, 2020, user=TOWNSHIP, url=url)


def test_cases_by_status_without_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert cases_by_status(ZHAOQING, 2020, user=LEADER, url=url) == {}


def test_kpis_agree_with_county_run_kpis(outputs):
    from fupin_lib.metrics import county_kpis

    folder = outputs / HUAIJI / "2020"
    run = county_kpis(pd.read_parquet(folder / "households.parquet"),
                      pd.read_parquet(folder / "employment.parquet"),
                      county_code=HUAIJI, county="怀集县", year=2020, generated_at="")
    figures = kpis(HUAIJI, 2020, outputs_root=outputs, user=LEADER)
    for key in ("households", "people", "verified_households", "rule_flagged", "problems_open",
                "problems_closed", "laborers", "employed"):
        assert figures[key] == run[key], key
    assert figures["employment_rate"] == pytest.approx(run["employment_rate"], abs=1e-4)
    assert figures["monitored_by_category"] == {k: v for k, v in run["monitored_by_category"].items() if v}
    assert figures["flagged_by_band"] == {k: v for k, v in run["flagged_by_band"].items() if v}


def test_county_kpis_count_only_warning_bands():
    from fupin_lib.metrics import county_kpis

    households = pd.DataFrame({
        "household_no": list("abcdef"),
        "risk_band": pd.array(["高", "中", "中", "低", "低", pd.NA], dtype="string"),
        "monitoring_category": pd.array([pd.NA] * 6, dtype="string"),
        "verified": [False] * 6, "rule_flagged": [False] * 6,
        "problems_open": [0] * 6, "problems_closed": [0] * 6,
    })
    employment = pd.DataFrame({"household_no": list("aabcdefz"), "is_laborer": [True] * 8,
                               "employed": [True] * 8})
    figures = county_kpis(households, employment, county_code=HUAIJI, county="怀集县", year=2020,
                          generated_at="")
    assert figures["flagged_by_band"] == {"高": 1, "中": 2}
    assert figures["flagged"] == 3
    assert figures["scored_no_warning"] == 2
    # The unscored household (no band) counts nowhere; member "z" has no household.
    assert figures["people"] == 7


def test_kpis_flagged_excludes_band_low(outputs):
    figures = kpis(ZHAOQING, 2020, outputs_root=outputs, user=LEADER)
    assert "低" not in figures["flagged_by_band"]
    assert figures["flagged"] == sum(figures["flagged_by_band"].values())
    assert figures["flagged"] < figures["households"]
