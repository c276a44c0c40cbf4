"""Benchmark of the consistency checks.

1. Every enabled check over a synthetic county of 1,000,000 members (about
   330,000 households): wall time and peak resident memory of the process.
2. Ten checks against a plain row-by-row Python implementation of the same
   rule on a subset, with the same hit counts asserted, and the speed ratio.

Run from the project root (the machine is shared, so take the lock):

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_checks.py

Options: ``--members N`` (default 1,000,000), ``--subset N`` (rows of the
row-by-row comparison, default 200,000), ``--seed``.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time

import numpy as np
import pandas as pd

from fupin_lib.checks import CATALOGUE, ChecksConfig, resolve_checks, run_checks
from fupin_lib.checks._context import CheckContext
from fupin_lib.params import monitoring_line
from fupin_lib.schema import HOUSEHOLDS, MEMBERS

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _id_numbers(rng, birth: pd.DatetimeIndex, male: np.ndarray) -> np.ndarray:
    """Valid 18-digit IDs for the birth dates and sexes, 1 % with a wrong
    check digit."""
    n = len(birth)
    digits = np.zeros((n, 17), dtype=np.int64)
    digits[:, :6] = [4, 4, 1, 2, 2, 4]
    ymd = birth.year.to_numpy() * 10_000 + birth.month.to_numpy() * 100 + birth.day.to_numpy()
    for position in range(8):
        digits[:, 6 + position] = ymd // 10 ** (7 - position) % 10
    sequence = rng.integers(0, 500, n) * 2 + male.astype(int)
    for position in range(3):
        digits[:, 14 + position] = sequence // 10 ** (2 - position) % 10
    check = np.frombuffer(b"10X98765432", dtype=np.uint8)[(digits @ _WEIGHTS) % 11]
    wrong = rng.random(n) < 0.01
    check = np.where(wrong, np.frombuffer(b"0", dtype=np.uint8)[0] + (check % 10), check)
    chars = np.column_stack([digits + 48, check]).astype(np.uint8)
    return chars.view("S18").ravel().astype(str)


def synthetic_county(n_members: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate canonical household and member tables with realistic shapes
    and a few per cent of inconsistencies."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=n_members // 2)
    sizes = sizes[np.cumsum(sizes) <= n_members]
    if sizes.sum() < n_members:
        sizes = np.append(sizes, n_members - sizes.sum())
    n_households = len(sizes)
    household = np.repeat(np.arange(n_households), sizes)
    rank = np.arange(n_members) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    household_no = np.char.add("1224", np.char.zfill(np.arange(n_households).astype(str), 7))

    head_year = rng.integers(1940, 1996, n_households)
    relation = np.where(rank == 0, "户主", np.where(rank == 1, "配偶", ""))
    child = rank >= 2
    male_child = rng.random(n_members) < 0.5
    relation = np.where(child, np.where(male_child, "之子", "之女"), relation)
    head_male = rng.random(n_households) < 0.8
    male = np.where(rank == 0, head_male[household], np.where(rank == 1, ~head_male[household], male_child))
    year = np.where(rank == 0, head_year[household],
                    np.where(rank == 1, head_year[household] + rng.integers(-3, 4, n_members),
                             head_year[household] + rng.integers(20, 36, n_members)))
    year = np.minimum(year, 2019)
    birth = pd.to_datetime(pd.DataFrame({"year": year, "month": rng.integers(1, 13, n_members),
                                         "day": rng.integers(1, 29, n_members)}))
    age = 2020 - year

    in_school_age = (age >= 6) & (age <= 18)
    grade = np.clip(age - 5, 1, 12)
    grade_names = np.array(["小学一年级", "小学二年级", "小学三年级", "小学四年级", "小学五年级", "小学六年级",
                            "七年级", "八年级", "九年级", "普通高中一年级", "普通高中二年级", "普通高中三年级"])
    school_status = np.where(in_school_age, grade_names[grade - 1], None)
    school_status = np.where(age < 6, "学龄前儿童", school_status)
    education = np.where(school_status == None, rng.choice(["小学", "初中", "高中", "大专"], n_members), None)  # noqa: E711
    health = rng.choice(["健康", "长期慢性病", "患有大病", "残疾"], n_members, p=[0.85, 0.08, 0.03, 0.04])
    working_age = (age >= 16) & (age <= 64) & (school_status == None)  # noqa: E711
    skill = np.where(working_age, rng.choice(["普通劳动力", "技能劳动力", "弱劳动力或半劳动力"], n_members), "无劳动力")
    works = working_age & (rng.random(n_members) < 0.5)
    members = pd.DataFrame({
        "year": 2020, "county_code": "441224", "household_no": household_no[household],
        "person_no": np.char.add("P", np.arange(n_members).astype(str)),
        "name": "张某", "sex": np.where(male, "男", "女"), "birth_date": birth,
        "id_type": "居民身份证", "id_number": _id_numbers(rng, pd.DatetimeIndex(birth), male),
        "relation_to_head": relation, "education": education, "school_status": school_status,
        "health": health, "disability_cert_no": np.where(health == "残疾", "4412241970051212394", None),
        "disability_type": np.where(health == "残疾", "肢体", None),
        "disability_grade": np.where(health == "残疾", rng.choice(["一级", "二级", "三级", "四级"], n_members), None),
        "labor_skill": skill,
        "work_status": np.where(works, rng.choice(["乡（镇）内务工", "县外省内务工", "省外务工"], n_members), "未务工"),
        "work_months": np.where(works, rng.integers(0, 13, n_members).astype(float), 0.0),
        "work_place": np.where(works, "广州市", None),
        "work_county_code": np.where(works, rng.choice(["441224", "440106"], n_members), None),
        "monthly_wage": np.where(works, rng.normal(3500, 2500, n_members).round(), np.nan),
        "in_resident_medical": rng.random(n_members) < 0.99,
        "in_employee_medical": rng.random(n_members) < 0.02,
        "in_serious_illness_insurance": rng.random(n_members) < 0.97,
        "in_basic_pension": np.where(age >= 16, rng.random(n_members) < 0.95, None),
        "medical_aid": rng.random(n_members) < 0.05,
        "dibao": rng.random(n_members) < 0.1, "tekun": rng.random(n_members) < 0.01,
        "phone": np.where(rank == 0, np.char.add("138", np.char.zfill(rng.integers(0, 10**8, n_members).astype(str), 8)),
                          None),
    })

    net_income = rng.gamma(4, 6000, n_households).round()
    size = np.where(rng.random(n_households) < 0.01, sizes + 1, sizes)
    monitored = rng.random(n_households) < 0.1
    risks = np.array(["因病", "因学", "因残", "因务工就业不稳", "因安全住房", "其他"])
    township = rng.integers(100, 120, n_households)
    village = rng.integers(600, 640, n_households)
    households = pd.DataFrame({
        "year": 2020, "province_code": "44", "county_code": "441224",
        "township_code": np.char.add("441224", township.astype(str)),
        "township": np.char.add("镇", township.astype(str)),
        "village_code": np.char.add(np.char.add("441224", township.astype(str)), village.astype(str)),
        "village": np.char.add("村", village.astype(str)), "household_no": household_no,
        "head_id_number": members.loc[rank == 0, "id_number"].to_numpy(),
        "phone": members.loc[rank == 0, "phone"].to_numpy(), "household_size": size,
        "household_type": rng.choice(["脱贫户", "一般农户"], n_households, p=[0.7, 0.3]),
        "monitoring_category": np.where(monitored, "脱贫不稳定户", None),
        "identified_ym": np.where(monitored, "202003", None),
        "risk_1": np.where(monitored, rng.choice(risks, n_households), None),
        "risk_eliminated": np.where(monitored, rng.random(n_households) < 0.3, None),
        "unsafe_house": rng.random(n_households) < 0.02, "safe_drinking_water": rng.random(n_households) < 0.98,
        "has_electricity": True, "sanitary_toilet": True, "road_type": "水泥路", "house_area": 80.0,
        "whole_household_no_labor": False, "helper_name": "李某",
        "measure_health": rng.random(n_households) < 0.3, "measure_education": rng.random(n_households) < 0.3,
        "measure_disability_allowance": rng.random(n_households) < 0.05,
        "wage_income": net_income * 0.8, "business_income": net_income * 0.2, "transfer_income": 0.0,
        "net_income": net_income, "net_income_per_capita": (net_income / sizes).round(2),
    })
    return households, members


def _conform(frame, table):
    dtypes = {c: d for c, d in table.dtypes().items() if c in frame and d != "datetime64[ns]"}
    return frame.astype(dtypes)


# --- row-by-row reference implementations ---------------------------------

def _row_check_digit(members):
    hits = 0
    for value in members["id_number"]:
        if isinstance(value, str) and len(value) == 18 and value[:17].isdigit():
            total = sum(int(value[i]) * _WEIGHTS[i] for i in range(17))
            hits += "10X98765432"[total % 11] != value[17].upper()
    return hits


def _row_sex(members):
    hits = 0
    for value, sex in zip(members["id_number"], members["sex"]):
        if isinstance(value, str) and len(value) == 18 and value[:17].isdigit() and sex in ("男", "女"):
            hits += (int(value[16]) % 2 == 1) != (sex == "男")
    return hits


def _row_phone(members):
    import re

    pattern = re.compile(r"1[3-9]\d{9}")
    return sum(1 for value in members["phone"] if isinstance(value, str) and value and not pattern.fullmatch(value))


def _row_no_head(members):
    heads: dict[str, int] = {}
    for household, relation in zip(members["household_no"], members["relation_to_head"]):
        heads[household] = heads.get(household, 0) + (relation == "户主")
    return sum(1 for count in heads.values() if count == 0)


def _row_child_labor(members, year=2020):
    hits = 0
    for birth, skill in zip(members["birth_date"], members["labor_skill"]):
        if pd.notna(birth) and skill in ("技能劳动力", "普通劳动力", "弱劳动力或半劳动力"):
            hits += year - birth.year < 16
    return hits


def _row_education_and_school(members):
    return sum(1 for education, status in zip(members["education"], members["school_status"])
               if isinstance(education, str) and education and isinstance(status, str) and status)


def _row_both_medical(members):
    return sum(1 for resident, employee in zip(members["in_resident_medical"], members["in_employee_medical"])
               if resident and employee)


def _row_low_wage(members):
    return sum(1 for wage in members["monthly_wage"] if pd.notna(wage) and 0 < wage < 100)


def _row_per_capita(households):
    hits = 0
    for net, size, per_capita in zip(households["net_income"], households["household_size"],
                                     households["net_income_per_capita"]):
        if pd.notna(net) and pd.notna(size) and size > 0 and pd.notna(per_capita):
            hits += abs(net / size - per_capita) > 10
    return hits


def _row_allowance(households, members):
    disabled = set()
    for household, health in zip(members["household_no"], members["health"]):
        if isinstance(health, str) and "残疾" in health:
            disabled.add(household)
    return sum(1 for household, allowance in zip(households["household_no"],
                                                 households["measure_disability_allowance"])
               if allowance and household not in disabled)


ROW_BY_ROW = {
    "1_01_004": ("members", _row_check_digit),
    "1_01_007": ("members", _row_sex),
    "1_01_009": ("members", _row_phone),
    "2_01_001": ("members", _row_no_head),
    "3_01_001": ("members", _row_child_labor),
    "4_01_001": ("members", _row_education_and_school),
    "6_01_001": ("members", _row_both_medical),
    "7_01_003": ("members", _row_low_wage),
    "8_01_016": ("households", _row_per_capita),
    "9_01_006": ("both", _row_allowance),
}


def _as_python(frame):
    """Object columns with Python values (None for missing), as a plain
    row-by-row implementation would read them."""
    out = frame.astype(object)
    return out.where(frame.notna(), None)


def compare_row_by_row(households, members, subset: int) -> list[dict]:
    """Time ten checks vectorised and row by row on the first `subset`
    members and their households; hit counts must agree."""
    member_part = members.iloc[:subset]
    household_part = households[households["household_no"].isin(member_part["household_no"].unique())]
    settings = resolve_checks("44", 2020, ChecksConfig()).settings
    plain_members = _as_python(member_part)
    plain_households = _as_python(household_part)
    rows = []
    for code, (table, reference) in ROW_BY_ROW.items():
        # A fresh context per check, built outside the timer: in a real run
        # one context is shared by every check.
        ctx = CheckContext(household_part, member_part, year=2020, settings=settings,
                           monitoring_line=monitoring_line("44", 2020))
        started = time.perf_counter()
        vector_hits = int(np.asarray(CATALOGUE[code].func(ctx)).sum())
        vector_time = time.perf_counter() - started

        started = time.perf_counter()
        if table == "members":
            row_hits = reference(plain_members)
        elif table == "households":
            row_hits = reference(plain_households)
        else:
            row_hits = reference(plain_households, plain_members)
        row_time = time.perf_counter() - started
        assert row_hits == vector_hits, (code, row_hits, vector_hits)
        rows.append({"code": code, "hits": vector_hits, "vectorised_s": vector_time, "row_by_row_s": row_time,
                     "ratio": row_time / vector_time})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--subset", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    households, members = synthetic_county(args.members, args.seed)
    households, members = _conform(households, HOUSEHOLDS), _conform(members, MEMBERS)
    print(f"generated {len(members):,} members, {len(households):,} households "
          f"in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    hits = run_checks(households, members, year=2020, config=ChecksConfig())
    elapsed = time.perf_counter() - started
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(f"all {len(CATALOGUE)} checks: {elapsed:.1f} s, {len(hits):,} hits, "
          f"peak RSS of the process {peak_gib:.2f} GiB")

    print(f"\nten checks on {args.subset:,} members, vectorised against row by row:")
    print(f"{'code':<10}{'hits':>8}{'vectorised s':>14}{'row-by-row s':>14}{'ratio':>8}")
    for row in compare_row_by_row(households, members, args.subset):
        print(f"{row['code']:<10}{row['hits']:>8}{row['vectorised_s']:>14.3f}{row['row_by_row_s']:>14.3f}"
              f"{row['ratio']:>8.0f}")
    print(f"\npython {sys.version.split()[0]}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"{platform.machine()}")


if __name__ == "__main__":
    main()
