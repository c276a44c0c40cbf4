"""Run the checks over a clean-data root and write the problem reports.

`check_root` is what ``fupin check`` calls: for each county of a year it reads
the canonical tables, runs the enabled checks, adds the problems recorded in
verification records, and updates the ledger. `write_check_reports` writes
``problems.xlsx`` and ``summary.xlsx`` through `fupin_lib.reports`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import pandas as pd

from .._errors import ParameterError
from ..io import available_partitions, read_table
from ..reports import mask_id_number, mask_name, write_excel
from ._engine import HIT_COLUMNS, run_checks
from ._ledger import LedgerSummary, update_ledger, verification_problems
from ._settings import ChecksConfig

__all__ = [
    "CheckRun",
    "check_partition",
    "check_root",
    "problem_table",
    "summary_tables",
    "write_check_reports",
    "summary_text",
    "EXCEL_MAX_ROWS",
]

logger = logging.getLogger(__name__)

# Data rows per sheet: Excel's 1,048,576 rows less the header.
EXCEL_MAX_ROWS = 1_048_575

PROBLEM_HEADERS = {
    "county_code": "县代码", "township": "乡镇", "village": "行政村", "household_no": "户编号",
    "member": "成员证件号码（脱敏）", "check_code": "核查编码", "title": "核查名称", "kind": "类别",
    "severity": "严重程度", "values": "发现的值", "helper_name": "帮扶责任人",
}


@dataclasses.dataclass
class CheckRun:
    """The result of checking a clean-data root for one year.

    Attributes
    ----------
    year : int
    hits : DataFrame
        All hits of all counties, the columns of `run_checks` plus ``source``.
    ledger : list of LedgerSummary
        One per county, empty when the ledger was not updated.
    counties : list of str
    """

    year: int
    hits: pd.DataFrame
    ledger: list[LedgerSummary]
    counties: list[str]


def check_partition(data_root: str | os.PathLike, county_code: str, year: int, *,
                    config: ChecksConfig | None = None) -> pd.DataFrame:
    """Run the checks on one county and year of a clean-data root and add the
    problems of its verification records.

    Returns
    -------
    DataFrame
        The columns of `run_checks` plus ``source`` (``check`` or
        ``verification``) and ``detail_key``.
    """
    households = read_table(data_root, county_code, year, "households")
    members = read_table(data_root, county_code, year, "members")
    verifications = read_table(data_root, county_code, year, "verifications")
    hits = run_checks(households, members, year=year, province_code=str(county_code)[:2], config=config)
    hits["source"] = "check"
    hits["detail_key"] = ""
    recorded = verification_problems(verifications, households)
    if recorded.empty:
        return hits
    return pd.concat([hits, recorded], ignore_index=True)


def check_root(data_root: str | os.PathLike, *, year: int, county: str | None = None,
               url: str | None = None, update: bool = True,
               config: ChecksConfig | None = None) -> CheckRun:
    """Check every county of `year` under a clean-data root (or only `county`)
    and update the ledger.

    Raises
    ------
    ParameterError
        If the root contains no data for that year (or county).
    """
    partitions = available_partitions(data_root)
    chosen = partitions[partitions["year"] == int(year)]
    if county is not None:
        chosen = chosen[chosen["county_code"] == str(county)]
    if chosen.empty:
        where = f"县 {county} " if county else ""
        known = "、".join(f"{c}/{y}" for c, y in partitions.itertuples(index=False)) or "无"
        raise ParameterError(
            f"数据目录 {data_root} 中没有{where}{year} 年的规范表（已有：{known}）。请先运行 fupin import。")
    frames, summaries, counties = [], [], []
    for county_code in chosen["county_code"]:
        hits = check_partition(data_root, county_code, year, config=config)
        logger.info("county %s %s: %d hits", county_code, year, len(hits))
        frames.append(hits)
        counties.append(str(county_code))
        if update:
            summaries.append(update_ledger(hits, county_code=county_code, year=year, url=url))
    return CheckRun(year=int(year), hits=pd.concat(frames, ignore_index=True), ledger=summaries,
                    counties=counties)


def problem_table(hits: pd.DataFrame) -> pd.DataFrame:
    """Build the problem list for people, one row per hit.

    Columns follow `PROBLEM_HEADERS`: area, household, masked member ID, check
    code and title, the values found and the masked helper name.
    """
    table = pd.DataFrame({column: hits[column] for column in HIT_COLUMNS if column in hits})
    table["member"] = mask_id_number(hits["id_number"].astype("string"))
    table["helper_name"] = mask_name(hits["helper_name"].astype("string"))
    return table[list(PROBLEM_HEADERS)].reset_index(drop=True)


def summary_tables(hits: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Counts of hits by village and by check, for ``summary.xlsx``.

    Returns
    -------
    dict
        ``按村`` (county, township, village: hits and households with hits)
        and ``按核查`` (code, title, kind, severity: hits and households).
    """
    frame = hits.copy()
    for column in ("county_code", "township", "village"):
        frame[column] = frame[column].astype("string").fillna("（未知）")
    by_village = (
        frame.groupby(["county_code", "township", "village"], dropna=False)
        .agg(hits=("check_code", "size"), households=("household_no", "nunique"))
        .reset_index()
        .sort_values(["county_code", "township", "village"])
        .rename(columns={"county_code": "县代码", "township": "乡镇", "village": "行政村",
                         "hits": "问题数", "households": "涉及户数"})
    )
    by_check = (
        frame.groupby(["check_code", "title", "kind", "severity"], dropna=False)
        .agg(hits=("check_code", "size"), households=("household_no", "nunique"))
        .reset_index()
        .sort_values("hits", ascending=False)
        .rename(columns={"check_code": "核查编码", "title": "核查名称", "kind": "类别",
                         "severity": "严重程度", "hits": "问题数", "households": "涉及户数"})
    )
    return {"按村": by_village.reset_index(drop=True), "按核查": by_check.reset_index(drop=True)}


