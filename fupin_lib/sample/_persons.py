"""Yearly person state of the sample: schooling, health, labour ability and
work, each a vectorised function of age, fixed traits and last year's state."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._vocabulary import (
    EMPLOYER_TEMPLATES,
    PAST_WORK_TEXT,
    PUBLIC_JOB_TYPES,
    SKILL_TEXT,
    WORK_CITIES_IN_PROVINCE,
    WORK_PLACES_OUT_OF_PROVINCE,
)

__all__ = ["schooling", "update_health", "labor_skill", "health_text", "pick_text"]

_GRADES = np.array(["", "一", "二", "三", "四", "五", "六"], dtype=object)
_JUNIOR = {12: "七年级", 13: "八年级", 14: "九年级"}

# Education of people born before 1990, by birth cohort: cumulative thresholds
# over (文盲或半文盲, 小学, 初中, 高中, 中专, 大专).
_COHORT_LEVELS = np.array(["文盲或半文盲", "小学", "初中", "高中", "中专", "大专"], dtype=object)
_COHORT_CUMULATIVE = {
    1960: np.cumsum([0.35, 0.50, 0.13, 0.02, 0.0, 0.0]),
    1980: np.cumsum([0.08, 0.37, 0.45, 0.07, 0.03, 0.0]),
    1990: np.cumsum([0.02, 0.15, 0.60, 0.12, 0.08, 0.03]),
}

# Base monthly wage in the first year by place: township, county, province, out of province.
BASE_WAGE = np.array([1900.0, 2500.0, 3500.0, 3800.0])
WORK_STATUS_BY_PLACE = np.array(["乡（镇）内务工", "乡（镇）外县内务工", "县外省内务工", "省外务工"], dtype=object)
INTENTION_BY_PLACE = np.array(["乡镇内", "县内", "县外省内", "省外"], dtype=object)


def pick_text(options_by_key: dict, keys: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Choose, for each row, one option of its key's tuple with the fixed
    uniform `u`, so that the choice stays the same every year."""
    out = np.empty(len(keys), dtype=object)
    for key, options in options_by_key.items():
        rows = keys == key
        if rows.any():
            index = np.minimum((u[rows] * len(options)).astype(int), len(options) - 1)
            out[rows] = np.asarray(options, dtype=object)[index]
    return out


def schooling(age: np.ndarray, birth_year: np.ndarray, u_school: np.ndarray, u_track: np.ndarray,
              u_edu: np.ndarray):
    """Return ``(school_status, education, student)`` for each person.

    Exactly one of the two text fields is filled for everybody aged 3 and over
    (pre-school children under 3 carry 学龄前儿童). The path through school is
    fixed by `u_school` and `u_track`, so a person's grades follow each other
    from year to year.
    """
    n = len(age)
    status = np.full(n, "", dtype=object)
    education = np.full(n, "", dtype=object)

    status[age <= 2] = "学龄前儿童"
    status[(age >= 3) & (age <= 5)] = "学前教育"
    primary = (age >= 6) & (age <= 11)
    status[primary] = np.char.add(np.char.add("小学", _GRADES[np.clip(age[primary] - 5, 0, 6)].astype(str)), "年级")
    for years_old, text in _JUNIOR.items():
        status[age == years_old] = text

    upper_path = u_school < 0.8
    general = u_track < 0.55
    college_path = u_school < 0.35
    university = college_path & general & (u_school < 0.15)
    upper = (age >= 15) & (age <= 17) & upper_path
    grade = _GRADES[np.clip(age - 14, 0, 6)].astype(str)
    status[upper & general] = np.char.add(np.char.add("普通高中", grade[upper & general]), "年级")
    status[upper & ~general] = np.char.add(np.char.add("中职", grade[upper & ~general]), "年级")
    tertiary_grade = _GRADES[np.clip(age - 17, 0, 6)].astype(str)
    in_university = university & (age >= 18) & (age <= 21)
    in_college = college_path & ~university & (age >= 18) & (age <= 20)
    status[in_university] = np.char.add(np.char.add("本科", tertiary_grade[in_university]), "年级")
    status[in_college] = np.char.add(np.char.add("高职高专", tertiary_grade[in_college]), "年级")

    student = (status != "") & (status != "学龄前儿童")
    finished = (age >= 15) & ~student

    # People born from 1990 on: education from their path through school.
    path_level = np.where(~upper_path, "初中",
                          np.where(university, "本科及以上",
                                   np.where(college_path, "大专", np.where(general, "高中", "中专"))))
    young = finished & (birth_year >= 1990)
    education[young] = path_level[young]

    # Older people: education by cohort.
    for limit, cumulative in sorted(_COHORT_CUMULATIVE.items()):
        previous = [k for k in _COHORT_CUMULATIVE if k < limit]
        lower = max(previous) if previous else -1
        rows = finished & (birth_year < 1990) & (birth_year < limit) & (birth_year >= lower)
        level = np.searchsorted(cumulative, u_edu[rows], side="right")
        education[rows] = _COHORT_LEVELS[np.minimum(level, len(_COHORT_LEVELS) - 1)]
    return status, education, student


