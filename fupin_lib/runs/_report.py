"""The county report: load one county's data, run the checks, the risk model
and the employment statistics, and write the run outputs.

`build_county_report` gathers everything the notebook shows into a
`CountyReport`; `write_county_outputs` writes the files that the dashboard and
the case store read (the output contract in docs/county-runs.md).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import re
from pathlib import Path

import pandas as pd

from .._errors import ParameterError
from ..geo import division_name
from ..metrics._county import county_kpis
from ..params import CountyParams, load_county_params
from ..reports import mask_name, mask_phone, person_key, write_excel
from ..schema import is_employed, is_laborer
from . import _sources

__all__ = [
    "CountyReport",
    "build_county_report",
    "write_county_outputs",
    "HOUSEHOLD_COLUMNS",
    "PROBLEM_COLUMNS",
    "EMPLOYMENT_COLUMNS",
]

logger = logging.getLogger(__name__)

# Output contract: column -> dtype of households.parquet, problems.parquet and
# employment.parquet. The dashboard reads these files; change them together.
HOUSEHOLD_COLUMNS = {
    "year": "int64", "county_code": "string", "county": "string",
    "township_code": "string", "township": "string", "village_code": "string",
    "village": "string", "household_no": "string", "household_size": "int64",
    "head_name_masked": "string", "monitoring_category": "string", "verified": "bool",
    "rule_flagged": "bool", "rule_reasons": "string", "risk_probability": "float64",
    "risk_rank": "Int64", "risk_band": "string", "suggested_category": "string",
    "risk_reasons": "string", "laborers": "int64", "employed": "int64",
    "problems_open": "int64", "problems_closed": "int64", "net_income_per_capita": "float64",
}
PROBLEM_COLUMNS = {
    "year": "int64", "county_code": "string", "township_code": "string",
    "village_code": "string", "household_no": "string", "person_masked": "string",
    "check_code": "string", "title": "string", "severity": "string", "source": "string",
    "status": "string", "responsible": "string", "deadline": "string", "description": "string",
}
EMPLOYMENT_COLUMNS = {
    "year": "int64", "county_code": "string", "township_code": "string",
    "village_code": "string", "household_no": "string", "person_key": "string",
    "is_laborer": "bool", "employed": "bool", "channel": "string", "work_months": "float64",
}

# Ledger statuses that count as closed (销号).
CLOSED_STATUSES = ("已销号", "closed")
OPEN_STATUS = "待整改"


@dataclasses.dataclass
class CountyReport:
    """Everything one county run shows and writes.

    Attributes
    ----------
    county_code, county : str
    year : int
    params : CountyParams
    import_report : dict
        The import report of the clean data (empty if there is none).
    households, problems, employment : DataFrame
        The three output tables, in the columns of the output contract.
    employment_areas : DataFrame or None
        Employment and 就业奖补 statistics by area
        (`fupin_lib.matching.employment_statistics`).
    visits : DataFrame
        Households to visit, ordered by priority, at most the visit capacity.
    kpis : dict
        The content of kpis.json.
    notes : list of str
        Chinese notes for the reader: parts that could not run and why.
    generated_at : str
        ISO time of the input data (see `build_county_report`).
    """

    county_code: str
    county: str
    year: int
    params: CountyParams
    import_report: dict
    households: pd.DataFrame
    problems: pd.DataFrame
    employment: pd.DataFrame
    employment_areas: pd.DataFrame | None
    visits: pd.DataFrame
    kpis: dict
    notes: list
    generated_at: str


def _validate_arguments(county_code, year, data_dir, model_dir, params_file):
    if not isinstance(county_code, str) or not re.fullmatch(r"\d{6}", county_code):
        raise ParameterError(f"county_code 应为 6 位数字的文本（如 \"441224\"），得到 {county_code!r}。")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ParameterError(f"year 应为年份整数（如 2020），得到 {year!r}。")
    for name, value in (("data_dir", data_dir), ("model_dir", model_dir), ("params_file", params_file)):
        if not isinstance(value, (str, os.PathLike)):
            raise ParameterError(f"{name} 应为路径文本，得到 {value!r}。")
    county_dir = Path(data_dir) / county_code / str(year)
    if not (county_dir / "households.parquet").exists():
        raise ParameterError(
            f"没有找到 {county_code} 县 {year} 年的规范表：{county_dir / 'households.parquet'}。"
            "请先运行 fupin import，或检查 --data、--county 和 --year。"
        )


def build_county_report(county_code: str, year: int, *, data_dir, model_dir="",
                        params_file="") -> CountyReport:
    """Load a county's clean data and compute everything its report shows.

    Parameters
    ----------
    county_code : str
        6-digit county code, as text.
    year : int
    data_dir : path-like
        Clean-data root (``data/clean``).
    model_dir : path-like, default=""
        Folder of the saved risk model; empty or missing means no risk scores.
    params_file : path-like, default=""
        County parameter file; empty means ``parameters/counties/<code>.yaml``.

    Returns
    -------
    CountyReport

    Raises
    ------
    ParameterError
        If an argument has the wrong type or the county has no clean data.
    """
    _validate_arguments(county_code, year, data_dir, model_dir, params_file)
    read = lambda table, y=year: _sources.read_county_table(data_dir, county_code, y, table)  # noqa: E731
    households, members, verifications = read("households"), read("members"), read("verifications")
    previous_households, previous_members = read("households", year - 1), read("members", year - 1)
    notes = []

    county = _county_name(households, county_code)
    params = load_county_params(county_code, path=params_file or None, county_name=county)
    import_report = _sources.read_import_report(data_dir, county_code, year)

    hits, note = _sources.run_rule_checks(households, members, verifications, year=year)
    notes.append(note)
    flags, note = _sources.flag_monitoring(
        households, members, year=year,
        previous_households=previous_households if len(previous_households) else None)
    notes.append(note)
    scores, note = _sources.score_risk(model_dir, households, members, previous_households,
                                       previous_members, year=year)
    notes.append(note)
    items, note = _sources.update_problem_ledger(hits, county_code=county_code, year=year)
    notes.append(note)

    problems = _problem_table(hits, items, members, households,
                              county_code=county_code, year=year, params=params)
    employment = _employment_table(members, households, county_code=county_code, year=year)
    employment_areas, note = _sources.employment_by_area(members, households, year=year)
    notes.append(note)
    table = _household_table(households, verifications, flags, scores, employment, problems,
                             county_code=county_code, county=county, year=year)
    generated_at = _data_time(data_dir, county_code, year, import_report)
    kpis = county_kpis(table, employment, county_code=county_code, county=county, year=year,
                       generated_at=generated_at)
    return CountyReport(
        county_code=county_code, county=county, year=year, params=params,
        import_report=import_report, households=table, problems=problems,
        employment=employment, employment_areas=employment_areas,
        visits=_visit_table(table, households, params),
        kpis=kpis, notes=[n for n in notes if n], generated_at=generated_at,
    )


def _county_name(households: pd.DataFrame, county_code: str) -> str:
    names = households["county"].dropna() if "county" in households else pd.Series(dtype="string")
    if len(names):
        return str(names.mode().iloc[0])
    return division_name(county_code) or county_code


def _data_time(data_dir, county_code, year, import_report) -> str:
    # kpis.json carries the time of the input data rather than the time of
    # the run, so that the same inputs give the same outputs.
    for key in ("finished_at", "generated_at", "finished", "created_at"):
        if import_report.get(key):
            return str(import_report[key])
    folder = Path(data_dir) / county_code / str(year)
    newest = max((p.stat().st_mtime for p in folder.glob("*.parquet")), default=0.0)
    return datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).isoformat(timespec="seconds")


def _typed(frame: pd.DataFrame, columns: dict) -> pd.DataFrame:
    frame = frame.reindex(columns=list(columns))
    for column, dtype in columns.items():
        if dtype == "bool":
            frame[column] = frame[column].fillna(False).astype(bool)
        elif dtype == "int64":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64")
        else:
            frame[column] = frame[column].astype(dtype)
    return frame.reset_index(drop=True)


def _employment_table(members, households, *, county_code, year) -> pd.DataFrame:
    areas = households[["household_no", "township_code", "village_code"]].drop_duplicates("household_no")
    people = members.merge(areas, on="household_no", how="left")
    channel = people["employment_channel"].astype("string")
    if "public_job_months" in people:
        public = pd.to_numeric(people["public_job_months"], errors="coerce").fillna(0) >= 1
        channel = channel.mask(channel.isna() & public, "公益性岗位")
    frame = pd.DataFrame({
        "year": year, "county_code": county_code,
        "township_code": people["township_code"], "village_code": people["village_code"],
        "household_no": people["household_no"], "person_key": person_key(people["id_number"]),
        "is_laborer": is_laborer(people), "employed": is_employed(people),
        "channel": channel, "work_months": pd.to_numeric(people["work_months"], errors="coerce"),
    })
    frame = frame.sort_values(["household_no", "person_key"], kind="stable")
    return _typed(frame, EMPLOYMENT_COLUMNS)


def _problem_table(hits, items, members, households, *, county_code, year, params) -> pd.DataFrame:
    """Build the problem list: the ledger's items of the year when the ledger
    is available (their status may have been changed by people), otherwise
    this run's hits, all open."""
    names = members.drop_duplicates("id_number").set_index("id_number")["name"]
    if items is None:
        deadline = (params.rectification_deadline or datetime.date(year, 12, 31)).isoformat()
        problems = hits.assign(status=OPEN_STATUS, responsible=pd.NA, deadline=deadline)
    else:
        severity = hits.drop_duplicates("check_code").set_index("check_code")["severity"]
        problems = items.assign(
            severity=items["check_code"].map(severity),
            name=items["id_number"].map(names),
            deadline=pd.to_datetime(items["deadline"]).dt.strftime("%Y-%m-%d"),
        )
    # The responsible cadre is a person's name, masked like every name in the
    # outputs; the office named in place of a missing cadre is not.
    problems = problems.assign(
        person_masked=mask_name(problems["name"]),
        responsible=mask_name(problems["responsible"]).fillna(params.responsible_office),
    )

    areas = households[["household_no", "township_code", "village_code"]].drop_duplicates("household_no")
    problems = problems.drop(columns=["township_code", "village_code"], errors="ignore")
    problems = problems.merge(areas, on="household_no", how="left")
    problems = problems.assign(year=year, county_code=county_code)
    problems = problems.sort_values(["household_no", "check_code", "description"], kind="stable")
    return _typed(problems, PROBLEM_COLUMNS)


