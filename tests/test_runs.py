"""County runs end to end with real kernels: outputs and their contents,
failure isolation on Dask, reruns, Excel formula neutralisation, orphan
kernels and external URLs in the HTML."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from fupin_lib.reports import external_urls, write_visit_lists
from fupin_lib.runs import EMPLOYMENT_COLUMNS, HOUSEHOLD_COLUMNS, PROBLEM_COLUMNS, run_counties, run_county
from fupin_lib.schema import HOUSEHOLDS, MEMBERS, VERIFICATIONS

pytestmark = pytest.mark.slow

YEAR = 2020
GOOD, SECOND, BROKEN = "441224", "441226", "441225"
FORMULA_DESCRIPTION = "=1+1 收入与存折不符"


def _canonical(table, columns: dict, n: int) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(columns.get(name, [pd.NA] * n), dtype=dtype)
                         for name, dtype in table.dtypes().items()})


def write_tiny_county(root: Path, code: str, *, households: int = 6, county: str = "怀集县") -> Path:
    """Write households, members and verifications of one tiny county in the
    canonical layout: two townships, two members per household, the first
    head's name and a verification problem text starting with ``=``."""
    n = households
    folder = root / code / str(YEAR)
    folder.mkdir(parents=True)
    numbers = [f"{code}{i:05d}" for i in range(n)]
    townships = [f"{code}{100 + i % 2:03d}" for i in range(n)]
    _canonical(HOUSEHOLDS, {
        "year": [YEAR] * n, "county_code": [code] * n, "county": [county] * n,
        "township_code": townships, "township": ["甲镇" if i % 2 == 0 else "乙镇" for i in range(n)],
        "village_code": [t + "601" for t in townships], "village": ["一村"] * n,
        "household_no": numbers, "head_name": ["=HYPERLINK(\"x\")"] + [f"张{i}明" for i in range(1, n)],
        "household_size": [2] * n,
        "monitoring_category": ["脱贫不稳定户"] + [pd.NA] * (n - 1),
        "net_income_per_capita": [3000.0 + 1000 * i for i in range(n)],
        "helper_name": ["李四", "王五"] * (n // 2) + ["李四"] * (n % 2),
        "helper_unit": ["县农业局"] * n, "phone": ["13800138000"] * n,
    }, n).to_parquet(folder / "households.parquet", index=False)
    m = 2 * n
    _canonical(MEMBERS, {
        "year": [YEAR] * m, "county_code": [code] * m,
        "household_no": [h for h in numbers for _ in range(2)],
        "name": [f"张{i}" for i in range(m)],
        "id_number": [f"{code}19800101{i:03d}X" for i in range(m)],
        "relation_to_head": ["户主", "配偶"] * n, "sex": ["男", "女"] * n,
        "birth_date": pd.to_datetime(["1980-01-01", "1985-06-01"] * n),
        "labor_skill": ["普通劳动力", "无劳动力"] * n,
        "work_months": [10.0, 0.0] * n, "employment_channel": ["外出务工", pd.NA] * n,
    }, m).to_parquet(folder / "members.parquet", index=False)
    _canonical(VERIFICATIONS, {
        "year": [YEAR] * 2, "county_code": [code] * 2, "household_no": numbers[:2],
        "verify_date": pd.to_datetime(["2020-06-01", "2020-06-02"]),
        "problems_found": [True, False], "problem_type": ["收入不实", pd.NA],
        "problem_description": [FORMULA_DESCRIPTION, pd.NA],
    }, 2).to_parquet(folder / "verifications.parquet", index=False)
    return folder


def _our_kernels() -> list[str]:
    """Command lines of kernels started by county runs (their connection
    file sits in a fupin-kernel-* folder)."""
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if "ipykernel_launcher" in line and "fupin-kernel-" in line]


@pytest.fixture(scope="module")
def city_run(tmp_path_factory):
    """Three tiny counties, the third with a corrupt members file, run on a
    local Dask cluster of 2 workers."""
    root = tmp_path_factory.mktemp("clean")
    write_tiny_county(root, GOOD)
    write_tiny_county(root, SECOND, households=4, county="德庆县")
    broken = write_tiny_county(root, BROKEN, households=4, county="封开县")
    (broken / "members.parquet").write_bytes(b"not a parquet file")
    out = tmp_path_factory.mktemp("outputs")
    table = run_counties([GOOD, SECOND, BROKEN], year=YEAR, data_root=root, model_dir=root / "no-model",
                         output_root=out, workers=2, progress=False)
    return root, out, table


