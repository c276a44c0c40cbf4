"""Matching on the generated sample: the 连麦镇 case and ``fupin match``."""

from __future__ import annotations

import pandas as pd
import pytest

from fupin_lib.cli import cli
from fupin_lib.io import read_table
from fupin_lib.matching import employment_statistics, rate_percent

LIANMAI_VILLAGES = ("莲社村", "仓社村", "下坑村")


def test_lianmai_employment_case(clean_root):
    members = read_table(clean_root, "441224", 2020, "members")
    households = read_table(clean_root, "441224", 2020, "households")
    stats = employment_statistics(members, households, year=2020)

    township = stats[(stats["level"] == "township") & (stats["name"] == "连麦镇")]
    assert len(township) == 1
    villages = stats[(stats["level"] == "village") & stats["name"].isin(LIANMAI_VILLAGES)
                     & stats["code"].str.startswith(township["code"].iloc[0])]
    assert sorted(villages["name"]) == sorted(LIANMAI_VILLAGES)
    laborers, employed = int(villages["laborers"].sum()), int(villages["employed"].sum())
    assert (employed, laborers) == (116, 128)
    assert rate_percent(employed / laborers) == 90.63


def test_rate_percent_rounds_half_up():
    assert rate_percent([116 / 128, 0.5, 1 / 3]).tolist() == [90.63, 50.0, 33.33]


@pytest.fixture(scope="module")
def match_output(clean_root, tmp_path_factory):
    """``fupin match`` run once on the sample's 怀集县, 2020."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("match")
    result = CliRunner().invoke(cli, ["match", "--data", str(clean_root), "--county", "441224",
                                      "--year", "2020", "--out", str(out), "--evaluate"])
    return out, result


def test_cli_match_prints_summary(match_output):
    out, result = match_output
    assert result.exit_code == 0, result.output
    assert "2020 年，1 个县：劳动力" in result.output
    assert "结果已写入" in result.output


def test_cli_match_writes_outputs(match_output):
    out, _ = match_output
    for name in ("employment.csv", "employment.xlsx", "recommendations.xlsx", "recommendations.csv",
                 "push_list.xlsx", "allocation.xlsx", "allocation.csv"):
        assert (out / name).is_file(), name
    assert (out / "employment.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    employment = pd.read_csv(out / "employment.csv", dtype={"code": str})
    assert list(employment.columns[:6]) == ["level", "code", "name", "laborers", "employed", "rate"]
    headers = pd.read_excel(out / "employment.xlsx", engine="openpyxl").columns
    assert list(headers[:6]) == ["层级", "区划代码", "名称", "劳动力人数", "就业人数", "就业率（%）"]


def test_cli_match_masks_personal_data(match_output, clean_root):
    out, _ = match_output
    members = read_table(clean_root, "441224", 2020, "members")
    recommendations = pd.read_csv(out / "recommendations.csv", dtype=str)
    push = pd.read_excel(out / "push_list.xlsx", dtype=str, engine="openpyxl")
    assert len(recommendations) > 0
    assert recommendations["id_number"].str.contains(r"\*{8}").all()
    assert not recommendations["id_number"].isin(members["id_number"].astype(str)).any()
    assert push["证件号码"].str.contains(r"\*{8}").all()
    assert push["联系电话"].dropna().str.contains(r"\*{4}").all()


def test_cli_match_respects_openings(match_output, clean_root):
    out, _ = match_output
    allocation = pd.read_csv(out / "allocation.csv", dtype=str)
    postings = read_table(clean_root, "441224", 2020, "postings").set_index("posting_id")
    taken = allocation["岗位编号"].dropna().value_counts() if "岗位编号" in allocation else \
        allocation["posting_id"].dropna().value_counts()
    for posting_id, count in taken.items():
        assert count <= postings.loc[posting_id, "openings"]


def test_cli_match_rejects_missing_year(tmp_path):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["match", "--data", str(tmp_path), "--year", "2020", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "没有 2020 年的清洗数据" in str(result.exception)


def test_match_unknown_county_is_an_error(clean_root, tmp_path):
    from fupin_lib import FupinError
    from fupin_lib.matching import run_matching

    with pytest.raises(FupinError, match="999999"):
        run_matching(clean_root, year=2020, out=tmp_path, county="999999")