def _household_table(households, verifications, flags, scores, employment, problems, *,
                     county_code, county, year) -> pd.DataFrame:
    table = households.drop_duplicates("household_no").copy()
    table["year"] = year
    table["county_code"] = county_code
    table["county"] = table["county"].fillna(county) if "county" in table else county
    table["head_name_masked"] = mask_name(table["head_name"])
    table["verified"] = table["household_no"].isin(verifications["household_no"])
    table = table.merge(flags, on="household_no", how="left")
    table = table.merge(scores, on="household_no", how="left")
    # Without a risk score, the category suggested by the monitoring criteria.
    table["suggested_category"] = table["suggested_category"].fillna(table["rule_category"])

    # People are the member rows of the year, everywhere: household_size here
    # (summed by the dashboard) and ``people`` in kpis.json. The declared
    # household size of the register may differ from the member rows.
    people = employment.groupby("household_no").agg(household_size=("person_key", "size"),
                                                    laborers=("is_laborer", "sum"),
                                                    employed=("employed", "sum"))
    table = table.drop(columns="household_size", errors="ignore")
    people["employed"] = employment[employment["is_laborer"]].groupby("household_no")["employed"].sum()
    closed = problems["status"].isin(CLOSED_STATUSES)
    counts = pd.DataFrame({
        "problems_open": (~closed).groupby(problems["household_no"]).sum(),
        "problems_closed": closed.groupby(problems["household_no"]).sum(),
    })
    table = table.merge(people, left_on="household_no", right_index=True, how="left")
    table = table.merge(counts, left_on="household_no", right_index=True, how="left")
    table["net_income_per_capita"] = pd.to_numeric(table["net_income_per_capita"], errors="coerce")
    table = table.sort_values(["township_code", "village_code", "household_no"], kind="stable")
    return _typed(table, HOUSEHOLD_COLUMNS)


