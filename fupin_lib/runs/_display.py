"""Tables and charts that the county notebook shows, one function per cell.

Tables come back as `ReportTable`: Chinese headers, shown without the pandas
index. Charts are matplotlib figures that are already closed, so the notebook
shows each one once, as the cell's value.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pandas as pd

from ..metrics._county import AREA_KPI_HEADERS, kpis_by_area
from ..schema import TABLES
from ._report import PROBLEM_HEADERS, VISIT_HEADERS, CountyReport

__all__ = [
    "ReportTable",
    "report_header",
    "import_status_table",
    "problem_summary",
    "problem_list",
    "risk_summary",
    "visit_table",
    "employment_summary",
    "employment_area_table",
    "area_kpi_table",
    "plot_area_overview",
    "plot_employment",
    "outputs_table",
]

# Output file -> what it holds, for the last cell of the report.
OUTPUT_DESCRIPTIONS = {
    "households.parquet": "农户表（看板读取）",
    "problems.parquet": "问题表（看板读取）",
    "employment.parquet": "就业表（看板读取）",
    "kpis.json": "全县指标",
    "flagged.xlsx": "走访名单（证件、姓名已脱敏）",
    "problems.xlsx": "问题清单",
    "visit_list.html": "按帮扶责任人打印的走访名单（A4）",
}

_SEVERITY_ORDER = {"高": 0, "中": 1, "低": 2}

logger = logging.getLogger(__name__)

# Entries of import_report.json shown in the report, with their Chinese names.
_IMPORT_ITEMS = {
    "county_code": "县代码", "year": "年度", "rows": "各表行数", "n_rejects": "拒绝行数",
    "n_warnings": "警告行数", "kept_tables": "沿用已有数据的表", "files": "导入的文件",
    "refused_files": "整个拒绝的文件",
}

# Risk bands as the report names them: only 高 and 中 are warnings.
_BAND_LABELS = {"高": "高（预警）", "中": "中（预警）", "低": "低（不预警）"}


class ReportTable:
    """A table of the county report, shown without the pandas index.

    Parameters
    ----------
    frame : DataFrame
        The table, with Chinese headers.

    Attributes
    ----------
    frame : DataFrame
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame.reset_index(drop=True)

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False, border=0, na_rep="")

    def __repr__(self) -> str:
        return self.frame.to_string(index=False, na_rep="")


def _import_value(key: str, value) -> str:
    if key == "rows" and isinstance(value, dict):
        parts = [f"{TABLES[name].zh if name in TABLES else name} {count} 行"
                 for name, count in value.items()]
        return "，".join(parts) or "无"
    if key == "kept_tables" and isinstance(value, list):
        return "、".join(TABLES[name].zh if name in TABLES else str(name) for name in value) or "无"
    if isinstance(value, list):
        return "；".join(str(v) for v in value) or "无"
    return "" if value is None else str(value)


def report_header(report: CountyReport):
    """Return the report's title, key figures and notes as HTML."""
    from IPython.display import HTML

    k = report.kpis
    # Every scored household has a band, so no band at all means no scores.
    if k["flagged"] + k["scored_no_warning"] == 0:
        warning = "风险预警：未评分"
    else:
        bands = "、".join(f"{band} {count} 户" for band, count in k["flagged_by_band"].items())
        warning = f"风险预警 {k['flagged']} 户（{bands}）"
    figures = (f"农户 {k['households']} 户、{k['people']} 人；已核查 {k['verified_households']} 户；"
               f"{warning}；"
               f"规则标记 {k['rule_flagged']} 户；未整改问题 {k['problems_open']} 个；"
               f"劳动力 {k['laborers']} 人，已就业 {k['employed']} 人"
               f"（{k['employment_rate']:.1%}）。")
    notes = "".join(f"<div class=\"fupin-note\">{html.escape(n)}</div>" for n in report.notes)
    return HTML(f"<h1>{html.escape(report.county)} {report.year} 年县级报告</h1>"
                f"<p>{html.escape(figures)}</p>{notes}"
                f"<p>数据时间：{html.escape(report.generated_at)}；"
                f"责任单位：{html.escape(report.params.responsible_office)}。</p>")


def import_status_table(report: CountyReport) -> ReportTable:
    """Return the import status: the entries of the import report under
    Chinese names, or one row saying that the folder contains no import report;
    then the households and people this run read."""
    items = {}
    for key, value in report.import_report.items():
        if key in _IMPORT_ITEMS:
            items[_IMPORT_ITEMS[key]] = _import_value(key, value)
        else:
            logger.debug("import report entry %r is not shown in the county report", key)
    if not items:
        items = {"导入报告": "数据目录中没有 import_report.json"}
    items["本次读取的农户数"] = len(report.households)
    items["本次读取的人数"] = report.kpis["people"]
    return ReportTable(pd.DataFrame({"项目": list(items), "值": [str(v) for v in items.values()]}))


def problem_summary(report: CountyReport) -> ReportTable:
    """Count the problems by rule, severity, source and status."""
    problems = report.problems
    if problems.empty:
        return ReportTable(pd.DataFrame({"结果": ["本次没有发现问题。"]}))
    table = problems.groupby(["check_code", "title", "severity", "source", "status"],
                             dropna=False).size().rename("问题数").reset_index()
    table = table.sort_values(["问题数", "check_code"], ascending=[False, True], kind="stable")
    table["source"] = table["source"].map({"check": "疑点核查", "verification": "入户核查"})
    return ReportTable(table.rename(columns=PROBLEM_HEADERS))


