"""Feature builder of the risk model: hand-computed households, and a small
synthetic panel shared by the other risk tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fupin_lib.risk import FEATURE_COLUMNS, ID_COLUMNS, build_features
from fupin_lib.schema import HOUSEHOLDS, MEMBERS

LINE = 4000.0  # Guangdong's monitoring line in parameters/defaults.yaml


def empty_table(table) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in table.dtypes().items()})


def canonical(table, rows: list[dict]) -> pd.DataFrame:
    """Build a canonical frame from partial rows (other columns missing)."""
    frame = pd.DataFrame(rows)
    for name, dtype in table.dtypes().items():
        if name not in frame:
            frame[name] = pd.Series([pd.NA] * len(frame), dtype=dtype if dtype != "datetime64[ns]" else "object")
        frame[name] = frame[name].astype(dtype)
    return frame[table.names]


def synthetic_panel(n_households: int = 400, years=(2017, 2018, 2019, 2020), seed: int = 0,
                    counties=("441223", "441224")) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Generate canonical households and members for several years with a
    simple dynamic: illness, few laborers and a falling income raise the
    chance of being below the line next year."""
    rng = np.random.default_rng(seed)
    n = n_households
    county = rng.choice(counties, n)
    township = np.array([f"{c}{100 + rng.integers(0, 3):03d}" for c in county])
    village = np.array([f"{t}{600 + rng.integers(0, 4):03d}" for t in township])
    size = rng.integers(1, 6, n)
    ill = rng.random(n) < 0.2
    skill = rng.random(n)
    income_pc = rng.lognormal(np.log(7000) - 0.8 * ill, 0.5, n)
    panel = {}
    for year in years:
        shock = rng.normal(0, 0.25, n) - 0.3 * ill * rng.random(n) + 0.05 * skill
        income_pc = np.maximum(income_pc * np.exp(shock), 200)
        expense = np.where(ill, rng.uniform(2000, 15000, n), rng.uniform(0, 800, n))
        below = income_pc < LINE
        households = canonical(HOUSEHOLDS, [
            {
                "year": year, "province_code": "44", "county_code": county[i],
                "township_code": township[i], "village_code": village[i],
                "household_no": f"H{i:06d}", "household_size": int(size[i]),
                "household_type": "脱贫户" if i % 3 else "一般农户",
                "monitoring_category": "脱贫不稳定户" if below[i] and rng.random() < 0.6 else None,
                "risk_eliminated": False,
                "wage_income": float(income_pc[i] * size[i] * 0.7),
                "business_income": float(income_pc[i] * size[i] * 0.2),
                "property_income": 0.0, "transfer_income": float(income_pc[i] * size[i] * 0.1),
                "net_income": float(income_pc[i] * size[i]),
                "net_income_per_capita": float(income_pc[i]),
                "compliant_expense": float(expense[i]), "medical_expense": float(expense[i] * ill[i]),
                "safe_drinking_water": bool(rng.random() > 0.05),
                "measure_health": bool(ill[i]),
            }
            for i in range(n)
        ])
        member_rows = []
        for i in range(n):
            for j in range(size[i]):
                age = 40 if j == 0 else int(rng.integers(3, 80))
                member_rows.append({
                    "year": year, "county_code": county[i], "household_no": f"H{i:06d}",
                    "id_number": f"{i:06d}{j:02d}", "relation_to_head": "户主" if j == 0 else "之子",
                    "sex": "男" if (i + j) % 2 else "女", "ethnicity": "瑶族" if i % 17 == 0 else "汉族",
                    "birth_date": pd.Timestamp(year - age, 6, 1),
                    "health": "患有大病" if ill[i] and j == 0 else ("残疾" if i % 11 == 0 and j == 1 else "健康"),
                    "labor_skill": "技能劳动力" if skill[i] > 0.7 else "普通劳动力",
                    "work_months": float(rng.integers(0, 13)), "in_resident_medical": True,
                })
        members = canonical(MEMBERS, member_rows)
        panel[year] = (households, members)
    return panel


def write_clean_root(panel, root) -> None:
    """Write a synthetic panel in the clean-data layout."""
    for year, (households, members) in panel.items():
        for county in households["county_code"].unique():
            folder = root / county / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            households[households["county_code"] == county].to_parquet(folder / "households.parquet")
            members[members["county_code"] == county].to_parquet(folder / "members.parquet")