def _visit_table(table: pd.DataFrame, households: pd.DataFrame, params: CountyParams) -> pd.DataFrame:
    """Select the households to visit: flagged by a rule or scored at or above
    the visit probability, highest probability first, cut at the capacity."""
    high_risk = table["risk_probability"].fillna(0) >= params.visit_probability
    chosen = table["rule_flagged"] | high_risk
    if not params.visit_monitored:
        chosen &= table["monitoring_category"].isna()
    visits = table[chosen].copy()
    visits["_order"] = visits["risk_probability"].fillna(-1.0)
    visits = visits.sort_values(["rule_flagged", "_order", "household_no"],
                                ascending=[False, False, True], kind="stable")
    visits = visits.head(params.visit_capacity).drop(columns="_order")

    helpers = households.drop_duplicates("household_no").set_index("household_no")
    for column in ("helper_name", "helper_unit", "phone"):
        values = helpers[column] if column in helpers else pd.Series(dtype="string")
        visits[column] = visits["household_no"].map(values)
    visits["helper_name"] = mask_name(visits["helper_name"])
    visits["phone_masked"] = mask_phone(visits["phone"])
    visits = visits.drop(columns="phone")
    visits["reasons"] = [
        "；".join(part for part in (rule, risk) if isinstance(part, str) and part)
        for rule, risk in zip(visits["rule_reasons"], visits["risk_reasons"])
    ]
    return visits.reset_index(drop=True)


