"""A hand-made, fully consistent household for the check tests, and a
builder of variants.

The ID numbers below carry check digits computed by hand outside the library;
their sex digit and birth date agree with the member rows.
"""

from __future__ import annotations

import copy

import pandas as pd

from fupin_lib.schema import HOUSEHOLDS, MEMBERS

HEAD_ID = "441224197005121239"      # male, 1970-05-12
SPOUSE_ID = "44122419720308124X"    # female, 1972-03-08
CHILD_ID = "441224200809011259"     # male, 2008-09-01
MALE_1950_ID = "441224195001012212"
FEMALE_1952_ID = "441224195202022425"
MALE_1990_ID = "441224199006153012"
FEMALE_2010_ID = "441224201003014025"
MALE_1985_ID = "441224198511115039"

HOUSEHOLD = {
    "year": 2020, "province_code": "44", "province": "广东省", "city_code": "4412", "city": "肇庆市",
    "county_code": "441224", "county": "怀集县", "township_code": "441224110", "township": "连麦镇",
    "village_code": "441224110601", "village": "莲社村", "household_no": "H1",
    "head_name": "张三", "head_id_number": HEAD_ID, "phone": "13800138000", "household_size": 3,
    "household_type": "脱贫户", "poverty_attribute": "一般贫困户", "exit_status": "已脱贫（享受政策）",
    "exit_year": 2019, "main_poverty_cause": "缺技术", "unsafe_house": False,
    "safe_drinking_water": True, "drinking_water_difficulty": False, "has_electricity": True,
    "sanitary_toilet": True, "road_type": "水泥路", "house_area": 90.0, "food_clothing_secured": True,
    "compulsory_education_secured": True, "basic_medical_secured": True, "housing_secured": True,
    "whole_household_no_labor": False, "helper_name": "李四", "helper_unit": "怀集县人社局",
    "measure_industry": True, "wage_income": 30000.0, "business_income": 5000.0, "property_income": 0.0,
    "transfer_income": 1000.0, "business_expense": 2000.0, "net_income": 34000.0,
    "net_income_per_capita": 11333.33, "compliant_expense": 1000.0,
}

_MEMBER_COMMON = {
    "year": 2020, "county_code": "441224", "household_no": "H1", "id_type": "居民身份证",
    "ethnicity": "汉族", "health": "健康", "in_resident_medical": True, "in_employee_medical": False,
    "in_serious_illness_insurance": True, "medical_aid": False, "dibao": False, "tekun": False,
}

MEMBERS_ROWS = [
    {**_MEMBER_COMMON, "person_no": "P1", "name": "张三", "sex": "男", "birth_date": "1970-05-12",
     "id_number": HEAD_ID, "relation_to_head": "户主", "education": "初中", "labor_skill": "普通劳动力",
     "work_status": "县外省内务工", "work_months": 10.0, "work_place": "广州市", "work_county_code": "440106",
     "monthly_wage": 3000.0, "in_basic_pension": True, "phone": "13800138000"},
    {**_MEMBER_COMMON, "person_no": "P2", "name": "王五", "sex": "女", "birth_date": "1972-03-08",
     "id_number": SPOUSE_ID, "relation_to_head": "配偶", "education": "小学", "labor_skill": "普通劳动力",
     "work_status": "乡（镇）内务工", "work_months": 6.0, "work_place": "连麦镇", "work_county_code": "441224",
     "monthly_wage": 2000.0, "in_basic_pension": True},
    {**_MEMBER_COMMON, "person_no": "P3", "name": "张小", "sex": "男", "birth_date": "2008-09-01",
     "id_number": CHILD_ID, "relation_to_head": "之子", "school_status": "七年级", "labor_skill": "无劳动力"},
]

SECOND_HOUSEHOLD = {**HOUSEHOLD, "household_no": "H2", "head_name": "陈一", "head_id_number": MALE_1990_ID,
                    "phone": "13900139000", "household_size": 2, "wage_income": 20000.0, "net_income": 24000.0,
                    "net_income_per_capita": 12000.0}
SECOND_MEMBERS = [
    {**MEMBERS_ROWS[0], "household_no": "H2", "person_no": "Q1", "name": "陈一", "birth_date": "1990-06-15",
     "id_number": MALE_1990_ID, "phone": "13900139000"},
    {**MEMBERS_ROWS[2], "household_no": "H2", "person_no": "Q2", "name": "陈二", "sex": "女",
     "birth_date": "2010-03-01", "id_number": FEMALE_2010_ID, "relation_to_head": "之女",
     "school_status": "小学五年级"},
]


def frames(households_rows, member_rows) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build canonical household and member frames (schema dtypes) from rows."""
    households = pd.DataFrame(households_rows)
    members = pd.DataFrame(member_rows)
    return _typed(HOUSEHOLDS, households), _typed(MEMBERS, members)


def _typed(table, frame):
    out = {}
    for column in table.columns:
        values = frame[column.name] if column.name in frame else pd.Series([None] * len(frame))
        if column.pandas_dtype == "datetime64[ns]":
            out[column.name] = pd.to_datetime(values).astype("datetime64[ns]")
        else:
            out[column.name] = values.astype(object).where(values.notna(), None).astype(column.pandas_dtype)
    return pd.DataFrame(out)


def variant(h=None, m=None, add=(), second=False, extra_households=(), second_members=None):
    """Return (households, members) of the baseline with changes.

    Parameters
    ----------
    h : dict
        Household field changes of H1.
    m : dict of int to dict
        Member field changes by position (0 head, 1 spouse, 2 child).
    add : sequence of dict
        Extra members of H1, built on the head's row.
    second : bool or dict
        Add household H2 with its two members; a dict changes H2's fields.
    extra_households : sequence of dict
        Extra household rows (built on H1's row) without members.
    second_members : dict of int to dict
        Changes to H2's members.
    """
    household = {**HOUSEHOLD, **(h or {})}
    members = copy.deepcopy(MEMBERS_ROWS)
    for position, changes in (m or {}).items():
        members[position].update(changes)
    for number, row in enumerate(add, start=4):
        members.append({**MEMBERS_ROWS[0], "person_no": f"P{number}", "phone": None, **row})
    households = [household]
    if second:
        households.append({**SECOND_HOUSEHOLD, **(second if isinstance(second, dict) else {})})
        extra = copy.deepcopy(SECOND_MEMBERS)
        for position, changes in (second_members or {}).items():
            extra[position].update(changes)
        members += extra
    households += [{**HOUSEHOLD, **row} for row in extra_households]
    return frames(households, members)