def problem_list(report: CountyReport, *, max_rows: int = 50) -> ReportTable:
    """Return the first `max_rows` problems, most severe first (the full list
    is in problems.xlsx)."""
    problems = report.problems.assign(_order=report.problems["severity"].map(_SEVERITY_ORDER))
    problems = problems.sort_values(["_order", "household_no"], kind="stable").head(max_rows)
    return ReportTable(problems[list(PROBLEM_HEADERS)].rename(columns=PROBLEM_HEADERS))


def risk_summary(report: CountyReport) -> ReportTable:
    """Count the households by risk band and by monitoring category.

    Bands 高 and 中 are marked as warnings, band 低 as no warning; households
    without a score are counted as 未评分.
    """
    households = report.households
    bands = households["risk_band"].map(_BAND_LABELS).fillna("未评分").value_counts()
    categories = households["monitoring_category"].fillna("非监测对象").value_counts()
    return ReportTable(pd.concat([
        pd.DataFrame({"分组": "风险等级", "取值": bands.index, "户数": bands.to_numpy()}),
        pd.DataFrame({"分组": "监测对象类别", "取值": categories.index, "户数": categories.to_numpy()}),
    ], ignore_index=True))


def visit_table(report: CountyReport, *, max_rows: int = 30) -> ReportTable:
    """Return the first `max_rows` households to visit (the full list is in
    flagged.xlsx and visit_list.html)."""
    if report.visits.empty:
        return ReportTable(pd.DataFrame(
            {"结果": ["本次没有需要走访的农户（没有规则标记户，也没有达到走访概率的评分）。"]}))
    visits = report.visits.head(max_rows)
    columns = [c for c in VISIT_HEADERS if c in visits.columns]
    visits = visits[columns].assign(rule_flagged=visits["rule_flagged"].map({True: "是", False: "否"}))
    return ReportTable(visits.rename(columns=VISIT_HEADERS))


def employment_summary(report: CountyReport) -> ReportTable:
    """Count the laborers and the employed laborers by employment channel."""
    laborers = report.employment[report.employment["is_laborer"]]
    channel = laborers["channel"].fillna("未就业").where(laborers["employed"], "未就业")
    table = channel.value_counts().rename_axis("就业渠道").rename("劳动力人数").reset_index()
    table["占劳动力比例"] = (table["劳动力人数"] / max(len(laborers), 1)).round(4)
    return ReportTable(table)


_EMPLOYMENT_AREA_HEADERS = {
    "name": "乡镇", "laborers": "劳动力", "employed": "已就业", "rate": "就业率",
    "subsidy_stable": "稳定就业奖补人数", "subsidy_casual": "灵活就业奖补人数",
    "subsidy_amount": "奖补金额（元）",
}


def employment_area_table(report: CountyReport) -> ReportTable:
    """Return the employment statistics and 就业奖补 by township."""
    if report.employment_areas is None:
        return ReportTable(pd.DataFrame({"结果": ["就业匹配模块不可用，没有分乡镇的就业奖补统计。"]}))
    table = report.employment_areas[report.employment_areas["level"] == "township"]
    columns = [c for c in _EMPLOYMENT_AREA_HEADERS if c in table.columns]
    return ReportTable(table[columns].rename(columns=_EMPLOYMENT_AREA_HEADERS))


def area_kpi_table(report: CountyReport, *, level: str = "township") -> ReportTable:
    """Return the KPIs by township or village with Chinese headers."""
    return ReportTable(kpis_by_area(report.households, level=level).rename(columns=AREA_KPI_HEADERS))


def plot_area_overview(report: CountyReport):
    """Plot, per township, the households flagged by a rule, the high-risk
    households and the open problems."""
    import matplotlib.pyplot as plt

    table = kpis_by_area(report.households, level="township").set_index("township")
    figure, axis = plt.subplots(figsize=(9, 0.35 * max(len(table), 4) + 1.2))
    table[["rule_flagged", "high_risk", "problems_open"]].rename(columns=AREA_KPI_HEADERS).plot.barh(
        ax=axis, width=0.8)
    axis.set_xlabel("户数 / 问题数")
    axis.set_ylabel("乡镇")
    axis.set_title(f"{report.county} {report.year} 年：各乡镇标记户、高风险户与未整改问题")
    axis.invert_yaxis()
    figure.tight_layout()
    plt.close(figure)
    return figure


def plot_employment(report: CountyReport):
    """Plot the employment rate of laborers per township."""
    import matplotlib.pyplot as plt

    table = kpis_by_area(report.households, level="township").set_index("township")
    figure, axis = plt.subplots(figsize=(9, 0.35 * max(len(table), 4) + 1.2))
    (table["employment_rate"] * 100).plot.barh(ax=axis, color="#3b7dd8")
    axis.set_xlabel("劳动力就业率（%）")
    axis.set_ylabel("乡镇")
    axis.set_xlim(0, 100)
    axis.set_title(f"{report.county} {report.year} 年：各乡镇劳动力就业率")
    axis.invert_yaxis()
    figure.tight_layout()
    plt.close(figure)
    return figure


def outputs_table(paths) -> ReportTable:
    """List the output files written by `write_county_outputs` by name, with
    what each holds."""
    names = [Path(p).name for p in paths]
    return ReportTable(pd.DataFrame({"文件": names,
                                     "内容": [OUTPUT_DESCRIPTIONS.get(n, "") for n in names]}))