def write_check_reports(hits: pd.DataFrame, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``problems.xlsx`` (one row per hit) and ``summary.xlsx`` into
    `out_dir`, with Chinese headers and formula-safe values.

    A problem list longer than one Excel sheet continues on further sheets
    (问题清单2, …).

    Returns
    -------
    tuple of Path
        The problems file and the summary file.
    """
    out_dir = Path(out_dir)
    table = problem_table(hits)
    sheets = {}
    for number, start in enumerate(range(0, max(len(table), 1), EXCEL_MAX_ROWS), start=1):
        name = "问题清单" if number == 1 else f"问题清单{number}"
        sheets[name] = table.iloc[start:start + EXCEL_MAX_ROWS]
    problems = write_excel(sheets, out_dir / "problems.xlsx", headers=PROBLEM_HEADERS)
    summary = write_excel(summary_tables(hits), out_dir / "summary.xlsx")
    return problems, summary


def summary_text(run: CheckRun) -> str:
    """Return the Chinese summary that ``fupin check`` prints."""
    hits = run.hits
    lines = [
        f"{run.year} 年核查完成：{len(run.counties)} 个县区，发现问题 {len(hits):,} 条，"
        f"涉及 {hits['household_no'].nunique():,} 户。",
    ]
    for county_code in run.counties:
        county_hits = hits[hits["county_code"] == county_code]
        lines.append(f"  {county_code}：{len(county_hits):,} 条，{county_hits['household_no'].nunique():,} 户")
    for summary in run.ledger:
        lines.append(
            f"  台账 {summary.county_code}：新增 {summary.new:,} 项，仍未整改 {summary.still_open:,} 项，"
            f"重新打开 {summary.reopened:,} 项，转为待验收 {summary.awaiting_acceptance:,} 项，"
            f"未销号合计 {summary.open_total:,} 项")
    return "\n".join(lines)
