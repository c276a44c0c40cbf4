"""The analysts' notebook runs top to bottom with papermill in a real kernel
on the imported sample, and its steps work on hand-made problems."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from fupin_lib.checks import (
    describe_problems, filter_problems, household_detail, household_ranking, problems_by_village,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore" / "verification_results.ipynb"


def test_notebook_has_one_parameters_cell_and_no_definitions():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    tagged = [c for c in code_cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert code_cells[0] is tagged[0]
    for cell in code_cells:
        assert "def " not in cell.source
        assert "matplotlib.use" not in cell.source


@pytest.mark.slow
def test_notebook_runs_on_sample(clean_root, tmp_path):
    import papermill

    output = tmp_path / "verification_results.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(output), kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
        parameters={"data_dir": str(clean_root), "county_code": "441224", "year": 2020},
    )
    notebook = nbformat.read(output, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "行政村" in html
    assert "核查户次" in html


def _problems():
    return pd.DataFrame({
        "township": ["连麦镇", "连麦镇", "连麦镇", "中洲镇"],
        "village": ["莲社村", "莲社村", "仓社村", "下冲村"],
        "household_no": ["H1", "H1", "H2", "H3"],
        "id_number": ["441224197005121239", None, None, "44122419720308124X"],
        "name": ["张三", None, None, "王五"],
        "check_code": ["1_01_007", "8_01_002", "8_01_002", "6_01_004"],
        "title": ["性别与证件号码不符", "已纳入监测但未填写任何风险类型", "已纳入监测但未填写任何风险类型",
                  "16–59 周岁非在校生未参加基本养老保险"],
        "kind": ["身份信息", "监测逻辑", "监测逻辑", "保险"],
        "values": ["性别=女", "监测对象类别=脱贫不稳定户", "监测对象类别=边缘易致贫户", "养老=否"],
    })


def test_filter_problems_by_area_and_code():
    problems = _problems()
    assert list(filter_problems(problems, township="连麦镇")["household_no"]) == ["H1", "H1", "H2"]
    assert list(filter_problems(problems, village="莲社村", codes=["8_01_002"])["household_no"]) == ["H1"]
    assert list(filter_problems(problems, kinds=["保险"])["household_no"]) == ["H3"]
    assert describe_problems(problems) == "问题 4 条，涉及 3 户。"


def test_problems_by_village_counts():
    pivot = problems_by_village(_problems())
    assert pivot.loc[("连麦镇", "莲社村"), "合计"] == 2
    assert pivot.loc[("连麦镇", "莲社村"), "监测逻辑"] == 1
    assert pivot.loc[("中洲镇", "下冲村"), "保险"] == 1
    assert pivot.index[0] == ("连麦镇", "莲社村")


def test_household_drill_down_masks():
    problems = _problems()
    ranking = household_ranking(problems)
    assert list(ranking["户编号"])[0] == "H1"
    assert ranking.loc[0, "核查编码"] == "1_01_007、8_01_002"
    detail = household_detail(problems)
    assert list(detail["户编号"]) == ["H1", "H1"]
    assert detail.loc[0, "成员证件号码"] == "441224********1239"
    assert detail.loc[0, "姓名"] == "张*"
    assert list(household_detail(problems, "H3")["核查编码"]) == ["6_01_004"]