def update_health(members: pd.DataFrame, age: np.ndarray, rng: np.random.Generator) -> dict:
    """Advance chronic illness, serious illness and disability by one year.

    Returns the new-onset flags (``new_serious``, ``new_chronic``) as well; the
    frame is changed in place.
    """
    n = len(members)
    frailty = members["frailty"].to_numpy()
    chronic = members["chronic"].to_numpy().copy()
    serious = members["serious"].to_numpy().copy()
    disabled = members["disabled"].to_numpy().copy()

    recover = serious & (rng.random(n) < 0.35)
    serious[recover] = False
    chronic[recover] = True
    new_serious = ~serious & (rng.random(n) < (0.004 + 0.0004 * age) * frailty * (1 + 1.5 * chronic))
    serious |= new_serious
    new_chronic = ~chronic & (rng.random(n) < (0.01 + 0.0015 * np.maximum(age - 40, 0)) * frailty)
    chronic |= new_chronic
    new_disabled = ~disabled & (rng.random(n) < (0.002 + 0.004 * (age >= 70)) * frailty)
    disabled |= new_disabled

    members["chronic"] = chronic
    members["serious"] = serious
    members["disabled"] = disabled
    return {"new_serious": new_serious, "new_chronic": new_chronic}


def health_text(members: pd.DataFrame) -> np.ndarray:
    """Join the health flags as the registers do (``残疾,长期慢性病``)."""
    disabled = members["disabled"].to_numpy()
    serious = members["serious"].to_numpy()
    chronic = members["chronic"].to_numpy()
    parts = np.full(len(members), "", dtype=object)
    for flag, text in ((disabled, "残疾"), (serious, "患有大病"), (chronic, "长期慢性病")):
        parts = np.where(flag, np.where(parts == "", text, parts + "," + text), parts)
    return np.where(parts == "", "健康", parts)


def labor_skill(members: pd.DataFrame, age: np.ndarray, student: np.ndarray) -> np.ndarray:
    """Derive the registered labour ability from age, schooling and health.

    Healthy people aged 16–59 who are not in school are 普通劳动力 or
    技能劳动力; weaker categories need old age (60–64) or a health reason,
    and grade 1–2 disabilities mean 丧失劳动力.
    """
    u = members["u_labor"].to_numpy()
    chronic = members["chronic"].to_numpy()
    serious = members["serious"].to_numpy()
    disabled = members["disabled"].to_numpy()
    severe = disabled & np.isin(members["disability_grade"].to_numpy(), ["一级", "二级"])

    skill = np.full(len(members), "无劳动力", dtype=object)
    adult = (age >= 16) & (age <= 64) & ~student
    skill[adult] = np.where(members["certified"].to_numpy()[adult], "技能劳动力", "普通劳动力")
    weak = adult & (((age >= 60) & (u < 0.4)) | (chronic & (u < 0.5)) | (disabled & ~severe & (u < 0.6)))
    skill[weak] = "弱劳动力或半劳动力"
    skill[adult & serious] = np.where(u[adult & serious] < 0.7, "弱劳动力或半劳动力", "丧失劳动力")
    skill[adult & severe] = "丧失劳动力"
    old = age >= 65
    skill[old & (serious | disabled | (chronic & (u < 0.5)))] = "丧失劳动力"
    return skill


def work_details(members: pd.DataFrame, place: np.ndarray, county_name: np.ndarray, township_name: np.ndarray,
                 working: np.ndarray, casual: np.ndarray):
    """Return work place text, employer and channel for working members;
    fixed per person through `u_labor`."""
    n = len(members)
    u = members["u_labor"].to_numpy()
    tags = members["skill_tag"].to_numpy()
    city_index = np.minimum((u * len(WORK_CITIES_IN_PROVINCE)).astype(int), len(WORK_CITIES_IN_PROVINCE) - 1)
    away_index = np.minimum((u * len(WORK_PLACES_OUT_OF_PROVINCE)).astype(int), len(WORK_PLACES_OUT_OF_PROVINCE) - 1)
    work_place = np.select(
        [place == 0, place == 1, place == 2, place == 3],
        [township_name, county_name, np.asarray(WORK_CITIES_IN_PROVINCE, dtype=object)[city_index],
         np.asarray(WORK_PLACES_OUT_OF_PROVINCE, dtype=object)[away_index]],
        "",
    ).astype(object)
    # Every employer template starts with "{place}", the short place name.
    suffix = pd.Series(pick_text(EMPLOYER_TEMPLATES, tags, (u * 7.3) % 1)).str.replace("{place}", "", regex=False)
    places = pd.Series(work_place)
    short_place = places.where(~(places.str.len().gt(2) & places.str[-1].isin(["市", "县", "镇", "区"])),
                               places.str[:-1])
    employer = (short_place + suffix).to_numpy(dtype=object)

    farm = np.isin(tags, ["种植", "养殖"])
    channel = np.select(
        [casual, place >= 2, (place == 1) & farm, place == 1, farm, (u * 3.1) % 1 < 0.6],
        ["灵活就业", "外出务工", "产业基地", "本地企业", "产业基地", "帮扶车间"],
        "本地企业",
    ).astype(object)
    workshop = working & (channel == "帮扶车间")
    employer[workshop] = township_name[workshop] + "扶贫车间"
    casual_rows = working & casual
    employer[casual_rows] = ""
    blank = ~working
    work_place[blank] = ""
    employer[blank] = ""
    channel[blank] = ""
    return work_place, employer, channel


def skills_and_past_work(members: pd.DataFrame, age: np.ndarray):
    """Return 技能特长 and 过往工作经历 texts (blank for children)."""
    tags = members["skill_tag"].to_numpy()
    u = members["u_labor"].to_numpy()
    skills = pick_text(SKILL_TEXT, tags, (u * 13.7) % 1)
    past = pick_text(PAST_WORK_TEXT, tags, (u * 17.3) % 1)
    young = age < 18
    skills[young] = ""
    past[young] = ""
    return skills, past


def public_job_type(u: np.ndarray) -> np.ndarray:
    """Choose a public-welfare post type from a fixed uniform."""
    index = np.minimum((u * len(PUBLIC_JOB_TYPES)).astype(int), len(PUBLIC_JOB_TYPES) - 1)
    return np.asarray(PUBLIC_JOB_TYPES, dtype=object)[index]
