"""The whole matching run of ``fupin match``: read the clean tables, build
profiles, rank, allocate, count employment and write the outputs."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import FupinError
from ..reports import mask_frame, write_excel
from ._allocate import allocate
from ._employment import EMPLOYMENT_HEADERS, LEVEL_NAMES, employment_statistics, rate_percent
from ._evaluate import METHOD_NAMES, evaluate_matcher
from ._profiles import build_laborer_profiles
from ._rank import JobMatcher
from ._settings import MatchingSettings, load_matching_settings

__all__ = ["MatchRun", "run_matching"]

logger = logging.getLogger(__name__)

RECOMMENDATION_HEADERS = {
    "county": "县", "township": "乡镇", "village": "村", "name": "姓名", "id_number": "证件号码",
    "rank": "推荐序号", "posting_id": "岗位编号", "employer": "用工单位", "title": "岗位名称",
    "channel": "岗位渠道", "monthly_wage": "月工资（元）", "distance_km": "距离（公里）",
    "fit": "匹配度", "explanation": "推荐理由",
}
PUSH_HEADERS = {
    "township": "乡镇", "village": "村", "name": "姓名", "id_number": "证件号码", "phone": "联系电话",
    "age": "年龄", "intention": "务工意愿", "status": "分配结果", "posting_id": "分配岗位编号",
    "assigned_job": "分配岗位", "channel": "岗位渠道", "fit": "匹配度", "explanation": "推荐理由",
    "alternatives": "备选岗位", "training_name": "建议培训", "offers_opened": "培训后新增可推荐岗位数",
}
ALLOCATION_HEADERS = {
    "county_code": "县代码", "township": "乡镇", "village": "村", "name": "姓名", "id_number": "证件号码",
    "status": "分配结果", "tier": "分配轮次", "posting_id": "岗位编号", "channel": "岗位渠道", "fit": "匹配度",
    "training_id": "建议培训编号", "training_name": "建议培训", "offers_opened": "培训后新增可推荐岗位数",
}
EVALUATION_HEADERS = {"county_code": "县代码", "method": "方法", "ndcg@3": "NDCG@3", "ndcg@10": "NDCG@10",
                      "recall@10": "召回率@10", "congestion": "集中度", "n_test": "测试人数",
                      "weights_source": "权重来源"}


@dataclasses.dataclass
class MatchRun:
    """Results of `run_matching`.

    Attributes
    ----------
    employment : DataFrame
        `employment_statistics` of every county run.
    recommendations, allocation : DataFrame
        Per county, the top-k postings of each target laborer and the
        capacity-aware allocation, with personal data unmasked.
    evaluation : DataFrame or None
        `evaluate_matcher` per county, when requested and possible.
    summary : dict
        Counts for the printed summary.
    files : dict of str to Path
        The files written.
    """

    employment: pd.DataFrame
    recommendations: pd.DataFrame
    allocation: pd.DataFrame
    evaluation: pd.DataFrame | None
    summary: dict
    files: dict


def _read(data_root, county, year, table):
    from ..io import read_table

    return read_table(data_root, county, year, table)


def _counties(data_root, county, year) -> list[str]:
    from ..io import available_partitions

    partitions = available_partitions(data_root)
    if county:
        present = partitions["county_code"].astype(str) == str(county)
        if not (present & (partitions["year"] == int(year))).any():
            raise FupinError(f"{data_root} 下没有县代码 {county} 在 {year} 年的清洗数据。"
                             "请检查 --county 和 --year，或先运行 fupin import。")
        return [str(county)]
    counties = partitions.loc[partitions["year"] == int(year), "county_code"].astype(str).tolist()
    if not counties:
        raise FupinError(f"{data_root} 下没有 {year} 年的清洗数据。请先运行 fupin import，或检查 --data 和 --year。")
    return counties


def _history(data_root, county, year, table) -> pd.DataFrame:
    """Rows of `table` of the county in every year up to `year`."""
    from ..io import available_partitions

    partitions = available_partitions(data_root)
    years = partitions.loc[(partitions["county_code"].astype(str) == county)
                           & (partitions["year"] <= int(year)), "year"].tolist() or [int(year)]
    frames = [_read(data_root, county, y, table) for y in sorted(set(years))]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else _read(data_root, county, year, table)


def run_matching(data_root: str | os.PathLike, *, year: int, out: str | os.PathLike,
                 county: str | None = None, k: int = 10, include_employed: bool = False,
                 evaluate: bool = False, n_jobs: int = 1,
                 settings: MatchingSettings | None = None) -> MatchRun:
    """Run matching for one county or every county of a clean-data root and
    write the outputs to `out`.

    Files written: ``employment.csv`` (UTF-8 with BOM, columns of
    `employment_statistics`), ``employment.xlsx`` (Chinese headers),
    ``recommendations.xlsx`` and ``recommendations.csv`` (top-`k` postings
    per target laborer), ``push_list.xlsx`` (one table sorted by township
    and village for the cadres), ``allocation.xlsx`` and ``allocation.csv``,
    and ``evaluation.csv`` with `evaluate`. Names, ID numbers and phones are
    masked in every file.

    Parameters
    ----------
    data_root : path-like
        Clean-data root (``data/clean``).
    year : int
    out : path-like
        Output folder, created when missing.
    county : str, optional
        One county code; default every county with data of `year`.
    k : int, default=10
        Recommendations per laborer.
    include_employed : bool, default=False
        Also recommend and allocate for laborers already employed; by
        default only laborers who want work and are not employed.
    evaluate : bool, default=False
        Also evaluate the ranking on held-out placements.
    n_jobs : int, default=1
        Threads of the ranking.
    """
    settings = settings or load_matching_settings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts = [_run_county(data_root, code, int(year), k=k, include_employed=include_employed,
                         evaluate=evaluate, n_jobs=n_jobs, settings=settings)
             for code in _counties(data_root, county, year)]
    employment = pd.concat([p["employment"] for p in parts], ignore_index=True)
    recommendations = pd.concat([p["recommendations"] for p in parts], ignore_index=True)
    allocation = pd.concat([p["allocation"] for p in parts], ignore_index=True)
    push = pd.concat([p["push"] for p in parts], ignore_index=True)
    evaluations = [p["evaluation"] for p in parts if p["evaluation"] is not None]
    evaluation = pd.concat(evaluations, ignore_index=True) if evaluations else None
    files = _write_outputs(out, employment, recommendations, allocation, push, evaluation)
    summary = _summary(parts, employment, allocation)
    return MatchRun(employment, recommendations, allocation, evaluation, summary, files)


def _run_county(data_root, county, year, *, k, include_employed, evaluate, n_jobs, settings) -> dict:
    members = _read(data_root, county, year, "members")
    households = _read(data_root, county, year, "households")
    postings = _read(data_root, county, year, "postings")
    trainings = _read(data_root, county, year, "trainings")
    placements = _history(data_root, county, year, "placements")
    past_postings = _history(data_root, county, year, "postings").drop_duplicates("posting_id", keep="last")
    logger.info("County %s %s: %s members, %s postings, %s trainings, %s placements",
                county, year, len(members), len(postings), len(trainings), len(placements))

    employment = employment_statistics(members, households, year=year, settings=settings)
    profiles = build_laborer_profiles(members, households, year=year, settings=settings)
    wants = profiles["wants_work"].to_numpy(dtype=bool)
    targets = wants if include_employed else wants & ~profiles["employed"].to_numpy(dtype=bool)
    target_rows = np.flatnonzero(targets)

    part = {"county": county, "employment": employment, "laborers": len(profiles),
            "targets": len(target_rows), "weights_source": "无岗位", "evaluation": None}
    if postings.empty or not len(target_rows):
        part.update(recommendations=pd.DataFrame(), allocation=pd.DataFrame(), push=pd.DataFrame())
        return part

    matcher = JobMatcher(settings=settings, n_jobs=n_jobs, random_state=0).fit(
        postings, profiles, placements, placement_postings=past_postings)
    part["weights_source"] = matcher.weights_source_
    target_profiles = profiles.iloc[target_rows].reset_index(drop=True)
    recommendations = _describe(matcher.recommend(target_profiles, k=k), target_profiles, matcher.postings_)
    allocation = allocate(matcher, target_profiles, trainings=trainings)
    allocation = _describe_allocation(allocation, target_profiles, matcher.postings_)
    assigned = allocation["posting"].to_numpy() >= 0
    allocation["explanation"] = pd.Series(pd.NA, index=allocation.index, dtype="string")
    if assigned.any():
        allocation.loc[assigned, "explanation"] = matcher.explain(
            target_profiles, allocation.loc[assigned, "laborer"], allocation.loc[assigned, "posting"])
    part["recommendations"] = recommendations
    part["allocation"] = allocation
    part["push"] = _push_list(allocation, recommendations, target_profiles)
    if evaluate:
        part["evaluation"] = _evaluate(profiles, past_postings, placements, settings, n_jobs, county)
    return part


def _evaluate(profiles, postings, placements, settings, n_jobs, county):
    try:
        evaluation = evaluate_matcher(profiles, postings, placements, settings=settings, n_jobs=n_jobs)
    except FupinError as error:
        logger.warning("County %s: evaluation skipped: %s", county, error)
        return None
    evaluation.insert(0, "county_code", county)
    return evaluation


def _describe(recommendations, profiles, postings):
    people = profiles[["county_code", "county", "township", "village", "name", "id_number", "phone"]]
    jobs = postings[["posting_id", "employer", "title", "channel", "monthly_wage"]]
    described = recommendations.join(people.drop(columns="id_number"), on="laborer")
    return described.merge(jobs, on="posting_id", how="left")


def _describe_allocation(allocation, profiles, postings):
    people = profiles[["county_code", "township", "village", "name", "phone", "age", "intention"]]
    described = allocation.join(people, on="laborer")
    jobs = postings[["posting_id", "employer", "title"]].copy()
    jobs["assigned_job"] = jobs["employer"].astype("string").fillna("") + " " + jobs["title"].astype("string").fillna("")
    return described.merge(jobs[["posting_id", "assigned_job"]], on="posting_id", how="left")


def _push_list(allocation, recommendations, profiles) -> pd.DataFrame:
    """One row per target laborer for the village cadres: the allocated job
    and its explanation, three alternatives and the training suggestion."""
    push = allocation.copy()
    assigned = recommendations["laborer"].map(allocation.set_index("laborer")["posting_id"])
    others = recommendations[recommendations["posting_id"].astype("string") != assigned.astype("string")]
    jobs = others["employer"].astype("string").fillna("") + " " + others["title"].astype("string").fillna("")
    alternatives = jobs.groupby(others["laborer"]).agg(lambda s: "、".join(s.iloc[:3]))
    push["alternatives"] = push["laborer"].map(alternatives)
    push["id_number"] = profiles["id_number"].to_numpy()[push["laborer"].to_numpy()]
    return push.sort_values(["county_code", "township", "village", "status", "name"], kind="stable")


def _masked(frame: pd.DataFrame, headers: dict) -> pd.DataFrame:
    columns = [c for c in headers if c in frame.columns]
    masked = mask_frame(frame[columns])
    if "fit" in masked:
        masked["fit"] = masked["fit"].round(3)
    return masked


def _write_outputs(out, employment, recommendations, allocation, push, evaluation) -> dict:
    files = {}
    files["employment.csv"] = out / "employment.csv"
    employment.to_csv(files["employment.csv"], index=False, encoding="utf-8-sig")
    readable = employment.assign(level=employment["level"].map(LEVEL_NAMES),
                                 rate=rate_percent(employment["rate"]))
    files["employment.xlsx"] = write_excel({"就业统计": readable}, out / "employment.xlsx",
                                           headers={**EMPLOYMENT_HEADERS, "rate": "就业率（%）"})

    files["recommendations.xlsx"] = write_excel({"推荐岗位": _masked(recommendations, RECOMMENDATION_HEADERS)},
                                                out / "recommendations.xlsx", headers=RECOMMENDATION_HEADERS)
    files["recommendations.csv"] = out / "recommendations.csv"
    _masked(recommendations, RECOMMENDATION_HEADERS).to_csv(files["recommendations.csv"], index=False,
                                                            encoding="utf-8-sig")
    files["push_list.xlsx"] = write_excel({"推送清单": _masked(push, PUSH_HEADERS)}, out / "push_list.xlsx",
                                          headers=PUSH_HEADERS)
    files["allocation.xlsx"] = write_excel({"分配结果": _masked(allocation, ALLOCATION_HEADERS)},
                                           out / "allocation.xlsx", headers=ALLOCATION_HEADERS)
    files["allocation.csv"] = out / "allocation.csv"
    _masked(allocation, ALLOCATION_HEADERS).to_csv(files["allocation.csv"], index=False, encoding="utf-8-sig")
    if evaluation is not None:
        files["evaluation.csv"] = out / "evaluation.csv"
        evaluation.to_csv(files["evaluation.csv"], index=False, encoding="utf-8-sig")
    return files


def _summary(parts, employment, allocation) -> dict:
    counties = employment[employment["level"] == "county"]
    status = allocation["status"] if "status" in allocation else pd.Series(dtype=object)
    tiers = allocation["channel"].value_counts().to_dict() if "channel" in allocation else {}
    suggested = int(allocation["training_id"].notna().sum()) if "training_id" in allocation else 0
    return {
        "counties": [p["county"] for p in parts],
        "laborers": int(counties["laborers"].sum()),
        "employed": int(counties["employed"].sum()),
        "targets": int(sum(p["targets"] for p in parts)),
        "allocated": int((status == "已分配").sum()),
        "unallocated": int((status == "未分配").sum()),
        "allocated_by_channel": tiers,
        "trainings_suggested": suggested,
        "weights_source": {p["county"]: p["weights_source"] for p in parts},
        "method_names": METHOD_NAMES,
    }
