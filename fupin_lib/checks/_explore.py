"""Steps of the analysts' notebook ``notebooks/explore/verification_results.ipynb``:
load the problem list and verification records, filter by area and check,
pivot by village, chart, and drill down to a household with personal data
masked."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from ..io import read_table
from ..reports import mask_frame, mask_id_number
from ._run import check_partition

__all__ = [
    "load_problem_list",
    "load_verification_records",
    "verification_summary",
    "filter_problems",
    "describe_problems",
    "problems_by_village",
    "plot_problems_by_village",
    "household_ranking",
    "household_detail",
]


def load_problem_list(data_dir: str | os.PathLike, county_code: str, year: int) -> pd.DataFrame:
    """Run the checks on one county and year and add the problems recorded in
    verification records (see `check_partition`)."""
    return check_partition(data_dir, county_code, year)


def load_verification_records(data_dir: str | os.PathLike, county_code: str, year: int) -> pd.DataFrame:
    """Read the verification records (核查表) with each household's township
    and village; the checker's name is masked."""
    records = read_table(data_dir, county_code, year, "verifications")
    households = read_table(data_dir, county_code, year, "households")
    area = households.drop_duplicates("household_no")[["household_no", "township", "village"]]
    return mask_frame(records.merge(area, on="household_no", how="left"))


def verification_summary(records: pd.DataFrame) -> pd.DataFrame:
    """Count verification outcomes by township and village: records,
    problems found, suspected ineligible households and 不满意 ratings."""
    frame = records.assign(
        problem=records["problems_found"].fillna(False).astype(bool)
        | records["problem_description"].astype("string").fillna("").ne(""),
        ineligible=records["suspected_ineligible"].fillna(False).astype(bool),
        unsatisfied=records["satisfaction"].astype("string").eq("不满意").fillna(False),
    )
    frame[["township", "village"]] = frame[["township", "village"]].astype("string").fillna("（未知）")
    summary = frame.groupby(["township", "village"]).agg(
        核查户次=("household_no", "size"), 发现问题=("problem", "sum"),
        疑似不符合条件=("ineligible", "sum"), 不满意=("unsatisfied", "sum"),
    )
    return summary.reset_index().rename(columns={"township": "乡镇", "village": "行政村"})


def filter_problems(problems: pd.DataFrame, *, township: str | None = None, village: str | None = None,
                    codes: Iterable[str] | None = None, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Keep the problems of one township or village, and of some check codes
    or kinds (Chinese kind names such as 身份信息); None keeps all."""
    keep = pd.Series(True, index=problems.index)
    if township:
        keep &= problems["township"].astype("string").eq(township).fillna(False)
    if village:
        keep &= problems["village"].astype("string").eq(village).fillna(False)
    if codes:
        keep &= problems["check_code"].isin(list(codes))
    if kinds:
        keep &= problems["kind"].isin(list(kinds))
    return problems[keep].reset_index(drop=True)


def describe_problems(problems: pd.DataFrame) -> str:
    """Return a one-line Chinese count of problems and households."""
    return f"问题 {len(problems):,} 条，涉及 {problems['household_no'].nunique():,} 户。"


def problems_by_village(problems: pd.DataFrame) -> pd.DataFrame:
    """Pivot the problems: one row per township and village, one column per
    kind of check, counts of hits, and a 合计 column; largest total first."""
    frame = problems.copy()
    frame[["township", "village"]] = frame[["township", "village"]].astype("string").fillna("（未知）")
    pivot = pd.pivot_table(frame, index=["township", "village"], columns="kind", values="check_code",
                           aggfunc="size", fill_value=0)
    pivot.columns.name = "类别"
    pivot.index = pivot.index.set_names(["乡镇", "行政村"])
    pivot["合计"] = pivot.sum(axis=1)
    return pivot.sort_values("合计", ascending=False)


def plot_problems_by_village(pivot: pd.DataFrame, *, top: int = 15):
    """Draw a stacked horizontal bar chart of the `top` villages of a
    `problems_by_village` pivot, with Chinese labels.

    Call `fupin_lib.reports.use_cjk_font` first so the labels render; the
    matplotlib backend is left as it is.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    shown = pivot.head(top).drop(columns="合计").iloc[::-1]
    labels = [f"{township} {village}" for township, village in shown.index]
    figure, axes = plt.subplots(figsize=(9, max(3, 0.4 * len(shown) + 1.5)))
    left = pd.Series(0, index=shown.index)
    for kind in shown.columns:
        axes.barh(labels, shown[kind], left=left, label=kind)
        left = left + shown[kind]
    axes.set_xlabel("问题数")
    axes.set_title(f"问题数最多的 {len(shown)} 个村（按核查类别）")
    if len(shown.columns):
        axes.legend(fontsize="small", loc="lower right")
    figure.tight_layout()
    return figure


def household_ranking(problems: pd.DataFrame) -> pd.DataFrame:
    """Households ordered by their number of problems, with township,
    village, problem count and the codes hit."""
    frame = problems[problems["household_no"].notna()]
    ranking = frame.groupby("household_no").agg(
        乡镇=("township", "first"), 行政村=("village", "first"), 问题数=("check_code", "size"),
        核查编码=("check_code", lambda codes: "、".join(sorted(set(codes)))),
    )
    return ranking.sort_values("问题数", ascending=False).reset_index().rename(
        columns={"household_no": "户编号"})


def household_detail(problems: pd.DataFrame, household_no: str | None = None) -> pd.DataFrame:
    """Return the problems of one household (by default the one with the
    most), with member IDs and names masked."""
    if household_no is None:
        ranking = household_ranking(problems)
        if ranking.empty:
            return pd.DataFrame(columns=["户编号", "成员证件号码", "姓名", "核查编码", "核查名称", "发现的值"])
        household_no = ranking["户编号"].iloc[0]
    rows = problems[problems["household_no"] == household_no]
    return pd.DataFrame({
        "户编号": rows["household_no"],
        "成员证件号码": mask_id_number(rows["id_number"].astype("string")),
        "姓名": mask_frame(rows[["name"]])["name"],
        "核查编码": rows["check_code"],
        "核查名称": rows["title"],
        "发现的值": rows["values"],
    }).reset_index(drop=True)
