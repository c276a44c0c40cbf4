"""Import of whole files: formats, encodings, layouts, counties and years,
household checks, rejects.xlsx and the clean-data folders."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwt

from fupin_lib import InputFileError
from fupin_lib.io import available_partitions, import_files, read_table, write_clean
from fupin_lib.schema import MEMBERS

HEADER = ["县", "乡镇", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系", "人数",
          "贫困户属性", "人均纯收入", "联系电话", "是否享受低保"]
TITLE = ["肇庆市怀集县2020年建档立卡贫困人口花名册", "导出时间：2021-03-05"]


def make_id(birth: str, sequence: int, area: str = "441224") -> str:
    """Build a valid 18-digit ID number with its check digit."""
    body = f"{area}{birth}{sequence:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def roster_rows():
    """Two households of 怀集县 连麦镇: three members and one member."""
    return [
        ["怀集县", "连麦镇", "莲社村", "44122400001", "1", "张三", make_id("19800101", 1), "户主", 3, "一般贫困户", "4,500元", "13800000000", "否"],
        ["怀集县", "连麦镇", "莲社村", "44122400001", "2", "李四", make_id("19820304", 2), "配偶", 3, "一般贫困户", "4,500元", "13800000000", "否"],
        ["怀集县", "连麦镇", "莲社村", "44122400001", "3", "张小", make_id("20100506", 3), "之子", 3, "一般贫困户", "4,500元", "13800000000", "否"],
        ["怀集县", "连麦镇", "仓社村", "44122400002", "1", "王五", make_id("19700101", 5), "户主", 1, "低保户", "0.5万元", "13900000000", "是"],
    ]


def write_xlsx(path, rows, *, header=HEADER, title=TITLE, sheet="花名册"):
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for line in title:
        worksheet.append([line])
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


def write_csv(path, rows, *, encoding="utf-8", header=HEADER, title=()):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for line in title:
        writer.writerow([line])
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_import_xlsx_roster_to_tables(tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", roster_rows())
    report = import_files([path], out=tmp_path / "clean")
    members = read_table(tmp_path / "clean", "441224", 2020, "members")
    households = read_table(tmp_path / "clean", "441224", 2020, "households")
    assert len(members) == 4
    assert len(households) == 2
    assert list(members.columns) == MEMBERS.names
    assert households.set_index("household_no").loc["44122400002", "net_income_per_capita"] == 5000.0
    assert households.set_index("household_no").loc["44122400001", "head_name"] == "张三"
    assert set(households["township_code"]) == {"441224118"}
    assert households["village_code"].str.len().eq(12).all()
    assert members["sex"].tolist() == ["男", "女", "男", "男"]
    assert report.stats["imported"].tolist() == [4]


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
])
def test_import_csv_encodings(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "roster.csv", roster_rows(), encoding=encoding, title=TITLE)
    report = import_files([path], out=tmp_path / "clean")
    assert report.stats["encoding"].tolist() == [expected]
    members = read_table(tmp_path / "clean", "441224", 2020, "members")
    assert members["name"].tolist() == ["张三", "李四", "张小", "王五"]


def test_import_csv_undecodable_names_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("户编号,证件号码\n".encode("utf-8") + b"\xff\xfe\xfa,1\n")
    with pytest.raises(InputFileError, match="无法解码 CSV 文件.*第 2 行") as error:
        import_files([path], out=tmp_path / "clean", county="441224", year=2020)
    assert error.value.row == 2


def test_import_xls_legacy(tmp_path):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("花名册")
    for r, line in enumerate(TITLE):
        sheet.write(r, 0, line)
    for c, header in enumerate(HEADER):
        sheet.write(2, c, header)
    for r, row in enumerate(roster_rows(), start=3):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "roster.xls"
    workbook.save(str(path))
    import_files([path], out=tmp_path / "clean")
    members = read_table(tmp_path / "clean", "441224", 2020, "members")
    assert members["id_number"].tolist() == [row[6] for row in roster_rows()]


def test_import_rejects_destroyed_ids_with_row_numbers(tmp_path):
    rows = roster_rows()
    rows[1][6] = 4.41224198203040e17  # the ID as Excel stores a number
    rows[2][6] = "441224201005060000"  # 15 significant digits padded with zeros
    rows[3][3] = ""  # no household number
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    report = import_files([path], out=tmp_path / "clean")
    rejects = report.rejects.set_index("row")
    assert sorted(rejects.index) == [5, 6, 7]  # Excel rows: 2 title rows, the header, data from row 4
    assert "超过 15 位的数字已丢失" in rejects.loc[5, "reason"]
    assert rejects.loc[5, "value"] == "4.4122419820304E+17"
    assert "超过 15 位的数字已丢失" in rejects.loc[6, "reason"]
    assert rejects.loc[7, "reason"] == "户编号为空，无法识别该行"
    assert report.stats[["rows", "imported", "rejected"]].iloc[0].tolist() == [4, 1, 3]

    workbook = pd.read_excel(tmp_path / "clean" / "441224" / "2020" / "rejects.xlsx", sheet_name=None, engine="calamine")
    assert list(workbook) == ["拒绝导入", "有警告的导入行"]
    assert list(workbook["拒绝导入"].columns[:6]) == ["文件", "工作表", "行号", "列", "原始值", "原因"]
    assert len(workbook["拒绝导入"]) == 3


def test_import_warns_check_digit_and_sex(tmp_path):
    rows = roster_rows()
    rows[0][6] = rows[0][6][:-1] + ("1" if rows[0][6][-1] != "1" else "2")
    header = [*HEADER, "性别"]
    rows = [[*row, "女"] for row in rows]
    path = write_xlsx(tmp_path / "roster.xlsx", rows, header=header)
    report = import_files([path], out=tmp_path / "clean")
    reasons = report.warnings.groupby("row")["reason"].apply(list)
    assert any("校验位错误" in r for r in reasons.loc[4])
    assert any("性别与证件号码不一致" in r for r in reasons.loc[6])
    assert len(read_table(tmp_path / "clean", "441224", 2020, "members")) == 4


def test_import_reports_household_structure(tmp_path):
    rows = roster_rows()
    rows[1][7] = "户主"  # two heads in household 1
    rows[3][7] = "之子"  # no head in household 2
    rows.append(["怀集县", "连麦镇", "仓社村", "44122400003", "1", "重复", rows[0][6], "户主", 1, "低保户", "1", "1", "是"])
    rows[0][10] = "9,999"  # household field disagreeing inside household 1
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    report = import_files([path], out=tmp_path / "clean")
    reasons = " ".join(report.warnings["reason"])
    assert "该户有两个或以上户主" in reasons
    assert "该户没有户主" in reasons
    assert "同一证件号码出现在多个户中" in reasons
    assert "同一户的各行户信息不一致：人均纯收入" in reasons
    assert len(read_table(tmp_path / "clean", "441224", 2020, "members")) == 5


def test_import_header_variants(tmp_path):
    header = [h.replace("证件号码", "证件\u200b号码 ").replace("户编号", "户　编号") for h in HEADER]
    header[11] = "联系电话"
    group = ["", "", "", "", "", "", "基本信息", "", "", "", "收入情况", "", ""]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["花名册"])
    sheet.append(group)
    sheet.append(header)
    for row in roster_rows():
        sheet.append(row)
    workbook.save(tmp_path / "x.xlsx")
    import_files([tmp_path / "x.xlsx"], out=tmp_path / "clean", year=2020)
    assert len(read_table(tmp_path / "clean", "441224", 2020, "members")) == 4


def test_import_separate_household_and_member_sheets(tmp_path):
    workbook = openpyxl.Workbook()
    households = workbook.active
    households.title = "户信息"
    households.append(["年度", "县代码", "户编号", "户主姓名", "贫困户属性", "乡镇", "行政村"])
    households.append([2019, "441223", "H1", "张三", "低保户", "江屯镇", "甲村"])
    members = workbook.create_sheet("成员信息")
    members.append(["年度", "县代码", "户编号", "姓名", "证件号码", "与户主关系"])
    members.append([2019, "441223", "H1", "张三", make_id("19800101", 1, "441223"), "户主"])
    workbook.save(tmp_path / "two.xlsx")
    import_files([tmp_path / "two.xlsx"], out=tmp_path / "clean")
    assert read_table(tmp_path / "clean", "441223", 2019, "households")["head_name"].tolist() == ["张三"]
    assert len(read_table(tmp_path / "clean", "441223", 2019, "members")) == 1


def test_import_splits_counties_and_keeps_other_folders(tmp_path):
    out = tmp_path / "clean"
    rows = roster_rows()
    rows[3][0] = "广宁县"
    rows[3][1] = "南街镇"
    write_clean({}, out, "441226", 2020)  # an older folder that must survive
    path = write_xlsx(tmp_path / "mixed.xlsx", rows, title=["2020年花名册"])
    report = import_files([path], out=out)
    partitions = available_partitions(out)
    assert partitions.to_dict("records") == [
        {"county_code": "441223", "year": 2020}, {"county_code": "441224", "year": 2020},
        {"county_code": "441226", "year": 2020}]
    assert len(report.partitions) == 2
    assert len(read_table(out, "441223", 2020, "members")) == 1
    saved = json.loads((out / "441224" / "2020" / "import_report.json").read_text(encoding="utf-8"))
    assert saved["rows"]["members"] == 3


def test_import_year_unknown_refused(tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", roster_rows(), title=["怀集县花名册"])
    with pytest.raises(InputFileError, match="无法确定文件.*的年度.*--year"):
        import_files([path], out=tmp_path / "clean")


def test_import_county_and_year_from_options(tmp_path):
    rows = [row[3:] for row in roster_rows()]
    path = write_csv(tmp_path / "plain.csv", rows, header=HEADER[3:])
    import_files([path], out=tmp_path / "clean", county="441224", year=2018)
    assert len(read_table(tmp_path / "clean", "441224", 2018, "members")) == 4


def test_import_reimport_replaces_folder(tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", roster_rows())
    import_files([path], out=tmp_path / "clean")
    write_xlsx(path, roster_rows()[:1])
    import_files([path], out=tmp_path / "clean", replace=True)
    assert len(read_table(tmp_path / "clean", "441224", 2020, "members")) == 1
    assert not [p for p in (tmp_path / "clean" / "441224").iterdir() if p.name.startswith(".")]


def test_import_name_code_disagreement_warned(tmp_path):
    header = ["年度", "县代码", "县", "户编号", "证件号码", "与户主关系", "贫困户属性"]
    rows = [[2020, "441224", "广宁县", "H1", make_id("19800101", 1), "户主", "低保户"]]
    path = write_xlsx(tmp_path / "x.xlsx", rows, header=header, title=[])
    report = import_files([path], out=tmp_path / "clean")
    assert "县名称 '广宁县' 与县代码 441224（怀集县）不一致" in " ".join(report.warnings["reason"])


def test_import_unknown_category_blanked(tmp_path):
    rows = roster_rows()
    rows[0][9] = "富裕户"
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    report = import_files([path], out=tmp_path / "clean")
    households = read_table(tmp_path / "clean", "441224", 2020, "households").set_index("household_no")
    assert pd.isna(households.loc["44122400001", "poverty_attribute"])
    assert "不是允许的值" in " ".join(report.warnings["reason"])


def test_import_csv_row_with_wrong_field_count_rejected(tmp_path):
    rows = roster_rows()
    write_csv(tmp_path / "r.csv", rows)
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(2, "怀集县,多余")
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_files([tmp_path / "r.csv"], out=tmp_path / "clean", year=2020)
    assert report.stats[["rows", "imported", "rejected"]].iloc[0].tolist() == [5, 4, 1]
    assert report.rejects["row"].tolist() == [3]
    assert len(read_table(tmp_path / "clean", "441224", 2020, "members")) == 4


def test_import_excel_1904_dates(tmp_path):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    workbook = openpyxl.Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.append(["年度", "县代码", "户编号", "核查日期"])
    sheet.append([2020, "441224", "H1", 42474])
    workbook.save(tmp_path / "v.xlsx")
    import_files([tmp_path / "v.xlsx"], out=tmp_path / "clean")
    verifications = read_table(tmp_path / "clean", "441224", 2020, "verifications")
    assert verifications["verify_date"].tolist() == [pd.Timestamp("2020-04-15")]


def test_read_table_missing_is_empty_canonical(tmp_path):
    frame = read_table(tmp_path, "441224", 2020, "members")
    assert list(frame.columns) == MEMBERS.names
    assert len(frame) == 0
    assert str(frame["household_no"].dtype) == "string"


def test_village_code_collisions_resolved():
    from fupin_lib.io._areas import assign_village_codes
    from fupin_lib.schema import village_code

    names = [f"村{i}" for i in range(600)]  # more names than 400 suffixes: collisions certain
    codes = {}
    for name in names[:300]:
        codes.setdefault(village_code("441224118", name), []).append(name)
    colliding = next(group for group in codes.values() if len(group) > 1)[:2]
    frame = pd.DataFrame({"township_code": "441224118", "village": colliding, "village_code": pd.NA})
    result, messages = assign_village_codes(frame)
    assert result.nunique() == 2
    assert len(messages) == 1
    reversed_result, _ = assign_village_codes(frame.iloc[::-1].reset_index(drop=True))
    assert dict(zip(frame["village"], result)) == dict(zip(frame["village"][::-1], reversed_result))
    assert np.all(result.str.len() == 12)


def test_import_unrecognised_sheet_counted(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["甲", "乙"])
    workbook.active.append([1, 2])
    roster = workbook.create_sheet("花名册")
    for line in TITLE:
        roster.append([line])
    roster.append(HEADER)
    for row in roster_rows():
        roster.append(row)
    workbook.save(tmp_path / "x.xlsx")
    report = import_files([tmp_path / "x.xlsx"], out=tmp_path / "clean")
    unread = report.stats[report.stats["table"] == ""].iloc[0]
    assert unread[["rows", "imported", "rejected"]].tolist() == [2, 0, 2]
    assert "未识别表头" in report.rejects["reason"].iloc[0]


def test_cli_import_prints_summary(tmp_path, capsys):
    from fupin_lib.cli import main

    path = write_xlsx(tmp_path / "roster.xlsx", roster_rows())
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(path), "--out", str(tmp_path / "clean")])
    output = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "共 4 行，导入 4 行" in output
    assert "户信息 2 行，成员信息 4 行" in output
    assert "rejects.xlsx" in output


def test_cli_import_year_missing_exits_with_message(tmp_path, capsys):
    from fupin_lib.cli import main

    path = write_xlsx(tmp_path / "roster.xlsx", roster_rows(), title=["怀集县花名册"])
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(path), "--out", str(tmp_path / "clean")])
    assert exit_info.value.code == 2
    assert "--year" in capsys.readouterr().err


def test_import_csv_bad_byte_after_first_megabyte(tmp_path):
    # The first megabyte is valid UTF-8, so only pyarrow's UTF-8 check finds
    # the bad byte; the error must still name its line.
    header = ["年度", "县代码", "户编号", "证件号码", "与户主关系", "姓名"]
    rows = [[2020, "441224", f"H{i}", make_id("19800101", i % 1000), "户主", "Li"] for i in range(30000)]
    path = write_csv(tmp_path / "late.csv", rows, header=header)
    path.write_bytes(path.read_bytes().replace(b"H29990,", b"H\xff29990,"))
    with pytest.raises(InputFileError, match="第 29992 行") as error:
        import_files([path], out=tmp_path / "clean")
    assert error.value.row == 29992


def test_import_keeps_tables_not_in_this_import(sample_exports, tmp_path):
    """Importing a county's verification records alone replaces only them:
    the roster already stored stays."""
    from fupin_lib.io import import_files, read_table

    county = sample_exports / "441224"
    roster = county / "441224_2020_花名册.xlsx"
    verifications = county / "441224_2020_核查表.xlsx"
    import_files([roster, verifications], out=tmp_path)
    members_before = read_table(tmp_path, "441224", 2020, "members")
    verifications_before = read_table(tmp_path, "441224", 2020, "verifications")
    assert len(members_before) > 0

    report = import_files([verifications], out=tmp_path)

    members_after = read_table(tmp_path, "441224", 2020, "members")
    assert len(members_after) == len(members_before)
    assert len(read_table(tmp_path, "441224", 2020, "verifications")) == len(verifications_before)
    assert len(read_table(tmp_path, "441224", 2020, "households")) > 0
    assert report.partitions.loc[0, "members"] == len(members_before)


def test_import_same_roster_twice_keeps_each_person_once(sample_exports, tmp_path):
    from fupin_lib.io import import_files, read_table

    roster = sample_exports / "441224" / "441224_2020_花名册.xlsx"
    import_files([roster], out=tmp_path / "once")
    once = read_table(tmp_path / "once", "441224", 2020, "members")

    report = import_files([roster, roster], out=tmp_path / "twice")

    twice = read_table(tmp_path / "twice", "441224", 2020, "members")
    assert len(twice) == len(once)
    repeated = report.rejects[report.rejects["reason"].str.contains("重复")]
    assert len(repeated) == len(once)


def test_import_keeps_stored_table_that_would_shrink(sample_exports, tmp_path):
    """A file with far fewer rows than what is stored (a wrong or damaged
    export) does not wipe the stored table unless replace=True."""
    import pandas as pd

    from fupin_lib.io import import_files, read_table

    roster = sample_exports / "441224" / "441224_2020_花名册.xlsx"
    import_files([roster], out=tmp_path)
    stored = read_table(tmp_path, "441224", 2020, "members")
    small = tmp_path / "small.csv"
    pd.read_excel(roster, header=2, dtype=str).head(3).to_csv(small, index=False, encoding="utf-8-sig")

    report = import_files([small], out=tmp_path, county="441224", year=2020)

    assert len(read_table(tmp_path, "441224", 2020, "members")) == len(stored)
    assert any("已保留原有数据" in message for message in report.kept_stored)
    assert "--replace" in report.summary()

    import_files([small], out=tmp_path, county="441224", year=2020, replace=True)
    assert len(read_table(tmp_path, "441224", 2020, "members")) == 3


@pytest.mark.parametrize(
    "options, message",
    [
        ({"county": "999999"}, "不是区划表中的县级代码"),
        ({"county": "44122"}, "6 位县级区划代码"),
        ({"year": 99999}, "四位年度"),
        ({"year": 1989}, "四位年度"),
    ],
)
def test_import_rejects_bad_options(tmp_path, options, message):
    from fupin_lib import InputFileError
    from fupin_lib.io import import_files

    path = tmp_path / "x.csv"
    path.write_text("户编号,证件号码,与户主关系\n1,44122419800101123X,户主\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        import_files([path], out=tmp_path / "clean", **options)


def test_import_missing_file_message(tmp_path):
    from fupin_lib import InputFileError
    from fupin_lib.io import import_files

    with pytest.raises(InputFileError, match="文件不存在"):
        import_files([tmp_path / "absent.xlsx"], out=tmp_path / "clean")


def test_import_cli_empty_file_says_so(tmp_path):
    import subprocess
    import sys

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = subprocess.run([sys.executable, "-m", "fupin_lib.cli", "import", str(empty), "--out", str(tmp_path / "c")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "没有读到任何数据行" in result.stdout + result.stderr


def _csv_with_lines(path, rows, inserts):
    """Write a roster CSV and insert raw lines at the given 1-based lines."""
    write_csv(path, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, text in sorted(inserts.items()):
        lines.insert(number - 1, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_csv_every_wrong_width_row_rejected(tmp_path):
    path = _csv_with_lines(tmp_path / "r.csv", roster_rows(), {3: "怀集县,多余", 5: "怀集县,也多余"})
    report = import_files([path], out=tmp_path / "clean", year=2020)
    assert report.rejects["row"].tolist() == [3, 5]
    assert report.stats[["rows", "imported", "rejected"]].iloc[0].tolist() == [6, 4, 2]


def test_import_csv_comma_row_keeps_line_numbers(tmp_path):
    rows = roster_rows()
    rows[3][6] = "12345"  # a malformed ID on editor line 6
    path = _csv_with_lines(tmp_path / "r.csv", rows, {2: "," * (len(HEADER) - 1), 4: "怀集县,多余"})
    report = import_files([path], out=tmp_path / "clean", year=2020)
    assert report.rejects["row"].tolist() == [4, 7]


def test_import_rows_of_unknown_year_reported(tmp_path):
    header = ["年度", *HEADER]
    rows = [[2020, *row] for row in roster_rows()]
    rows[3][0] = ""  # no year in the row, the title or the command
    path = write_xlsx(tmp_path / "roster.xlsx", rows, header=header, title=[])
    report = import_files([path], out=tmp_path / "clean")
    assert report.unassigned_path == tmp_path / "clean" / "_unassigned" / "rejects.xlsx"
    assert "_unassigned" in report.summary()
    rejects = pd.read_excel(report.unassigned_path, sheet_name="拒绝导入", engine="calamine", dtype=str)
    assert rejects["行号"].tolist() == ["5"]
    assert rejects["原因"].str.contains("年度为空").all()


def test_import_counts_repeated_people_as_rejected(tmp_path):
    path = write_csv(tmp_path / "r.csv", roster_rows())
    report = import_files([path, path], out=tmp_path / "clean", year=2020)
    assert report.stats["rejected"].tolist() == [0, 4]
    assert len(report.rejects) == 4


def test_import_keeps_households_with_guarded_members(tmp_path):
    rows = roster_rows()
    import_files([write_csv(tmp_path / "full.csv", rows)], out=tmp_path / "clean", year=2020)
    # One member of four is under half, so the guard keeps the members. One
    # household of two is not, but it must not be replaced alone.
    small = write_csv(tmp_path / "small.csv", [rows[3]])
    report = import_files([small], out=tmp_path / "clean", year=2020)
    assert len(read_table(tmp_path / "clean", "441224", 2020, "members")) == 4
    assert len(read_table(tmp_path / "clean", "441224", 2020, "households")) == 2
    assert any("须一起替换" in message for message in report.kept_stored)


def test_import_folders_readable_by_others(tmp_path):
    path = write_csv(tmp_path / "r.csv", roster_rows())
    import_files([path], out=tmp_path / "clean", year=2020)
    assert (tmp_path / "clean" / "441224" / "2020").stat().st_mode & 0o755 == 0o755


def test_import_of_one_table_keeps_earlier_problems(tmp_path):
    rows = roster_rows()
    rows[1][6] = "4.41224E+17"  # a destroyed ID: rejected at the first import
    import_files([write_xlsx(tmp_path / "roster.xlsx", rows)], out=tmp_path / "clean")
    verification = write_xlsx(tmp_path / "check.xlsx", [["44122400001", "2020-05-01", "李干部"]],
                              header=["户编号", "核查日期", "核查人"], title=["2020年核查表"])
    import_files([verification], out=tmp_path / "clean", county="441224")
    folder = tmp_path / "clean" / "441224" / "2020"
    rejects = pd.read_excel(folder / "rejects.xlsx", sheet_name="拒绝导入", engine="calamine", dtype=str)
    assert rejects["原始值"].tolist() == ["4.41224E+17"]
    report = json.loads((folder / "import_report.json").read_text(encoding="utf-8"))
    assert {"households", "members"} <= set(report["kept_tables"])
    assert {name.rsplit("/", 1)[-1] for name in report["files"]} == {"roster.xlsx", "check.xlsx"}


def test_import_keeps_household_in_one_county(tmp_path):
    rows = roster_rows()
    rows[1][0] = "广宁县"  # the spouse's row names another county
    report = import_files([write_xlsx(tmp_path / "roster.xlsx", rows)], out=tmp_path / "clean")
    assert report.partitions["county_code"].tolist() == ["441224"]
    members = read_table(tmp_path / "clean", "441224", 2020, "members")
    assert len(members) == 4
    assert "同一户的各行所属县不一致，已按户主行归入 441224" in " ".join(report.warnings["reason"])


def test_cli_import_unrecognised_file_fails(tmp_path, capsys):
    from fupin_lib.cli import main

    good = write_csv(tmp_path / "roster.csv", roster_rows())
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("户编号\t证件号码\t与户主关系\n1\t2\t户主\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(good), str(tabs), "--out", str(tmp_path / "clean"), "--year", "2020"])
    output = capsys.readouterr().out
    assert exit_info.value.code == 1
    assert "_unassigned" in output
    assert "户信息 2 行，成员信息 4 行" in output
