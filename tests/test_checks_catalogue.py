"""Every check against a hand-written violating case and a clean case.

Each row of CASES is: code -> (violating variant, clean variant, expected
hits). Variants are arguments of `variant` (changes to the consistent
baseline household H1). Expected hits are written by hand: person numbers
for member checks, household numbers for household checks, village codes for
village checks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin_lib.checks import CATALOGUE, ChecksConfig, catalogue_markdown, run_checks

from _checks_fixtures import (
    CHILD_ID, FEMALE_1952_ID, HEAD_ID, MALE_1950_ID, MALE_1985_ID, MALE_1990_ID, SPOUSE_ID, variant,
)

NOT_WORKING = {"work_status": "未务工", "work_months": 0.0, "work_place": None, "work_county_code": None,
               "monthly_wage": None}
NO_LABOR = {0: {"labor_skill": "丧失劳动力", **NOT_WORKING}, 1: {"labor_skill": "无劳动力", **NOT_WORKING}}
POST_SECURED = {"post_housing_secured": True, "post_medical_secured": True, "post_education_secured": True,
                "post_safe_drinking_water": True}
NOT_EXITED = {"household_type": "一般农户", "exit_status": None, "exit_year": None}
DISABLED = {"health": "残疾", "disability_type": "肢体", "disability_grade": "三级",
            "disability_cert_no": SPOUSE_ID + "43"}

CASES = {
    # identity
    "1_01_001": ({"m": {2: {"id_number": None}}}, {}, {"P3"}),
    "1_01_002": ({"m": {2: {"id_number": "999999200809011259"}}}, {}, {"P3"}),
    "1_01_003": ({"m": {2: {"id_number": "44122420080901125"}}},
                 {"m": {2: {"id_type": "残疾人证", "id_number": CHILD_ID + "11"}}}, {"P3"}),
    "1_01_004": ({"m": {2: {"id_number": "441224200809011258"}}}, {}, {"P3"}),
    "1_01_005": ({"second": True, "second_members": {1: {"id_number": CHILD_ID}}}, {"second": True},
                 {"P3", "Q2"}),
    "1_01_006": ({"m": {1: {"id_number": HEAD_ID}}}, {}, {"P1", "P2"}),
    "1_01_007": ({"m": {1: {"sex": "男"}}}, {}, {"P2"}),
    "1_01_008": ({"m": {2: {"birth_date": "2008-09-02"}}}, {}, {"P3"}),
    "1_01_009": ({"m": {0: {"phone": "1380013800"}}}, {"m": {0: {"phone": "13912345678"}}}, {"P1"}),
    "1_01_010": ({"h": {"phone": "12345"}}, {"h": {"phone": "0758-5551234"}}, {"H1"}),
    "1_01_011": ({"h": {"phone": "13900139000"}, "second": True}, {"second": True}, {"H1", "H2"}),
    "1_01_012": ({"m": {1: {"phone": "13800138000"}}},
                 {"m": {1: {"phone": "13800138000", "work_county_code": "440106"}}}, {"P1", "P2"}),
    "1_01_013": ({"h": {"head_id_number": MALE_1985_ID}}, {}, {"H1"}),
    # family logic
    "2_01_001": ({"m": {0: {"relation_to_head": "其他"}}}, {}, {"H1"}),
    "2_01_002": ({"m": {1: {"relation_to_head": "户主"}}}, {}, {"H1"}),
    "2_01_003": ({"add": [{"sex": "女", "birth_date": "1952-02-02", "id_number": FEMALE_1952_ID,
                           "relation_to_head": "配偶"}]}, {}, {"H1"}),
    "2_01_004": ({"m": {2: {"sex": "女"}}}, {"m": {2: {"sex": "女", "relation_to_head": "之女"}}}, {"P3"}),
    "2_01_005": ({"m": {2: {"relation_to_head": "之女"}}}, {}, {"P3"}),
    "2_01_006": ({"m": {1: {"sex": "男"}}}, {}, {"P2"}),
    "2_01_007": ({"h": {"household_size": 4}}, {}, {"H1"}),
    "2_01_008": ({"m": {2: {"birth_date": "1960-01-01"}}}, {}, {"P3"}),
    "2_01_009": ({"add": [{"birth_date": "1990-06-15", "id_number": MALE_1990_ID, "relation_to_head": "之父"}]},
                 {"add": [{"birth_date": "1950-01-01", "id_number": MALE_1950_ID, "relation_to_head": "之父"}]},
                 {"P4"}),
    "2_01_010": ({"extra_households": [{"household_no": "H3"}]}, {}, {"H3"}),
    "2_01_011": ({"m": {2: {"household_no": "H9"}}}, {}, {"P3"}),
    # age logic
    "3_01_001": ({"m": {2: {"labor_skill": "普通劳动力"}}}, {}, {"P3"}),
    "3_01_002": ({"m": {1: {"labor_skill": "弱劳动力或半劳动力"}}},
                 {"m": {1: {"labor_skill": "弱劳动力或半劳动力", "health": "长期慢性病"}}}, {"P2"}),
    "3_01_003": ({"m": {2: {"school_status": "小学一年级", "birth_date": "2004-09-01"}}},
                 {"m": {2: {"school_status": "小学六年级"}}}, {"P3"}),
    "3_01_004": ({"m": {2: {"birth_date": "2010-09-01"}}}, {}, {"P3"}),
    "3_01_005": ({"m": {2: {"school_status": "普通高中一年级"}}},
                 {"m": {2: {"school_status": "中职一年级", "birth_date": "2004-09-01"}}}, {"P3"}),
    "3_01_006": ({"m": {2: {"school_status": "硕士研究生"}}},
                 {"m": {2: {"school_status": "硕士研究生", "birth_date": "1996-01-01"}}}, {"P3"}),
    "3_01_007": ({"m": {2: {"birth_date": "2002-01-01", "school_status": None, "education": "小学"}}},
                 {"m": {2: {"birth_date": "2002-01-01", "school_status": None, "education": "初中"}}}, {"P3"}),
    "3_01_008": ({"m": {2: {"work_status": "乡（镇）内务工", "work_months": 3.0, "work_place": "连麦镇"}}},
                 {}, {"P3"}),
    "3_01_009": ({"m": {2: {"public_job_type": "保洁员", "public_job_months": 6.0}}},
                 {"m": {0: {"public_job_type": "保洁员", "public_job_months": 6.0}}}, {"P3"}),
    "3_01_010": ({"m": {2: {"school_status": "学龄前儿童"}}},
                 {"m": {2: {"school_status": "学龄前儿童", "birth_date": "2016-03-01"}}}, {"P3"}),
    "3_01_011": ({"m": {2: {"birth_date": "2021-05-01"}}}, {}, {"P3"}),
    # education
    "4_01_001": ({"m": {2: {"education": "小学"}}}, {}, {"P3"}),
    "4_01_002": ({"m": {2: {"school_status": None}}}, {}, {"P3"}),
    "4_01_003": ({"m": {2: {"school_status": "辍学", "dropout_reason": "因病"}}},
                 {"m": {2: {"school_status": "辍学", "dropout_reason": "因病", "health": "长期慢性病"}}}, {"P3"}),
    "4_01_004": ({"m": {2: {"school_status": "辍学", "dropout_reason": "厌学"}}}, {}, {"P3"}),
    "4_01_005": ({"m": {2: {"dropout_reason": "厌学"}}},
                 {"m": {2: {"school_status": "辍学", "dropout_reason": "厌学"}}}, {"P3"}),
    "4_01_006": ({"m": {2: {"school_status": "辍学"}}},
                 {"m": {2: {"school_status": "辍学", "dropout_reason": "厌学"}}}, {"P3"}),
    # health and disability
    "5_01_001": ({"m": {1: {**DISABLED, "disability_cert_no": None}}}, {"m": {1: DISABLED}}, {"P2"}),
    "5_01_002": ({"m": {1: {"disability_type": "肢体"}}}, {"m": {1: DISABLED}}, {"P2"}),
    "5_01_003": ({"m": {1: {"health": "残疾,长期慢性病", "disability_cert_no": SPOUSE_ID + "43"}}},
                 {"m": {1: DISABLED}}, {"P2"}),
    "5_01_004": ({"m": {1: {**DISABLED, "disability_grade": "二级"}}},
                 {"m": {1: {**DISABLED, "disability_grade": "四级"}}}, {"P2"}),
    "5_01_005": ({"m": {1: {"health": "健康,长期慢性病"}}}, {"m": {1: {"health": "残疾,长期慢性病"}}}, {"P2"}),
    "5_01_006": ({"h": {"main_poverty_cause": "因残"}},
                 {"h": {"main_poverty_cause": "因残"}, "m": {1: DISABLED}}, {"H1"}),
    "5_01_007": ({"h": {"risk_1": "因病"}}, {"h": {"risk_1": "因病"}, "m": {1: {"health": "患有大病"}}}, {"H1"}),
    # insurance
    "6_01_001": ({"m": {0: {"in_employee_medical": True}}}, {}, {"P1"}),
    "6_01_002": ({"m": {0: {"in_resident_medical": False}}},
                 {"m": {0: {"in_resident_medical": False, "in_employee_medical": True}}}, {"P1"}),
    "6_01_003": ({"m": {0: {"in_resident_medical": None, "medical_aid": True}}},
                 {"m": {0: {"medical_aid": True}}}, {"P1"}),
    "6_01_004": ({"m": {1: {"in_basic_pension": False}}}, {"m": {2: {"in_basic_pension": False}}}, {"P2"}),
    "6_01_005": ({"m": {1: {"health": "患有大病", "in_serious_illness_insurance": False}}},
                 {"m": {1: {"health": "患有大病"}}}, {"P2"}),
    # work
    "7_01_001": ({"m": {1: {"work_months": 0.0}}}, {}, {"P2"}),
    "7_01_002": ({"m": {1: {"work_place": None}}}, {}, {"P2"}),
    "7_01_003": ({"m": {1: {"monthly_wage": 80.0}}}, {"m": {1: {"monthly_wage": 100.0}}}, {"P2"}),
    "7_01_004": ({"m": {0: {"monthly_wage": 35000.0}}}, {"m": {0: {"monthly_wage": 30000.0}}}, {"P1"}),
    "7_01_005": ({"m": {0: {"labor_skill": "技能劳动力", **NOT_WORKING}}},
                 {"m": {0: {"labor_skill": "技能劳动力"}}}, {"P1"}),
    "7_01_006": ({"m": {1: {"plans_work_away": True}}},
                 {"m": {1: {"plans_work_away": True, "service_need": "职业介绍"}}}, {"P2"}),
    "7_01_007": ({"m": {0: {"work_months": 13.0}}}, {"m": {0: {"work_months": 12.0}}}, {"P1"}),
    "7_01_008": ({"m": {1: {"labor_skill": "丧失劳动力"}}},
                 {"m": {1: {"labor_skill": "丧失劳动力", **NOT_WORKING}}}, {"P2"}),
    "7_01_009": ({"m": {0: {"public_job_type": "保洁员", "public_job_months": 13.0}}},
                 {"m": {0: {"public_job_type": "保洁员", "public_job_months": 12.0}}}, {"P1"}),
    "7_01_010": ({"m": {1: {"work_status": "未务工"}}}, {}, {"P2"}),
    "7_01_011": ({"m": {0: {"work_county_code": "441224"}}}, {}, {"P1"}),
    # monitoring logic
    "8_01_001": ({"h": {"net_income": 9000.0, "net_income_per_capita": 3000.0}},
                 {"h": {"net_income": 9000.0, "net_income_per_capita": 3000.0, **NOT_EXITED}}, {"H1"}),
    "8_01_002": ({"h": {"monitoring_category": "脱贫不稳定户"}},
                 {"h": {"monitoring_category": "脱贫不稳定户", "risk_1": "因病"}}, {"H1"}),
    "8_01_003": ({"h": {"risk_1": "其他"}}, {"h": {"risk_1": "其他", "risk_other_note": "子女成婚"}}, {"H1"}),
    "8_01_004": ({"h": {"risk_eliminated": True}}, {"h": {"risk_eliminated": True, "post_net_income": 30000.0}},
                 {"H1"}),
    "8_01_005": ({"h": {"risk_eliminated": True}}, {"h": {"risk_eliminated": True, **POST_SECURED}}, {"H1"}),
    "8_01_006": ({"h": {"risk_eliminated": True, "unsafe_house": True}}, {"h": {"risk_eliminated": True}}, {"H1"}),
    "8_01_007": ({"h": {"risk_eliminated": True, "safe_drinking_water": False}},
                 {"h": {"risk_eliminated": True}}, {"H1"}),
    "8_01_008": ({"h": {"identified_ym": "202003", "eliminated_ym": "202004"}},
                 {"h": {"identified_ym": "202003", "eliminated_ym": "202011"}}, {"H1"}),
    "8_01_009": ({"h": {"identified_ym": "202003", "eliminated_ym": "202007"}},
                 {"h": {"identified_ym": "202003", "eliminated_ym": "202009"}}, {"H1"}),
    "8_01_010": ({"h": {"monitoring_category": "脱贫不稳定户", "risk_eliminated": True,
                        "whole_household_no_labor": True}},
                 {"h": {"monitoring_category": "脱贫不稳定户", "risk_eliminated": True}}, {"H1"}),
    "8_01_011": ({"m": NO_LABOR}, {"m": NO_LABOR, "h": {"whole_household_no_labor": True}}, {"H1"}),
    "8_01_012": ({"h": {"whole_household_no_labor": True}},
                 {"m": NO_LABOR, "h": {"whole_household_no_labor": True}}, {"H1"}),
    "8_01_013": ({"h": {"monitoring_category": "边缘易致贫户", "risk_1": "因病", **NOT_EXITED}},
                 {"h": {"monitoring_category": "边缘易致贫户", "risk_1": "因病", "identified_ym": "202005",
                        **NOT_EXITED}}, {"H1"}),
    "8_01_014": ({"h": {"identified_ym": "202006", "eliminated_ym": "202003"}},
                 {"h": {"identified_ym": "202003", "eliminated_ym": "202012"}}, {"H1"}),
    "8_01_015": ({"h": {"risk_eliminated": True}},
                 {"h": {"risk_eliminated": True, "elimination_method": "帮扶消除", "eliminated_ym": "202012"}},
                 {"H1"}),
    "8_01_016": ({"h": {"net_income_per_capita": 12000.0}}, {"h": {"net_income_per_capita": 11340.0}}, {"H1"}),
    "8_01_017": ({"h": {"net_income": 40000.0, "net_income_per_capita": 13333.33}}, {}, {"H1"}),
    "8_01_018": ({"h": {"risk_1": "因病", "risk_2": "因病"}}, {"h": {"risk_1": "因病", "risk_2": "因学"}}, {"H1"}),
    "8_01_019": ({"h": {"eliminated_ym": "202012"}}, {"h": {"eliminated_ym": "202012", "risk_eliminated": True}},
                 {"H1"}),
    "8_01_020": ({"h": {"monitoring_category": "脱贫不稳定户", **NOT_EXITED}},
                 {"h": {"monitoring_category": "脱贫不稳定户"}}, {"H1"}),
    "8_01_021": ({"h": {"monitoring_category": "边缘易致贫户"}},
                 {"h": {"monitoring_category": "边缘易致贫户", **NOT_EXITED}}, {"H1"}),
    # risks against measures
    "9_01_001": ({"h": {"risk_1": "因病"}}, {"h": {"risk_1": "因病", "measure_health": True}}, {"H1"}),
    "9_01_002": ({"h": {"risk_1": "因学"}}, {"h": {"risk_1": "因学", "measure_education": True}}, {"H1"}),
    "9_01_003": ({"h": {"risk_1": "因残"}}, {"h": {"risk_1": "因残", "measure_disability_allowance": True}},
                 {"H1"}),
    "9_01_004": ({"h": {"risk_2": "因安全住房"}}, {"h": {"risk_2": "因安全住房", "measure_housing": True}},
                 {"H1"}),
    "9_01_005": ({"h": {"risk_5": "因安全饮水"}}, {"h": {"risk_5": "因安全饮水", "measure_water": True}}, {"H1"}),
    "9_01_006": ({"h": {"measure_disability_allowance": True}},
                 {"h": {"measure_disability_allowance": True}, "m": {1: DISABLED}}, {"H1"}),
    "9_01_007": ({"h": {"measure_tekun_support": True}},
                 {"h": {"measure_tekun_support": True}, "m": {0: {"tekun": True}}}, {"H1"}),
    "9_01_008": ({"h": {"measure_transport_subsidy": True},
                  "m": {0: {"work_status": "乡（镇）外县内务工", "work_county_code": "441224"}}},
                 {"h": {"measure_transport_subsidy": True}}, {"H1"}),
    "9_01_009": ({"h": {"risk_1": "因学"}, "m": {2: {"school_status": "辍学", "dropout_reason": "厌学"}}},
                 {"h": {"risk_1": "因学"}}, {"H1"}),
    "9_01_010": ({"h": {"measure_dibao": True}}, {"h": {"measure_dibao": True}, "m": {1: {"dibao": True}}},
                 {"H1"}),
    "9_01_011": ({"h": {"risk_1": "因务工就业不稳"}},
                 {"h": {"risk_1": "因务工就业不稳", "measure_employment": True}}, {"H1"}),
    "9_01_012": ({"h": {"measure_public_job": True}},
                 {"h": {"measure_public_job": True},
                  "m": {1: {"public_job_type": "保洁员", "public_job_months": 6.0}}}, {"H1"}),
    # completeness
    "10_01_001": ({"h": {"safe_drinking_water": None}}, {}, {"H1"}),
    "10_01_002": ({"h": {"sanitary_toilet": None}}, {}, {"H1"}),
    "10_01_003": ({"h": {"house_area": None}}, {}, {"H1"}),
    "10_01_004": ({"h": {"unsafe_house": None}}, {}, {"H1"}),
    "10_01_005": ({"h": {"road_type": None}}, {}, {"H1"}),
    "10_01_006": ({"h": {"has_electricity": None}}, {}, {"H1"}),
    "10_01_007": ({"h": {"household_size": None}}, {}, {"H1"}),
    "10_01_008": ({"h": {"net_income_per_capita": None}}, {}, {"H1"}),
    "10_01_009": ({"h": {"household_type": None}}, {}, {"H1"}),
    "10_01_010": ({"h": {"helper_name": None}}, {"h": {"helper_name": None, **NOT_EXITED}}, {"H1"}),
    "10_02_001": ({"m": {1: {"sex": None}}}, {}, {"P2"}),
    "10_02_002": ({"m": {1: {"birth_date": None}}}, {}, {"P2"}),
    "10_02_003": ({"m": {1: {"relation_to_head": None}}}, {}, {"P2"}),
    "10_02_004": ({"m": {1: {"labor_skill": None}}}, {}, {"P2"}),
    "10_02_005": ({"m": {1: {"health": None}}}, {}, {"P2"}),
    "10_02_006": ({"m": {1: {"in_basic_pension": None}}}, {"m": {2: {"in_basic_pension": None}}}, {"P2"}),
    # area codes
    "11_01_001": ({"second": {"village": "仓社村"}}, {"second": True}, {"441224110601"}),
    "11_01_002": ({"h": {"village_code": "441224111601"}}, {}, {"441224111601"}),
}


def _hit_keys(hits):
    keys = set()
    for row in hits.itertuples():
        if row.scope == "member":
            keys.add(row.person_no)
        elif row.scope == "household":
            keys.add(row.household_no)
        else:
            keys.add(row.village_code)
    return keys


def _run(code, case):
    households, members = variant(**case)
    return run_checks(households, members, year=2020, codes=[code], config=ChecksConfig())


def test_cases_cover_catalogue():
    assert set(CASES) == set(CATALOGUE)


def test_catalogue_size_and_completeness_share():
    completeness = [c for c in CATALOGUE.values() if c.kind == "completeness"]
    assert len(CATALOGUE) >= 60
    assert len(completeness) * 3 <= len(CATALOGUE)


def test_baseline_passes_every_check():
    households, members = variant(second=True)
    hits = run_checks(households, members, year=2020, config=ChecksConfig())
    assert hits.empty, hits[["check_code", "household_no", "person_no"]].to_string()


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_flags_violation(code):
    violating, _, expected = CASES[code]
    hits = _run(code, violating)
    assert _hit_keys(hits) == expected
    assert set(hits["check_code"]) == {code}


@pytest.mark.parametrize("code", sorted(CASES))
def test_check_passes_clean_case(code):
    _, clean, _ = CASES[code]
    hits = _run(code, clean)
    assert hits.empty, hits[["household_no", "person_no", "values"]].to_string()


def test_docs_list_every_check():
    text = (Path(__file__).resolve().parents[1] / "docs" / "checks.md").read_text(encoding="utf-8")
    missing = [code for code in CATALOGUE if f"| {code} |" not in text]
    assert missing == []


def test_docs_catalogue_is_current():
    text = (Path(__file__).resolve().parents[1] / "docs" / "checks.md").read_text(encoding="utf-8")
    assert catalogue_markdown() in text


def test_run_checks_empty_tables():
    households, members = variant()
    hits = run_checks(households.iloc[:0], members.iloc[:0], year=2020, province_code="44",
                      config=ChecksConfig())
    assert hits.empty
    assert list(hits.columns)[:6] == ["county_code", "year", "township", "village_code", "village",
                                      "household_no"]


def test_hits_mask_personal_values():
    households, members = variant(m={0: {"phone": "1380013800"}})
    hits = run_checks(households, members, year=2020, codes=["1_01_009"], config=ChecksConfig())
    assert list(hits["values"]) == ["联系电话=138***3800"]
