"""Value normalisation tables: each real-looking cell with the value it must
become, or the reason it is reported."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fupin_lib.io._layout import detect_header, detect_tables, header_unit
from fupin_lib.io._text import normalize_header
from fupin_lib.io._values import PRECISION_LOST, id_check_digit_ok, parse_id_numbers, parse_values
from fupin_lib.schema import HOUSEHOLDS, MEMBERS

ID = "441224198001010018"  # valid check digit


def parse_one(value, column, **kwargs):
    parsed = parse_values(np.array([value], dtype=object), column, **kwargs)
    return parsed.values.iloc[0], parsed.reason[0], bool(parsed.reject[0])


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("否", False), ("√", True), ("×", False), ("有", True), ("无", False),
    ("Y", True), ("n", False), (" 是 ", True), (True, True), (1.0, True), (0, False),
], ids=repr)
def test_bool_tokens(value, expected):
    result, reason, _ = parse_one(value, MEMBERS.column("dibao"))
    assert result == expected
    assert reason is None


def test_bool_unknown_token_reported():
    result, reason, reject = parse_one("可能", MEMBERS.column("dibao"))
    assert result is pd.NA
    assert "无法识别的是/否值" in reason
    assert not reject


@pytest.mark.parametrize("value, expected", [
    ("2020-04-15", "2020-04-15"), ("2020.4.15", "2020-04-15"), ("2020/4/5", "2020-04-05"),
    ("20200415", "2020-04-15"), ("2020年4月15日", "2020-04-15"), (43936.0, "2020-04-15"),
    ("43936", "2020-04-15"), ("２０２０年４月１５日", "2020-04-15"), (dt.datetime(2020, 4, 15), "2020-04-15"),
    ("2020-04-15 00:00:00", "2020-04-15"),
], ids=repr)
def test_dates(value, expected):
    result, reason, _ = parse_one(value, MEMBERS.column("birth_date"))
    assert reason is None
    assert result == pd.Timestamp(expected)


def test_dates_1904_serial():
    # 42474 days after 1904-01-01 is 2020-04-15.
    result, _, _ = parse_one(42474.0, MEMBERS.column("birth_date"), date1904=True)
    assert result == pd.Timestamp("2020-04-15")


@pytest.mark.parametrize("value", ["2020-13-01", "昨天", "2020.02.30"])
def test_dates_invalid_reported(value):
    result, reason, _ = parse_one(value, MEMBERS.column("birth_date"))
    assert pd.isna(result)
    assert "无法识别的日期" in reason


@pytest.mark.parametrize("value, expected", [
    ("4,500", 4500.0), ("4,500元", 4500.0), ("0.5万元", 5000.0), ("1.2万", 12000.0), ("￥1,234.5", 1234.5),
    ("４５００", 4500.0), (4500, 4500.0), ("", None), ("1，234", 1234.0),
], ids=repr)
def test_money(value, expected):
    result, reason, _ = parse_one(value, HOUSEHOLDS.column("net_income"))
    assert reason is None
    if expected is None:
        assert result is pd.NA
    else:
        assert result == pytest.approx(expected)


def test_money_unit_from_header():
    result, _, _ = parse_one("0.45", HOUSEHOLDS.column("net_income"), unit=header_unit("纯收入（万元）"))
    assert result == pytest.approx(4500.0)


@pytest.mark.parametrize("value", ["四千五", "inf", "nan", "1e300"])
def test_money_invalid_reported(value):
    result, reason, reject = parse_one(value, HOUSEHOLDS.column("net_income"))
    assert result is pd.NA
    assert reason == "无法识别的金额"
    assert not reject


def test_int_out_of_range_reported():
    result, reason, _ = parse_one("99999999999999999999", HOUSEHOLDS.column("household_size"))
    assert result is pd.NA
    assert reason == "无法识别的整数"


@pytest.mark.parametrize("value, expected", [
    ("202004", "202004"), ("2020-04", "202004"), ("2020年4月", "202004"), ("2020.4", "202004"),
    (202004.0, "202004"), (dt.datetime(2020, 4, 15), "202004"), ("2020-04-15", "202004"),
], ids=repr)
def test_year_months(value, expected):
    result, reason, _ = parse_one(value, HOUSEHOLDS.column("identified_ym"))
    assert reason is None
    assert result == expected


@pytest.mark.parametrize("value, expected", [
    (3, 3), ("3人", 3), ("３", 3), (3.0, 3),
], ids=repr)
def test_int(value, expected):
    result, reason, _ = parse_one(value, HOUSEHOLDS.column("household_size"))
    assert reason is None
    assert result == expected


@pytest.mark.parametrize("value, expected", [
    ("乡(镇)内务工", "乡（镇）内务工"), ("乡（镇）内务工", "乡（镇）内务工"), (" 省外务工 ", "省外务工"),
], ids=repr)
def test_category_spelling_variants(value, expected):
    result, reason, _ = parse_one(value, MEMBERS.column("work_status"))
    assert result == expected
    assert reason is None


def test_category_multi_value_joined():
    result, _, _ = parse_one("残疾、长期慢性病", MEMBERS.column("health"))
    assert result == "残疾,长期慢性病"


@pytest.mark.parametrize("value, expected, id_type", [
    (ID, ID, "居民身份证"),
    ("44122419800101001x", None, None),  # replaced below with a valid X id
    ("'" + ID, ID, "居民身份证"),
    ("４４１２２４１９８００１０１００１８", ID, "居民身份证"),
    (" 4412 2419 8001 0100 18 ", ID, "居民身份证"),
    ("44122419800101001821", "44122419800101001821", "残疾人证"),
    ("4412241980010100182142", "4412241980010100182142", "残疾人证"),
], ids=repr)
def test_id_numbers_accepted(value, expected, id_type):
    if expected is None:
        value, expected = "11010519491231002x", "11010519491231002X"
        id_type = "居民身份证"
    parsed = parse_id_numbers(np.array([value], dtype=object))
    assert parsed.values.iloc[0] == expected
    assert not parsed.reject[0]
    assert parsed.extra["id_type"].iloc[0] == id_type


@pytest.mark.parametrize("value, reason_part", [
    (4.41224198001010e17, PRECISION_LOST),
    ("4.41224E+17", PRECISION_LOST),
    ("441224198001010000", PRECISION_LOST),
    ("", "证件号码为空"),
    ("44122419800101", "格式无效"),
    ("ABC", "格式无效"),
], ids=repr)
def test_id_numbers_rejected(value, reason_part):
    parsed = parse_id_numbers(np.array([value], dtype=object))
    assert parsed.reject[0]
    assert reason_part in parsed.reason[0]
    assert pd.isna(parsed.values.iloc[0])


def test_id_wrong_check_digit_is_warning():
    parsed = parse_id_numbers(np.array(["441224198001010019"], dtype=object))
    assert not parsed.reject[0]
    assert "校验位错误" in parsed.reason[0]
    assert parsed.values.iloc[0] == "441224198001010019"


def test_id_check_digit_vectorised():
    ids = pd.Series([ID, "441224198001010019", "11010519491231002X"])
    assert id_check_digit_ok(ids).tolist() == [True, False, True]


@pytest.mark.parametrize("raw, expected", [
    (" 证件\u200b号码 ", "证件号码"), ("务工时间（月）", "务工时间(月)"), ("户　编　号", "户编号"), ("*姓名", "姓名"),
], ids=repr)
def test_header_normalisation(raw, expected):
    assert normalize_header(raw) == expected


def test_header_found_below_title_rows():
    rows = [["某县2020年花名册", "", ""], ["导出时间：2021-01-01", "", ""], ["户编号", "证件号码", "与户主关系"],
            ["1", ID, "户主"]]
    layout = detect_header(rows)
    assert layout.header_row == 2
    assert layout.header_rows == 1
    assert "2020年" in layout.title


def test_header_two_rows_merged_groups():
    rows = [["户编号", "基本信息", "", "收入情况", ""], ["", "证件号码", "与户主关系", "工资性收入", "纯收入"],
            ["1", ID, "户主", "100", "100"]]
    layout = detect_header(rows)
    assert layout.header_rows == 2
    assert layout.headers == ["户编号", "证件号码", "与户主关系", "工资性收入", "纯收入"]


@pytest.mark.parametrize("headers, expected", [
    (["户编号", "证件号码", "与户主关系", "贫困户属性", "乡镇"], ["households", "members"]),
    (["户编号", "证件号码", "与户主关系", "姓名"], ["members"]),
    (["户编号", "户主姓名", "贫困户属性"], ["households"]),
    (["户编号", "核查日期", "满意度"], ["verifications"]),
    (["岗位编号", "岗位名称", "月工资"], ["postings"]),
    (["培训编号", "培训名称"], ["trainings"]),
    (["户编号", "证件号码", "岗位编号", "是否接受"], ["placements"]),
    (["甲", "乙"], []),
], ids=lambda v: "|".join(v) if isinstance(v, list) else None)
def test_table_detection(headers, expected):
    assert detect_tables(headers) == expected


@pytest.mark.parametrize("text, expected", [
    ("肇庆市怀集县2020年建档立卡贫困人口花名册 导出时间：2021年3月5日", 2020),
    ("怀集县花名册 导出时间：2021-03-05", None),
    ("441224_2019_花名册", 2019),
    ("年度：2018", 2018),
])
def test_year_from_title(text, expected):
    from fupin_lib.io._areas import year_from_text

    assert year_from_text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("肇庆市怀集县2020年建档立卡贫困人口花名册", "441224"),
    ("441226 德庆县", "441226"),
    ("2020年花名册", None),
])
def test_county_from_title(text, expected):
    from fupin_lib.io._areas import county_from_text

    assert county_from_text(text) == expected


def test_id_birth_and_sex_from_ids():
    from fupin_lib.io._values import id_birth_and_sex

    ids = pd.Series([ID, ID + "21", "441224198013010018", None, "441224198203040020"])
    birth, sex = id_birth_and_sex(ids)
    assert birth.tolist()[:2] == [pd.Timestamp("1980-01-01")] * 2
    assert pd.isna(birth.iloc[2])
    assert pd.isna(birth.iloc[3])
    assert birth.iloc[4] == pd.Timestamp("1982-03-04")
    assert sex.tolist() == ["男", "男", pd.NA, pd.NA, "女"]


@pytest.mark.parametrize("cells", [
    np.array([], dtype=object), np.array(["a", "b", "a"], dtype=object), np.array(["a", 1.0, None], dtype=object),
], ids=["empty", "text", "mixed"])
def test_unique_codes_round_trip(cells):
    from fupin_lib.io._text import cell_to_text, unique_codes

    codes, uniques = unique_codes(cells)
    assert len(codes) == len(cells)
    decoded = [cell_to_text(np.asarray(uniques, dtype=object)[c]) for c in codes]
    assert decoded == [cell_to_text(cell) for cell in cells]


def test_code_columns_match_per_column_factorize():
    from fupin_lib.io._text import code_columns

    matrix = np.array([["a", 1.0, ""], ["b", 1.0, "a"], ["a", 2.0, None]], dtype=object)
    columns = code_columns(matrix)
    for position, coded in enumerate(columns):
        codes, uniques = pd.factorize(matrix[:, position], use_na_sentinel=False)
        assert coded.codes.tolist() == codes.tolist()
        assert pd.Index(coded.uniques).equals(pd.Index(uniques))


@pytest.mark.parametrize("matrix", [
    [[True, 1], [False, 2]],
    [[1, "张三"], [2, True]],  # the number comes first in memory, the bool is in a text column
    [[1, 1.0], [True, 0]],
], ids=["bool-first", "number-first", "same-column"])
def test_code_columns_keep_bools_apart_from_numbers(matrix):
    from fupin_lib.io._text import code_columns

    matrix = np.array(matrix, dtype=object)
    for position, coded in enumerate(code_columns(matrix)):
        cells = coded.uniques[coded.codes]
        assert [type(cell) is bool for cell in cells] == [type(cell) is bool for cell in matrix[:, position]]
        assert list(cells) == list(matrix[:, position])


def test_import_keeps_bool_and_number_cells_apart(tmp_path):
    from test_io_import import roster_rows, write_xlsx

    from fupin_lib.io import import_files, read_table

    rows = roster_rows()
    for row in rows:
        # Boolean cells, True in household 1 before the number 1 in 人数 of
        # household 2: hashed together, the 1 would read as True.
        row[-1] = row[3] == "44122400001"
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    import_files([path], out=tmp_path / "clean")
    households = read_table(tmp_path / "clean", "441224", 2020, "households").set_index("household_no")
    assert households.loc["44122400002", "household_size"] == 1
    assert households.loc["44122400001", "household_size"] == 3
    dibao = read_table(tmp_path / "clean", "441224", 2020, "members").groupby("household_no")["dibao"].agg(list)
    assert dibao["44122400002"] == [False]
    assert dibao["44122400001"] == [True, True, True]
