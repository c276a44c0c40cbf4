"""``fupin check`` on the imported sample: reports, ledger, re-runs and errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from fupin_lib.checks import check_partition, problem_table, read_ledger, summary_tables
from fupin_lib.cli import main


def _run(args):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def test_check_command_writes_reports_and_ledger(clean_root, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    out = tmp_path / "out"
    code = _run(["check", "--data", str(clean_root), "--county", "441224", "--year", "2020",
                 "--out", str(out), "--db", url])
    printed = capsys.readouterr().out
    assert code == 0
    assert "2020 年核查完成：1 个县区" in printed

    expected = check_partition(clean_root, "441224", 2020)
    problems = pd.read_excel(out / "problems.xlsx", sheet_name="问题清单", dtype=str, engine="openpyxl")
    assert list(problems.columns) == ["县代码", "乡镇", "行政村", "户编号", "成员证件号码（脱敏）", "核查编码",
                                      "核查名称", "类别", "严重程度", "发现的值", "帮扶责任人"]
    assert len(problems) == len(expected) > 0
    ids = problems["成员证件号码（脱敏）"].dropna()
    assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", value) for value in ids)

    summary = pd.read_excel(out / "summary.xlsx", sheet_name=None, engine="openpyxl")
    assert set(summary) == {"按村", "按核查"}
    assert summary["按核查"]["问题数"].sum() == len(expected)
    assert summary["按村"]["问题数"].sum() == len(expected)

    ledger = read_ledger(county_code="441224", url=url)
    assert len(ledger) == len(expected)
    assert set(ledger["status"]) == {"待整改"}


def test_check_command_rerun_keeps_ledger(clean_root, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = ["check", "--data", str(clean_root), "--county", "441224", "--year", "2020",
            "--out", str(tmp_path / "out"), "--db", url]
    assert _run(args) == 0
    first = len(read_ledger(url=url))
    assert _run(args) == 0
    assert len(read_ledger(url=url)) == first
    assert "新增 0 项" in capsys.readouterr().out


def test_check_command_all_counties(clean_root, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(["check", "--data", str(clean_root), "--year", "2020", "--out", str(tmp_path / "out"),
                 "--db", url]) == 0
    assert "2020 年核查完成：8 个县区" in capsys.readouterr().out


def test_check_command_missing_year(clean_root, tmp_path, capsys):
    code = _run(["check", "--data", str(clean_root), "--year", "2031", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "没有2031 年的规范表" in capsys.readouterr().err


def test_problem_table_masks_and_counts():
    hits = pd.DataFrame({
        "county_code": ["441224"], "township": ["连麦镇"], "village": ["莲社村"], "household_no": ["H1"],
        "id_number": ["441224197005121239"], "check_code": ["1_01_007"], "title": ["性别与证件号码不符"],
        "kind": ["身份信息"], "severity": ["错误"], "values": ["性别=女"], "helper_name": ["李四"],
    }).astype("string")
    table = problem_table(hits)
    assert table.loc[0, "member"] == "441224********1239"
    assert table.loc[0, "helper_name"] == "李*"
    by_check = summary_tables(hits)["按核查"]
    assert by_check.loc[0, "问题数"] == 1
