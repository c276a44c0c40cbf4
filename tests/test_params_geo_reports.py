"""Strict parameter loading, division lookups and report helpers."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from fupin_lib import ParameterError, geo
from fupin_lib.params import load_defaults, load_yaml_strict, monitoring_line
from fupin_lib.reports import mask_frame, mask_id_number, neutralise_formula, person_key, write_excel


def test_yaml_strict_keeps_text(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("code: 0123\nflag: no\nday: 2020-04-15\n", encoding="utf-8")
    assert load_yaml_strict(path) == {"code": "0123", "flag": "no", "day": "2020-04-15"}


def test_yaml_strict_missing_file_names_path(tmp_path):
    with pytest.raises(ParameterError, match="参数文件不存在"):
        load_yaml_strict(tmp_path / "absent.yaml")


def test_monitoring_line_guangdong_2020():
    assert monitoring_line("44", 2020) == 4000.0
    assert monitoring_line("441224", 2020) == 4000.0


def test_monitoring_line_unknown_year_says_what_to_do():
    with pytest.raises(ParameterError, match="monitoring_lines"):
        monitoring_line("44", 1999)


def test_defaults_reject_bad_province_code(tmp_path):
    path = tmp_path / "defaults.yaml"
    path.write_text("monitoring_lines:\n  \"4\":\n    2020: 4000\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="两位数字"):
        load_defaults(path)


def test_defaults_reject_text_line(tmp_path):
    path = tmp_path / "defaults.yaml"
    path.write_text("monitoring_lines:\n  \"44\":\n    2020: 四千\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="四千"):
        load_defaults(path)


def test_geo_zhaoqing_counties():
    counties = geo.counties_of_city("4412")
    assert list(counties["code"]) == ["441202", "441203", "441204", "441223", "441224", "441225", "441226", "441284"]


def test_geo_find_township_within_county():
    code = geo.find_code("连麦镇", level="township", within="441224")
    assert code is not None
    assert geo.division_name(code) == "连麦镇"
    assert geo.parent_code(code) == "441224"


def test_geo_find_county_without_suffix():
    assert geo.find_code("怀集", level="county", within="4412") == "441224"


def test_geo_level_rejects_bad_code():
    with pytest.raises(ValueError, match="区划代码"):
        geo.level_of("4412X")


@pytest.mark.parametrize(
    "value, expected",
    [("=1+2", "'=1+2"), ("+86", "'+86"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("正常", "正常"), (5, 5)],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_write_excel_stores_values_only(tmp_path):
    frame = pd.DataFrame({"note": ["=HYPERLINK(\"x\")", "好"], "count": [1, 2]})
    path = write_excel({"问题": frame}, tmp_path / "out.xlsx", headers={"note": "备注"})
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value == "备注"
    assert sheet["A2"].value == "'=HYPERLINK(\"x\")"
    assert sheet["A2"].data_type == "s"
    assert sheet["B3"].value == 2


def test_mask_frame_masks_personal_columns():
    frame = pd.DataFrame({"id_number": ["44122419800101123X"], "name": ["张三丰"], "phone": ["13812345678"], "village": ["莲社村"]})
    masked = mask_frame(frame)
    assert masked.loc[0, "id_number"] == "441224********123X"
    assert masked.loc[0, "name"] == "张**"
    assert masked.loc[0, "phone"] == "138****5678"
    assert masked.loc[0, "village"] == "莲社村"


def test_mask_frame_keeps_columns_role_needs():
    frame = pd.DataFrame({"phone": ["13812345678"]})
    assert mask_frame(frame, keep=("phone",)).loc[0, "phone"] == "13812345678"


def test_mask_id_number_short_values_fully_hidden():
    assert mask_id_number(pd.Series(["12345"])).iloc[0] == "*****"


def test_person_key_stable_and_not_the_id():
    keys = person_key(pd.Series(["44122419800101123X", "44122419800101123X", None]))
    assert keys.iloc[0] == keys.iloc[1]
    assert len(keys.iloc[0]) == 16
    assert "441224" not in keys.iloc[0]
    assert pd.isna(keys.iloc[2])
