"""Job matching on hand-made laborers and postings whose right answers are
known: profiles, hard constraints, ranking order, explanations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from fupin_lib import FupinError
from fupin_lib.matching import JobMatcher, MatchingSettings, build_laborer_profiles
from fupin_lib.schema import HOUSEHOLDS, MEMBERS, POSTINGS

YEAR = 2020
TOWNSHIP = "441224110"
OTHER_TOWNSHIP = "441224111"


def canonical(table, rows) -> pd.DataFrame:
    """Build a canonical table from partial rows, with every declared column
    and dtype."""
    frame = pd.DataFrame(rows)
    for column in table.columns:
        if column.name not in frame:
            frame[column.name] = pd.NA
    return frame[table.names].astype(table.dtypes())


def household(no, *, village="莲社村", township_code=TOWNSHIP, lon=112.0, lat=24.0, **extra):
    defaults = dict(year=YEAR, province_code="44", county_code="441224", county="怀集县",
                    township_code=township_code, township="连麦镇", village=village, household_no=no,
                    household_type="脱贫户", longitude=lon, latitude=lat)
    return {**defaults, **extra}


def person(no, household_no, born, *, relation="户主", skill="普通劳动力", health="健康", **extra):
    defaults = dict(year=YEAR, household_no=household_no, id_number=f"44122419{no:010d}", name=f"测试{no}",
                    sex="男", birth_date=pd.Timestamp(born), relation_to_head=relation, labor_skill=skill,
                    health=health, education="初中")
    return {**defaults, **extra}


def posting(posting_id, *, channel="企业", lon=112.0, lat=24.0, township_code=TOWNSHIP, **extra):
    defaults = dict(year=YEAR, posting_id=posting_id, county_code="441224", township_code=township_code,
                    channel=channel, title="普工", longitude=lon, latitude=lat, physical_demand="轻",
                    monthly_wage=3000.0, openings=5, min_age=16, max_age=64)
    return {**defaults, **extra}


def km_east(km: float) -> float:
    """Longitude of a point `km` east of 112°E at 24°N."""
    return 112.0 + km / (111.32 * np.cos(np.radians(24.0)))


@pytest.fixture
def settings() -> MatchingSettings:
    """The built-in matching defaults, independent of the YAML file."""
    return MatchingSettings()


def profiles_of(members, households, settings):
    return build_laborer_profiles(canonical(MEMBERS, members), canonical(HOUSEHOLDS, households),
                                  year=YEAR, settings=settings)


def test_profiles_keep_only_laborers(settings):
    members = [
        person(1, "H1", "1980-05-01"),
        person(2, "H1", "1950-01-01", relation="之父", skill="无劳动力"),       # 70, not a laborer
        person(3, "H1", "2005-01-01", relation="之子", school_status="普通高中一年级"),  # student
        person(4, "H1", "1955-06-01", relation="配偶"),                        # 65, too old
    ]
    profiles = profiles_of(members, [household("H1")], settings)
    assert profiles["id_number"].tolist() == [f"44122419{1:010d}"]


def test_profiles_caring_duties(settings):
    members = [
        person(1, "H1", "1980-05-01"),
        person(2, "H1", "1948-01-01", relation="之母", skill="无劳动力"),   # 72
        person(3, "H1", "2017-03-01", relation="之子", skill="无劳动力"),   # 3
        person(4, "H2", "1985-01-01", health="患有大病"),
        person(5, "H2", "1986-01-01", relation="配偶"),
        person(6, "H3", "1990-01-01"),
    ]
    profiles = profiles_of(members, [household("H1"), household("H2"), household("H3")], settings).set_index("id_number")
    first, sick, spouse, alone = (profiles.loc[f"44122419{n:010d}"] for n in (1, 4, 5, 6))
    assert first["caring"] and first["caring_reason"] == "老人、幼儿"
    assert spouse["caring"] and spouse["caring_reason"] == "病人"
    # The sick laborer does not count as caring for himself.
    assert not sick["caring"]
    assert not alone["caring"]


@pytest.mark.parametrize(("skill", "health", "grade", "born", "capacity"), [
    ("普通劳动力", "健康", None, "1990-01-01", 3),
    ("普通劳动力", "长期慢性病", None, "1990-01-01", 2),
    ("普通劳动力", "健康", None, "1962-01-01", 2),
    ("弱劳动力或半劳动力", "健康", None, "1990-01-01", 1),
    ("普通劳动力", "患有大病", None, "1990-01-01", 1),
    ("普通劳动力", "残疾", "二级", "1990-01-01", 1),
    ("普通劳动力", "残疾", "四级", "1990-01-01", 2),
], ids=["healthy", "chronic", "age-58", "weak", "serious-illness", "disability-2", "disability-4"])
def test_profiles_physical_capacity(settings, skill, health, grade, born, capacity):
    members = [person(1, "H1", born, skill=skill, health=health, disability_grade=grade)]
    profiles = profiles_of(members, [household("H1")], settings)
    assert profiles["physical_capacity"].iloc[0] == capacity


def test_profiles_public_job_eligibility(settings):
    members = [
        person(1, "H1", "1980-01-01", skill="弱劳动力或半劳动力"),
        person(2, "H2", "1980-01-01"),
        person(3, "H3", "1980-01-01", skill="弱劳动力或半劳动力"),
    ]
    households = [household("H1"), household("H2"), household("H3", household_type="一般农户")]
    profiles = profiles_of(members, households, settings)
    assert profiles["public_job_eligible"].tolist() == [True, False, False]


def test_profiles_default_intention(settings):
    members = [person(1, "H1", "1980-01-01"), person(2, "H1", "1982-01-01", relation="配偶", work_intention="无")]
    profiles = profiles_of(members, [household("H1")], settings)
    assert profiles["intention"].tolist() == ["县内", "县内"]
    assert profiles["wants_work"].tolist() == [True, False]


# --- hard constraints ----------------------------------------------------------


def recommended(members, households, postings, settings, **kwargs):
    profiles = profiles_of(members, households, settings)
    matcher = JobMatcher(weights="default", settings=settings).fit(canonical(POSTINGS, postings), profiles)
    result = matcher.recommend(profiles, k=20, **kwargs)
    return {pid: set(group["posting_id"]) for pid, group in result.groupby("id_number")}, result


def test_constraints_age_health_education(settings):
    members = [person(1, "H1", "1962-01-01", health="长期慢性病")]  # 58, chronic: capacity 2
    postings = [
        posting("ok", physical_demand="中"),
        posting("heavy", physical_demand="重"),
        posting("young-only", max_age=45),
        posting("needs-high-school", min_education="高中"),
        posting("no-demand-given", physical_demand=None),
        posting("no-openings", openings=0),
    ]
    found, _ = recommended(members, [household("H1")], postings, settings)
    assert found[f"44122419{1:010d}"] == {"ok", "no-demand-given"}


def test_constraints_commute_against_intention(settings):
    members = [
        person(1, "H1", "1980-01-01", work_intention="乡镇内"),
        person(2, "H1", "1981-01-01", relation="配偶", sex="女", work_intention="县内"),
        person(3, "H1", "1999-01-01", relation="之子", work_intention="县外省内"),
        person(4, "H1", "2000-01-01", relation="之女", sex="女", work_intention="省外"),
    ]
    postings = [
        posting("same-township", lon=km_east(5)),
        posting("same-township-far", lon=km_east(40)),           # beyond 15 km of 乡镇内
        posting("other-township", township_code=OTHER_TOWNSHIP, lon=km_east(20)),
        posting("other-county", county_code="441223", township_code="441223100", lon=km_east(60)),
        posting("other-province", county_code="350203", township_code="350203001", lon=118.1, lat=24.5),
    ]
    found, _ = recommended(members, [household("H1")], postings, settings)
    ids = [f"44122419{n:010d}" for n in (1, 2, 3, 4)]
    assert found[ids[0]] == {"same-township"}
    assert found[ids[1]] == {"same-township", "same-township-far", "other-township"}
    assert found[ids[2]] == {"same-township", "same-township-far", "other-township", "other-county"}
    assert found[ids[3]] == {p["posting_id"] for p in postings}


def test_constraints_public_job_only_for_eligible(settings):
    members = [person(1, "H1", "1980-01-01", skill="弱劳动力或半劳动力"), person(2, "H2", "1980-01-01")]
    postings = [posting("cleaner", channel="公益性岗位"), posting("factory")]
    found, _ = recommended(members, [household("H1"), household("H2")], postings, settings)
    assert found[f"44122419{1:010d}"] == {"cleaner", "factory"}
    assert found[f"44122419{2:010d}"] == {"factory"}


def test_constraints_no_wish_to_work(settings):
    members = [person(1, "H1", "1980-01-01", work_intention="无")]
    found, result = recommended(members, [household("H1")], [posting("factory")], settings)
    assert result.empty


# --- ranking order and explanations -----------------------------------------------


def test_ranking_prefers_matching_experience(settings):
    members = [person(1, "H1", "1980-01-01", past_work="在广州餐馆厨房帮工五年", skills="烹饪")]
    postings = [
        posting("kitchen", title="机关食堂厨房帮工", description="切配、洗碗", lon=km_east(6)),
        posting("assembly", title="电子厂装配工", description="流水线装配", lon=km_east(6)),
    ]
    _, result = recommended(members, [household("H1")], postings, settings)
    assert result["posting_id"].tolist() == ["kitchen", "assembly"]
    assert "有厨房帮工工作经验" in result["explanation"].iloc[0]


def test_ranking_carers_get_jobs_near_home(settings):
    members = [
        person(1, "H1", "1980-01-01", work_intention="县内"),
        person(2, "H1", "1945-01-01", relation="之母", skill="无劳动力"),
    ]
    postings = [
        posting("near", lon=km_east(3), monthly_wage=2500.0),
        posting("far", township_code=OTHER_TOWNSHIP, lon=km_east(50), monthly_wage=2600.0),
    ]
    _, result = recommended(members, [household("H1")], postings, settings)
    assert result["posting_id"].tolist() == ["near", "far"]
    assert result["explanation"].iloc[0].startswith("离家 3 公里，可兼顾照顾老人")


def test_ranking_higher_wage_wins_when_equal(settings):
    members = [person(1, "H1", "1980-01-01", expected_wage=3000)]
    postings = [posting("low", monthly_wage=2000.0), posting("high", monthly_wage=3500.0)]
    _, result = recommended(members, [household("H1")], postings, settings)
    assert result["posting_id"].tolist() == ["high", "low"]
    assert "月工资 3500 元，达到期望" in result["explanation"].iloc[0]
    assert "低于期望 3000 元" in result["explanation"].iloc[1]


def test_explanation_without_coordinates(settings):
    members = [person(1, "H1", "1980-01-01")]
    households = [household("H1", lon=None, lat=None)]
    _, result = recommended(members, households, [posting("factory", lon=None, lat=None)], settings)
    assert result["explanation"].iloc[0].startswith("在本乡镇")
    assert result["distance_km"].iloc[0] == settings.admin_distance_km["same_township"]


def random_case(seed, n_laborers=60, n_postings=40, intentions=("乡镇内", "县内", "县外省内", "省外"),
                texts=("电焊", "厨房帮工", "家政保洁", "种植果树", "货车驾驶", "", "服装车缝")):
    """Laborers and postings with random attributes, some coordinates,
    wages and texts missing."""
    rng = np.random.default_rng(seed)
    texts = list(texts)
    households, members = [], []
    for i in range(n_laborers):
        has_xy = rng.random() > 0.2
        township = TOWNSHIP if rng.random() < 0.6 else OTHER_TOWNSHIP
        households.append(household(f"H{i}", township_code=township, village=f"村{i % 4}",
                                    lon=km_east(rng.uniform(0, 60)) if has_xy else None,
                                    lat=24.0 + rng.uniform(-0.2, 0.2) if has_xy else None))
        members.append(person(i, f"H{i}", f"{rng.integers(1958, 2003)}-06-01",
                              health=str(rng.choice(["健康", "长期慢性病", "患有大病"], p=[0.7, 0.2, 0.1])),
                              skill=str(rng.choice(["普通劳动力", "弱劳动力或半劳动力"], p=[0.8, 0.2])),
                              work_intention=str(rng.choice(list(intentions))),
                              expected_wage=float(rng.choice([2000, 3000, 4000])) if rng.random() > 0.2 else None,
                              skills=str(rng.choice(texts)), past_work=str(rng.choice(texts)),
                              education=str(rng.choice(["小学", "初中", "高中"]))))
    postings = []
    for j in range(n_postings):
        has_xy = rng.random() > 0.2
        postings.append(posting(
            f"P{j:03d}", channel=str(rng.choice(["企业", "扶贫车间", "公益性岗位"])),
            township_code=TOWNSHIP if rng.random() < 0.6 else OTHER_TOWNSHIP,
            lon=km_east(rng.uniform(0, 60)) if has_xy else None,
            lat=24.0 + rng.uniform(-0.2, 0.2) if has_xy else None,
            title=str(rng.choice(texts)) + "工", skills_required=str(rng.choice(texts)),
            physical_demand=str(rng.choice(["轻", "中", "重"])), min_age=int(rng.choice([16, 18, 30])),
            max_age=int(rng.choice([45, 55, 64])), monthly_wage=float(rng.choice([1500, 3000, 4500])) if rng.random() > 0.2 else None,
            housing_provided=bool(rng.random() < 0.3), openings=int(rng.integers(1, 4)),
            min_education=str(rng.choice(["小学", "初中", "高中"]))))
    return members, households, postings


@pytest.mark.parametrize(("seed", "case"), [
    (0, {}),
    (1, {}),
    # Few distinct texts in one group: scores come from the per-group table.
    (2, {"n_laborers": 150, "intentions": ("省外",), "texts": ("电焊", "")}),
], ids=["mixed-0", "mixed-1", "shared-texts"])
def test_recommend_equals_exhaustive_search(settings, seed, case):
    members, households, postings = random_case(seed, **case)
    profiles = profiles_of(members, households, settings)
    matcher = JobMatcher(weights="default", settings=settings, chunk_size=64).fit(canonical(POSTINGS, postings), profiles)
    result = matcher.recommend(profiles, k=5, explain=False)

    pairs = np.array(list(itertools.product(range(len(profiles)), range(matcher.n_postings_))))
    scored = matcher.score_pairs(profiles, pairs[:, 0], pairs[:, 1])
    scored["laborer"], scored["posting"] = pairs[:, 0], pairs[:, 1]
    best = (scored[scored["feasible"]].sort_values(["laborer", "score", "posting"], ascending=[True, False, True])
            .groupby("laborer").head(5))
    assert len(result) == len(best)
    assert result["laborer"].tolist() == best["laborer"].tolist()
    np.testing.assert_allclose(result["score"], best["score"], atol=1e-4)


def test_recommend_same_with_threads(settings):
    members, households, postings = random_case(3)
    profiles = profiles_of(members, households, settings)
    table = canonical(POSTINGS, postings)
    one = JobMatcher(weights="default", settings=settings, chunk_size=50).fit(table, profiles).recommend(profiles, explain=False)
    two = JobMatcher(weights="default", settings=settings, chunk_size=50, n_jobs=2).fit(table, profiles).recommend(profiles, explain=False)
    pd.testing.assert_frame_equal(one, two)


def test_matcher_rejects_invalid_weights(settings):
    with pytest.raises(FupinError, match="weights"):
        JobMatcher(weights="best", settings=settings).fit(canonical(POSTINGS, [posting("P1")]))


def test_matcher_rejects_postings_without_channel(settings):
    with pytest.raises(FupinError, match="channel"):
        JobMatcher(settings=settings).fit(pd.DataFrame({"posting_id": ["P1"]}))