def test_run_counties_isolates_failure(city_run):
    _, out, table = city_run
    assert list(table["county"]) == [GOOD, SECOND, BROKEN]
    assert list(table["status"]) == ["success", "success", "failed"]
    assert "members.parquet" in table.loc[2, "error"]
    assert table["seconds"].notna().all()

    failed = out / BROKEN / str(YEAR)
    record = json.loads((failed / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed"
    assert "build_county_report" in record["error"]["cell_source"]
    assert "ArrowInvalid" in (failed / "error.txt").read_text(encoding="utf-8")
    partial = nbformat.read(str(failed / "report.ipynb"), as_version=4)
    assert any(o.get("output_type") == "error" for c in partial.cells for o in c.get("outputs", []))
    assert (failed / "report.html").exists()
    assert not (failed / "households.parquet").exists()


def test_run_outputs_follow_contract(city_run):
    _, out, _ = city_run
    folder = out / GOOD / str(YEAR)
    households = pd.read_parquet(folder / "households.parquet")
    problems = pd.read_parquet(folder / "problems.parquet")
    employment = pd.read_parquet(folder / "employment.parquet")
    assert list(households.columns) == list(HOUSEHOLD_COLUMNS)
    assert list(problems.columns) == list(PROBLEM_COLUMNS)
    assert list(employment.columns) == list(EMPLOYMENT_COLUMNS)
    assert households["year"].dtype == "int64"
    assert households["verified"].dtype == bool
    assert pd.api.types.is_string_dtype(households["county_code"])
    assert households["risk_probability"].isna().all()  # no model given

    assert len(households) == 6
    assert set(households["county_code"]) == {GOOD}
    assert households["head_name_masked"].str.contains(r"\*").all()
    assert households["verified"].sum() == 2
    assert households["laborers"].sum() == 6
    assert households["employed"].sum() == 6
    assert len(employment) == 12
    assert employment["person_key"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert not employment["person_key"].str.contains(GOOD).any()

    visit_problems = problems[problems["source"] == "verification"]
    assert list(visit_problems["household_no"]) == [f"{GOOD}00000"]
    assert visit_problems["description"].iloc[0] == FORMULA_DESCRIPTION
    assert problems["deadline"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (problems["responsible"] != "").all()
    per_household = problems.groupby("household_no").size()
    assert households.set_index("household_no")["problems_open"].loc[per_household.index].tolist() \
        == per_household.tolist()


def test_run_kpis_match_households(city_run):
    _, out, _ = city_run
    folder = out / GOOD / str(YEAR)
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    households = pd.read_parquet(folder / "households.parquet")
    assert kpis["county_code"] == GOOD
    assert kpis["county"] == "怀集县"
    assert kpis["year"] == YEAR
    assert kpis["households"] == 6
    assert kpis["people"] == 12
    assert kpis["verified_households"] == 2
    assert kpis["monitored_by_category"] == {"脱贫不稳定户": 1, "边缘易致贫户": 0, "突发严重困难户": 0}
    # No model: no household has a band, so none is flagged or counted as 低.
    assert kpis["flagged_by_band"] == {"高": 0, "中": 0}
    assert kpis["flagged"] == 0
    assert kpis["scored_no_warning"] == 0
    assert kpis["rule_flagged"] == int(households["rule_flagged"].sum())
    assert kpis["problems_open"] == int(households["problems_open"].sum())
    assert kpis["laborers"] == 6
    assert kpis["employed"] == 6
    assert kpis["employment_rate"] == 1.0
    assert kpis["generated_at"]


def test_run_record_lists_inputs(city_run):
    root, out, _ = city_run
    record = json.loads((out / GOOD / str(YEAR) / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "success"
    assert record["parameters"]["county_code"] == GOOD
    assert record["parameters"]["year"] == YEAR
    assert record["library_version"]
    assert record["start"] <= record["end"]
    inputs = {Path(p).name: h for p, h in record["inputs"].items()}
    assert {"households.parquet", "members.parquet", "verifications.parquet", "defaults.yaml"} <= set(inputs)
    assert all(len(h) == 64 for h in inputs.values())
    assert record["case_store"]["status"] == "updated"

    notebook = nbformat.read(str(out / GOOD / str(YEAR) / "report.ipynb"), as_version=4)
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert re.search(rf"county_code = ['\"]{GOOD}['\"]", injected[0].source)  # text, not a number
    assert str((out / GOOD / str(YEAR)).resolve()) in injected[0].source
    assert "staging" not in injected[0].source


def test_run_excel_outputs_values_only(city_run):
    _, out, _ = city_run
    folder = out / GOOD / str(YEAR)
    for name in ("problems.xlsx", "flagged.xlsx"):
        workbook = openpyxl.load_workbook(folder / name)
        cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], name
        assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "@"))]
    problems = openpyxl.load_workbook(folder / "problems.xlsx").active
    texts = {c.value for row in problems.iter_rows() for c in row}
    assert "'" + FORMULA_DESCRIPTION in texts
    assert "问题" in texts
    assert "整改时限" in texts


def test_run_flagged_matches_households(city_run):
    _, out, _ = city_run
    folder = out / GOOD / str(YEAR)
    households = pd.read_parquet(folder / "households.parquet")
    flagged = pd.read_excel(folder / "flagged.xlsx", dtype=str, engine="openpyxl")
    expected = households["rule_flagged"] | (households["risk_probability"].fillna(0) >= 0.5)
    assert len(flagged) == int(expected.sum())
    assert "户编号" in flagged.columns
    assert "原因" in flagged.columns


def test_run_html_report_self_contained(city_run):
    _, out, _ = city_run
    html = (out / GOOD / str(YEAR) / "report.html").read_text(encoding="utf-8")
    assert external_urls(html) == []
    for cdn_name in ("cdnjs", "unpkg", "require.js", "MathJax.js"):
        assert cdn_name not in html
    assert 'name="viewport"' in html
    assert "怀集县 2020 年县级报告" in html
    assert "疑点核查与问题清单" in html
    assert html.count("data:image/png;base64") >= 2
    assert "build_county_report" not in html  # input cells left out
    assert "运行器注入" not in html  # no note for developers
    # The import status under Chinese names, every table without the index column.
    assert "拒绝行数" in html or "没有 import_report.json" in html
    for key in ("county_code", "n_rejects", "n_warnings"):
        assert f"<td>{key}</td>" not in html
    assert "<th>项目</th>" in html
    assert re.search(r"<tbody>\s*<tr[^>]*>\s*<th", html) is None
    assert '<th></th>' not in html
    visit = (out / GOOD / str(YEAR) / "visit_list.html").read_text(encoding="utf-8")
    assert external_urls(visit) == []
    assert "@page" in visit


def test_run_leaves_no_kernels_or_staging(city_run):
    _, out, _ = city_run
    assert _our_kernels() == []
    assert not [p for p in (out / GOOD).iterdir() if p.name.startswith(".")]


def test_run_county_rerun_same_outputs(city_run, tmp_path):
    root, out, _ = city_run
    folder = out / GOOD / str(YEAR)
    before = {name: (folder / name).read_bytes()
              for name in ("households.parquet", "problems.parquet", "employment.parquet",
                           "kpis.json", "visit_list.html", "report.html")}
    excel_before = pd.read_excel(folder / "problems.xlsx", dtype=str, engine="openpyxl")
    record_before = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    (folder / "stale.txt").write_text("from an earlier run", encoding="utf-8")

    result = run_county(GOOD, year=YEAR, data_root=root, model_dir=root / "no-model", output_root=out)

    assert result["status"] == "success"
    assert not (folder / "stale.txt").exists()  # the folder is replaced as a whole
    for name, content in before.items():
        assert (folder / name).read_bytes() == content, name
    pd.testing.assert_frame_equal(pd.read_excel(folder / "problems.xlsx", dtype=str, engine="openpyxl"), excel_before)
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    varying = {"start", "end", "seconds", "case_store"}
    assert {k: v for k, v in record.items() if k not in varying} == \
        {k: v for k, v in record_before.items() if k not in varying}
    assert _our_kernels() == []


def test_run_county_dead_kernel_recorded(tmp_path):
    root = tmp_path / "clean"
    write_tiny_county(root, GOOD, households=2)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('county_code = ""\nyear = 0\ndata_dir = ""\nmodel_dir = ""\n'
                                  'params_file = ""\noutput_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import os\nos._exit(1)"),
    ]
    notebook.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    path = tmp_path / "dies.ipynb"
    nbformat.write(notebook, str(path))

    result = run_county(GOOD, year=YEAR, data_root=root, model_dir="", output_root=tmp_path / "out",
                        notebook=path, update_case_store=False, timeout=60)

    assert result["status"] == "failed"
    record = json.loads((tmp_path / "out" / GOOD / str(YEAR) / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed"
    assert "DeadKernel" in record["error"]["message"] or "died" in record["error"]["message"]
    assert _our_kernels() == []


def test_run_county_unknown_parameter_fails(tmp_path):
    root = tmp_path / "clean"
    write_tiny_county(root, GOOD, households=2)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell('county_code = ""\nyear = 0', metadata={"tags": ["parameters"]})]
    path = tmp_path / "few.ipynb"
    nbformat.write(notebook, str(path))

    result = run_county(GOOD, year=YEAR, data_root=root, model_dir="", output_root=tmp_path / "out",
                        notebook=path, update_case_store=False)

    assert result["status"] == "failed"
    assert "output_dir" in result["error"]


def test_visit_list_one_section_per_cadre(tmp_path):
    visits = pd.DataFrame({
        "township": ["甲镇"] * 5, "village": ["一村"] * 5,
        "household_no": [f"h{i}" for i in range(5)], "head_name_masked": ["张*"] * 5,
        "household_size": [3] * 5, "phone_masked": ["138****8000"] * 5,
        "reasons": ["<收入下降>"] * 5, "helper_name": ["李*", "李*", "王*", pd.NA, "李*"],
        "helper_unit": ["农业局", "农业局", "水利局", pd.NA, "农业局"],
    })
    path = write_visit_lists(visits, tmp_path / "visits.html", county="怀集县", year=2020,
                             office="怀集县乡村振兴局", rows_per_page=2)
    html = path.read_text(encoding="utf-8")
    assert html.count('<section class="cadre">') == 3
    assert "帮扶责任人：李*（农业局）　共 3 户" in html
    assert "未登记帮扶责任人" in html
    assert html.count('<table class="sheet">') == 4  # 李*: 2 + 1 rows; 王* and the unregistered: 1 each
    assert "&lt;收入下降&gt;" in html
    assert "size: A4" in html


def test_run_county_retries_kernel_start(tmp_path, monkeypatch, caplog):
    from fupin_lib.runs import _kernel

    root = tmp_path / "clean"
    write_tiny_county(root, GOOD, households=2)
    original = _kernel._ProjectKernelManager.kernel_spec.fget
    first = []

    def spec_failing_once(manager):
        # The first kernel manager launches a missing program; later ones work.
        spec = original(manager)
        first.append(first[0] if first else manager)
        if manager is first[0]:
            spec.argv = [str(tmp_path / "no-such-python"), *spec.argv[1:]]
        return spec

    monkeypatch.setattr(_kernel._ProjectKernelManager, "kernel_spec", property(spec_failing_once))
    result = run_county(GOOD, year=YEAR, data_root=root, model_dir="", output_root=tmp_path / "out",
                        update_case_store=False)

    assert result["status"] == "success"
    assert "kernel failed to start" in caplog.text
    assert _our_kernels() == []


def test_run_counties_missing_year_rejected(tmp_path):
    from fupin_lib import ParameterError

    write_tiny_county(tmp_path, GOOD, households=2)
    with pytest.raises(ParameterError, match="2019"):
        run_counties([GOOD], year=2019, data_root=tmp_path, model_dir="", output_root=tmp_path / "out",
                     workers=0, progress=False)
    assert not (tmp_path / "out").exists()


def test_run_county_on_imported_sample(clean_root, tmp_path):
    from fupin_lib.io import read_table

    households = read_table(clean_root, GOOD, YEAR, "households")
    members = read_table(clean_root, GOOD, YEAR, "members")

    result = run_county(GOOD, year=YEAR, data_root=clean_root, model_dir="", output_root=tmp_path)

    assert result["status"] == "success", result["error"]
    folder = tmp_path / GOOD / str(YEAR)
    table = pd.read_parquet(folder / "households.parquet")
    employment = pd.read_parquet(folder / "employment.parquet")
    kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
    assert sorted(table["household_no"]) == sorted(households["household_no"].unique())
    assert len(employment) == len(members)
    assert kpis["households"] == households["household_no"].nunique()
    assert kpis["monitored_by_category"]["脱贫不稳定户"] == \
        int((households.drop_duplicates("household_no")["monitoring_category"] == "脱贫不稳定户").sum())
    assert kpis["rule_flagged"] > 0  # the sample holds households below the monitoring line
    assert len(pd.read_excel(folder / "flagged.xlsx", engine="openpyxl")) > 0
    assert "帮扶责任人" in (folder / "visit_list.html").read_text(encoding="utf-8")
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "风险预警：未评分" in report  # no model: no household counted in any band
    assert f"{kpis['people']} 人" in report
    assert kpis["people"] == len(members)


def test_people_agree_between_dashboard_and_kpis(tmp_path):
    """People are the member rows of the year in kpis.json, households.parquet
    and the dashboard, even when the declared household size differs."""
    from fupin_lib.cases.access import User
    from fupin_lib.metrics import kpis
    from fupin_lib.runs import build_county_report, write_county_outputs

    folder = write_tiny_county(tmp_path / "clean", GOOD)
    households = pd.read_parquet(folder / "households.parquet")
    households.loc[0, "household_size"] = 4  # declared 4, two member rows
    households.to_parquet(folder / "households.parquet", index=False)
    report = build_county_report(GOOD, YEAR, data_dir=tmp_path / "clean")
    out = tmp_path / "outputs"
    write_county_outputs(report, out / GOOD / str(YEAR))

    written = json.loads((out / GOOD / str(YEAR) / "kpis.json").read_text(encoding="utf-8"))
    figures = kpis(GOOD, YEAR, outputs_root=out, user=User("leader", "leader", "4412"))
    assert written["people"] == 12
    assert figures["people"] == written["people"]
    assert report.households["household_size"].tolist() == [2] * 6