# Chinese headers of the Excel outputs.
VISIT_HEADERS = {
    "township": "乡镇", "village": "村", "household_no": "户编号", "head_name_masked": "户主",
    "household_size": "人数", "monitoring_category": "监测对象类别", "rule_flagged": "规则标记",
    "risk_probability": "风险概率", "risk_band": "风险等级", "suggested_category": "建议类别",
    "reasons": "原因", "helper_name": "帮扶责任人", "helper_unit": "帮扶单位", "phone_masked": "联系电话",
}
PROBLEM_HEADERS = {
    "township_code": "乡代码", "village_code": "村代码", "household_no": "户编号",
    "person_masked": "人员", "check_code": "核查规则", "title": "问题", "severity": "严重程度",
    "source": "来源", "status": "状态", "responsible": "责任单位", "deadline": "整改时限",
    "description": "说明",
}


def write_county_outputs(report: CountyReport, output_dir) -> list[Path]:
    """Write the data outputs of a county run into `output_dir`.

    Writes households.parquet, problems.parquet, employment.parquet,
    kpis.json, flagged.xlsx (households to visit), problems.xlsx and the
    printable visit lists (visit_list.html). The runner adds the executed
    notebook, report.html and run.json.

    Returns
    -------
    list of Path
        The files written.
    """
    from ..reports import write_visit_lists

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("households", "problems", "employment"):
        path = output_dir / f"{name}.parquet"
        getattr(report, name).to_parquet(path, index=False)
        written.append(path)

    kpis_path = output_dir / "kpis.json"
    kpis_path.write_text(json.dumps(report.kpis, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
                         encoding="utf-8")
    written.append(kpis_path)

    visits = report.visits[[c for c in VISIT_HEADERS if c in report.visits.columns]].copy()
    visits["rule_flagged"] = visits["rule_flagged"].map({True: "是", False: "否"})
    written.append(write_excel({"走访名单": visits}, output_dir / "flagged.xlsx", headers=VISIT_HEADERS))
    problems = report.problems[list(PROBLEM_HEADERS)].copy()
    problems["source"] = problems["source"].map({"check": "疑点核查", "verification": "入户核查"})
    written.append(write_excel({"问题清单": problems}, output_dir / "problems.xlsx",
                               headers=PROBLEM_HEADERS))
    written.append(write_visit_lists(
        report.visits, output_dir / "visit_list.html", county=report.county, year=report.year,
        office=report.params.responsible_office, contact=report.params.contact,
        rows_per_page=report.params.max_households_per_cadre,
    ))
    logger.info("county %s %s: %d outputs written to %s", report.county_code, report.year,
                len(written), output_dir)
    return written
