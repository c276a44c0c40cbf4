"""Benchmark of the job-matching ranking.

Measures top-10 recommendations for 100,000 laborers over 20,000 postings
(time and peak memory), and the speed-up over a brute-force pandas cross
join on a size that the cross join can hold, checking that both return the
same top-10 lists.

Run from the project root, one benchmark at a time on a shared machine:

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_matching.py

Options: ``--laborers``, ``--postings``, ``--jobs``, ``--small`` (laborers
and postings of the cross-join comparison).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np
import pandas as pd

from fupin_lib.matching import JobMatcher, MatchingSettings
from fupin_lib.matching._settings import INTENTIONS

SKILLS = ["电焊", "烹饪", "家政", "驾驶", "种植", "养殖", "缝纫", "电工", "泥水", "木工", "保洁", "保安",
          "电商", "维修", "搬运", "采茶", "育婴", "护理", "美发", "包装", ""]
PAST_WORK = ["餐馆厨房帮工", "电子厂流水线", "建筑工地小工", "服装厂车工", "物流仓库搬运", "酒店客房服务",
             "家政保姆", "货车司机", "果园采摘", "养猪场饲养员", "五金厂装配", "超市理货", "保安值班",
             "物业保洁", "农机维修", ""]
TITLES = ["电焊工", "厨房帮工", "家政服务员", "货车司机", "种植工", "养殖工", "车缝工", "电工", "泥水工",
          "木工", "保洁员", "保安员", "电商客服", "设备维修工", "搬运工", "采茶工", "育婴员", "护理员",
          "包装工", "普工", "道路管护员", "护林员"]
CHANNELS = ["企业", "扶贫车间", "产业基地", "公益性岗位", "以工代赈"]
EDUCATION = ["文盲或半文盲", "小学", "初中", "高中", "中专", "大专", "本科及以上"]

# Far-away work places of the other counties of the province and of other provinces.
OTHER_PLACES = [("440106", 113.36, 23.12), ("440604", 113.12, 23.02), ("441900", 113.75, 23.02),
                ("440304", 114.06, 22.54), ("350203", 118.09, 24.48), ("330110", 120.03, 30.28)]


def make_areas(rng, n_counties=8, townships_per_county=13):
    rows = []
    for c in range(n_counties):
        county = f"4412{c + 2:02d}"
        for t in range(townships_per_county):
            rows.append({"county_code": county, "township_code": f"{county}{100 + t:03d}",
                         "lon": rng.uniform(111.5, 112.9), "lat": rng.uniform(22.8, 24.3)})
    return pd.DataFrame(rows)


def make_laborers(rng, n, areas):
    area = areas.iloc[rng.integers(0, len(areas), n)].reset_index(drop=True)
    village = rng.integers(0, 15, n)
    health = rng.choice(["健康", "长期慢性病", "残疾", "患有大病"], n, p=[0.8, 0.12, 0.05, 0.03])
    age = rng.integers(18, 65, n)
    capacity = np.where(health == "健康", 3, np.where(health == "长期慢性病", 2, 1))
    capacity = np.where(age >= 55, np.minimum(capacity, 2), capacity)
    frame = pd.DataFrame({
        "id_number": [f"4412{i:014d}" for i in range(n)],
        "household_no": [f"H{i // 2:09d}" for i in range(n)],
        "age": age,
        "education": rng.choice(EDUCATION, n, p=[0.05, 0.25, 0.4, 0.15, 0.08, 0.05, 0.02]),
        "health": health,
        "physical_capacity": capacity.astype(np.int8),
        "skills": rng.choice(SKILLS, n),
        "past_work": rng.choice(PAST_WORK, n),
        "caring": rng.random(n) < 0.3,
        "caring_reason": "老人",
        "county_code": area["county_code"].to_numpy(),
        "township_code": area["township_code"].to_numpy(),
        "village_code": [f"{t}{600 + v:03d}" for t, v in zip(area["township_code"], village)],
        "province_code": "44",
        "longitude": area["lon"].to_numpy() + rng.normal(0, 0.04, n),
        "latitude": area["lat"].to_numpy() + rng.normal(0, 0.04, n),
        "intention": rng.choice(INTENTIONS, n, p=[0.25, 0.45, 0.2, 0.1]),
        "wants_work": True,
        "expected_wage": rng.choice([2000, 2500, 3000, 3500, 4000, 5000, 6000], n),
        "public_job_eligible": rng.random(n) < 0.1,
    })
    frame["education_rank"] = frame["education"].map({e: i for i, e in enumerate(EDUCATION)}).astype(np.int8)
    return frame


def make_postings(rng, m, areas):
    local = int(m * 0.7)
    far = m - local
    area = areas.iloc[rng.integers(0, len(areas), local)].reset_index(drop=True)
    places = pd.DataFrame(OTHER_PLACES, columns=["county_code", "lon", "lat"]).iloc[rng.integers(0, len(OTHER_PLACES), far)]
    county = np.concatenate([area["county_code"].to_numpy(), places["county_code"].to_numpy()])
    township = np.concatenate([area["township_code"].to_numpy(), (places["county_code"] + "001").to_numpy()])
    lon = np.concatenate([area["lon"].to_numpy() + rng.normal(0, 0.05, local), places["lon"].to_numpy()])
    lat = np.concatenate([area["lat"].to_numpy() + rng.normal(0, 0.05, local), places["lat"].to_numpy()])
    title = rng.choice(TITLES, m)
    min_age = rng.choice([16, 18, 20], m)
    return pd.DataFrame({
        "posting_id": [f"P{j:07d}" for j in range(m)],
        "county_code": county,
        "township_code": township,
        "province_code": [c[:2] for c in county],
        "channel": rng.choice(CHANNELS, m, p=[0.55, 0.15, 0.12, 0.12, 0.06]),
        "title": title,
        "description": title,
        "skills_required": np.where(rng.random(m) < 0.5, rng.choice(SKILLS, m), ""),
        "longitude": lon,
        "latitude": lat,
        "min_age": min_age,
        "max_age": min_age + rng.choice([35, 40, 44, 49], m),
        "physical_demand": rng.choice(["轻", "中", "重"], m, p=[0.35, 0.45, 0.2]),
        "min_education": rng.choice(["", "小学", "初中", "高中"], m, p=[0.5, 0.2, 0.2, 0.1]),
        "monthly_wage": rng.choice([1200, 2500, 3000, 3500, 4000, 5000, 6500], m).astype(float),
        "openings": rng.integers(1, 20, m),
        "housing_provided": rng.random(m) < 0.3,
        "meals_provided": rng.random(m) < 0.5,
    })


def brute_force_top10(matcher, laborers, k=10):
    """Score every laborer-posting pair as one row of a pandas cross join,
    then keep each laborer's best k: the straightforward way."""
    settings = matcher.settings_
    weights = matcher.weights_
    arrays = matcher._laborer_arrays(laborers)
    postings = matcher.arrays_
    left = pd.DataFrame({"laborer": np.arange(len(laborers)), "age": arrays.age, "capacity": arrays.capacity,
                         "education": arrays.education, "eligible": arrays.public_job_eligible,
                         "caring": arrays.caring, "lx": arrays.x, "ly": arrays.y, "intention": arrays.intention,
                         "lwage": arrays.log_expected_wage, "lskill": arrays.skill_ids,
                         "lexp": arrays.experience_ids,
                         **{f"l_{lvl}": arrays.codes[lvl] for lvl in ("township", "county", "province")}})
    right = pd.DataFrame({"posting": np.arange(len(postings)), "min_age": postings.min_age,
                          "max_age": postings.max_age, "demand": postings.demand,
                          "min_education": postings.min_education, "public": postings.public_job,
                          "housing": postings.housing, "px": postings.x, "py": postings.y,
                          "pwage": postings.log_wage, "pskill": postings.skill_ids, "pexp": postings.experience_ids,
                          **{f"p_{lvl}": postings.codes[lvl] for lvl in ("township", "county", "province")}})
    skill_sim = (arrays.skill_matrix @ postings.skill_matrix.T).toarray()
    exp_sim = (arrays.experience_matrix @ postings.experience_matrix.T).toarray()
    pairs = left.merge(right, how="cross")
    distance = np.sqrt((pairs["lx"] - pairs["px"]) ** 2 + (pairs["ly"] - pairs["py"]) ** 2)
    relation = np.where(pairs["l_township"] == pairs["p_township"], 1,
                        np.where(pairs["l_county"] == pairs["p_county"], 2,
                                 np.where(pairs["l_province"] == pairs["p_province"], 3, 4)))
    limits = pd.Series([settings.max_distance_km[n] or np.inf for n in INTENTIONS])
    pairs["feasible"] = (
        (pairs["min_age"] <= pairs["age"]) & (pairs["age"] <= pairs["max_age"])
        & (pairs["demand"] <= pairs["capacity"]) & (pairs["min_education"] <= pairs["education"])
        & (~pairs["public"] | pairs["eligible"]) & (relation <= pairs["intention"] + 1)
        & (distance <= limits.to_numpy()[pairs["intention"]])
    )
    proximity = 1 / (1 + distance / settings.proximity_scale_km)
    pairs["score"] = (
        weights["intercept"]
        + weights["skill"] * skill_sim[pairs["lskill"], pairs["pskill"]]
        + weights["experience"] * exp_sim[pairs["lexp"], pairs["pexp"]]
        + weights["proximity"] * proximity
        + weights["caring_proximity"] * proximity * pairs["caring"]
        + weights["wage"] * np.clip(pairs["pwage"] - pairs["lwage"], -1, 1)
        + weights["housing_far"] * pairs["housing"] * (1 - proximity)
        + weights["public_job"] * pairs["public"]
    )
    feasible = pairs[pairs["feasible"]].sort_values(["laborer", "score", "posting"], ascending=[True, False, True])
    return feasible.groupby("laborer").head(k)[["laborer", "posting", "score"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laborers", type=int, default=100_000)
    parser.add_argument("--postings", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--small", type=int, default=2_000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    areas = make_areas(rng)
    laborers = make_laborers(rng, args.laborers, areas)
    postings = make_postings(rng, args.postings, areas)
    settings = MatchingSettings()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}, load average {os.getloadavg()[0]:.1f}")

    start = time.perf_counter()
    matcher = JobMatcher(weights="default", settings=settings, n_jobs=args.jobs).fit(postings, laborers)
    fit_seconds = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    top = matcher.recommend(laborers, k=10, explain=False)
    rank_seconds = time.perf_counter() - start
    rank_cpu = time.process_time() - cpu_start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    per_laborer = top.groupby("laborer").size()
    print(f"large: {args.laborers} laborers x {args.postings} postings, {args.jobs} threads")
    print(f"  fit {fit_seconds:.2f} s, top-10 {rank_seconds:.2f} s (CPU {rank_cpu:.2f} s), peak RSS {peak_gib:.2f} GiB, "
          f"{len(top)} recommendations, {per_laborer.size} laborers with at least one")
    start = time.perf_counter()
    matcher.recommend(laborers.iloc[:10_000], k=10, explain=True)
    print(f"  top-10 with Chinese explanations for 10,000 laborers: {time.perf_counter() - start:.2f} s")

    small_laborers = laborers.iloc[:args.small].reset_index(drop=True)
    small_postings = postings.sample(n=args.small, random_state=1).reset_index(drop=True)
    small = JobMatcher(weights="default", settings=settings, n_jobs=1).fit(small_postings, small_laborers)
    start = time.perf_counter()
    ours = small.recommend(small_laborers, k=10, explain=False)
    ours_seconds = time.perf_counter() - start
    start = time.perf_counter()
    brute = brute_force_top10(small, small_laborers)
    brute_seconds = time.perf_counter() - start
    same = (ours[["laborer", "posting"]].to_numpy().tolist() == brute[["laborer", "posting"]].to_numpy().tolist())
    close = np.allclose(ours["score"].to_numpy(), brute["score"].to_numpy(), atol=1e-4) if len(ours) == len(brute) else False
    print(f"small: {args.small} x {args.small}: blocks {ours_seconds:.3f} s (1 thread), pandas cross join "
          f"{brute_seconds:.2f} s, speed-up {brute_seconds / ours_seconds:.0f}x, same top-10: {same}, "
          f"same scores: {close}")


if __name__ == "__main__":
    main()