@pytest.fixture
def two_households():
    """Two hand-made households of 2019 and their 2018 records."""
    households = canonical(HOUSEHOLDS, [
        {"year": 2019, "province_code": "44", "county_code": "441224", "township_code": "441224110",
         "village_code": "441224110601", "household_no": "A", "household_size": 4,
         "household_type": "脱贫户", "wage_income": 6000.0, "business_income": 2000.0,
         "property_income": 0.0, "transfer_income": 2000.0, "net_income": 10000.0,
         "net_income_per_capita": 2500.0, "compliant_expense": 6200.0, "medical_expense": 6000.0,
         "safe_drinking_water": False, "unsafe_house": True, "monitoring_category": "脱贫不稳定户",
         "risk_eliminated": False, "risk_1": "因病", "measure_health": True, "measure_dibao": True,
         "exit_year": 2016},
        {"year": 2019, "province_code": "44", "county_code": "441224", "township_code": "441224110",
         "village_code": "441224110601", "household_no": "B", "household_size": 1,
         "household_type": "一般农户", "wage_income": 12000.0, "business_income": 0.0,
         "property_income": 0.0, "transfer_income": 0.0, "net_income": 12000.0,
         "net_income_per_capita": 12000.0, "compliant_expense": 0.0, "safe_drinking_water": True},
    ])
    members = canonical(MEMBERS, [
        {"year": 2019, "household_no": "A", "id_number": "1", "relation_to_head": "户主", "sex": "女",
         "ethnicity": "瑶族", "birth_date": pd.Timestamp(1969, 3, 1), "health": "患有大病",
         "labor_skill": "弱劳动力或半劳动力", "work_months": 4.0, "in_resident_medical": True},
        {"year": 2019, "household_no": "A", "id_number": "2", "relation_to_head": "之子", "sex": "男",
         "birth_date": pd.Timestamp(1995, 3, 1), "health": "健康", "labor_skill": "技能劳动力",
         "work_months": 12.0, "work_status": "省外务工", "in_resident_medical": True},
        {"year": 2019, "household_no": "A", "id_number": "3", "relation_to_head": "之女", "sex": "女",
         "birth_date": pd.Timestamp(2008, 3, 1), "school_status": "九年级", "health": "健康",
         "labor_skill": "无劳动力", "in_resident_medical": True},
        {"year": 2019, "household_no": "A", "id_number": "4", "relation_to_head": "之父", "sex": "男",
         "birth_date": pd.Timestamp(1940, 3, 1), "health": "残疾,长期慢性病", "disability_grade": "二级",
         "labor_skill": "丧失劳动力"},
        {"year": 2019, "household_no": "B", "id_number": "5", "relation_to_head": "户主", "sex": "男",
         "ethnicity": "汉族", "birth_date": pd.Timestamp(1980, 3, 1), "health": "健康",
         "labor_skill": "普通劳动力", "work_months": 10.0, "in_employee_medical": True},
    ])
    previous = canonical(HOUSEHOLDS, [
        {"year": 2018, "province_code": "44", "county_code": "441224", "township_code": "441224110",
         "village_code": "441224110601", "household_no": "A", "household_size": 4,
         "wage_income": 12000.0, "net_income": 20000.0, "net_income_per_capita": 5000.0,
         "compliant_expense": 1000.0, "transfer_income": 2000.0, "business_income": 6000.0},
        {"year": 2018, "province_code": "44", "county_code": "441224", "township_code": "441224110",
         "village_code": "441224110602", "household_no": "C", "household_size": 2,
         "net_income": 4000.0, "net_income_per_capita": 2000.0, "monitoring_category": "边缘易致贫户",
         "risk_eliminated": False},
    ])
    return households, members, previous


def test_build_features_columns_and_order(two_households):
    households, members, previous = two_households
    features = build_features(households, members, previous, None, year=2019)
    assert list(features.columns) == ID_COLUMNS + FEATURE_COLUMNS[1:]
    assert features["household_no"].tolist() == ["A", "B"]


def test_build_features_hand_computed_household(two_households):
    households, members, previous = two_households
    a = build_features(households, members, previous, None, year=2019).iloc[0]
    assert a["income_to_line"] == pytest.approx(2500 / LINE)
    assert a["prev_income_to_line"] == pytest.approx(5000 / LINE)
    assert a["income_change"] == pytest.approx((2500 - 5000) / 5000)
    assert a["wage_change"] == pytest.approx((6000 - 12000) / 12000)
    assert a["wage_share"] == pytest.approx(0.6)
    # head 50 and son 24 are laborers; daughter is a student; father is 79
    assert a["n_laborers"] == 2
    assert a["n_skilled_laborers"] == 1
    assert a["n_weak_laborers"] == 1
    assert a["work_months"] == 16
    assert a["n_students"] == 1
    assert a["n_elderly"] == 1
    assert a["n_children"] == 1
    assert a["dependency_ratio"] == pytest.approx(2 / 2)
    assert a["n_serious_illness"] == 1
    assert a["n_chronic"] == 1
    assert a["n_disabled"] == 1
    assert a["n_severe_disabled"] == 1
    assert a["n_uninsured"] == 1
    assert a["n_out_of_county"] == 1
    assert a["head_age"] == 50
    assert a["head_ethnic_minority"] == 1
    assert a["head_sex"] == "女"
    assert a["expense_to_income"] == pytest.approx(0.62)
    # (6200 - 1000) / 1000 = 5.2, clipped at 5
    assert a["expense_change"] == 5.0
    assert a["no_safe_water"] == 1
    assert a["unsafe_house"] == 1
    assert a["n_measures"] == 2
    assert a["monitored"] == 1
    assert a["prev_monitored"] == 0
    assert a["n_risks"] == 1
    assert a["years_since_exit"] == 3


def test_build_features_context_of_last_year(two_households):
    households, members, previous = two_households
    features = build_features(households, members, previous, None, year=2019)
    # village ...601 had only household A last year, at 5,000 yuan: not below
    assert features["village_below_line_prev"].tolist() == [0.0, 0.0]
    # township had A (above) and C (below)
    assert features["township_below_line_prev"].tolist() == [0.5, 0.5]


def test_build_features_new_household_has_no_history(two_households):
    households, members, previous = two_households
    b = build_features(households, members, previous, None, year=2019).iloc[1]
    assert np.isnan(b["income_change"])
    assert np.isnan(b["prev_monitored"])
    assert b["n_laborers"] == 1
    assert b["head_ethnic_minority"] == 0


def test_build_features_without_previous_year(two_households):
    households, members, _ = two_households
    features = build_features(households, members, year=2019)
    assert features["income_change"].isna().all()
    assert features["village_below_line_prev"].isna().all()


def test_build_features_does_not_modify_input(two_households):
    households, members, previous = two_households
    before = households.copy(), members.copy()
    build_features(households, members, previous, None, year=2019)
    pd.testing.assert_frame_equal(households, before[0])
    pd.testing.assert_frame_equal(members, before[1])


def test_build_features_synthetic_panel_dtypes():
    panel = synthetic_panel(60, years=(2018, 2019))
    features = build_features(*panel[2019], *panel[2018], year=2019)
    assert len(features) == 60
    assert all(features[c].dtype == "float64" for c in FEATURE_COLUMNS[8:])


def test_text_cleans_distinct_values_like_row_by_row():
    """`_text` strips and blanks the distinct values once; the result equals
    stripping every row."""
    from fupin_lib.risk._features import _text

    frame = pd.DataFrame({"value": pd.Series([" 高中", "高中", "", None, "  ", "小学 ", pd.NA, "高中"],
                                             dtype="string")})
    got = _text(frame, "value")
    assert got.dtype == object
    assert [v if isinstance(v, str) else "缺失" for v in got] == [
        "高中", "高中", "缺失", "缺失", "缺失", "小学", "缺失", "高中"]
    assert np.isnan(_text(frame, "absent").astype(float)).all()


def test_previous_year_aligned_once_with_only_read_columns(two_households):
    """Aligning only the columns the features read gives the same features
    as aligning the whole previous table."""
    from fupin_lib.risk import _features

    households, members, previous = two_households
    got = build_features(households, members, previous, None, year=2019)
    assert got["prev_monitored"].isna().tolist() == [False, True]
    whole = _features._PREVIOUS_COLUMNS
    try:
        _features._PREVIOUS_COLUMNS = tuple(c for c in previous.columns if c != "household_no")
        expected = build_features(households, members, previous, None, year=2019)
    finally:
        _features._PREVIOUS_COLUMNS = whole
    pd.testing.assert_frame_equal(got, expected)
