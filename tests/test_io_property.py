"""Property-based tests: import never crashes on damaged cells, and every
input row ends up imported or rejected; round trip with the sample."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fupin_lib.io import import_files, read_table

HEADER = ["年度", "县", "乡镇", "行政村", "户编号", "姓名", "证件号码", "与户主关系", "出生日期",
          "人均纯收入", "是否享受低保", "识别监测时间", "人数", "健康状况"]
BASE = [2020, "怀集县", "连麦镇", "莲社村", "44122400001", "张三", "441224198001010018", "户主",
        "1980-01-01", "4500", "是", "202004", 1, "健康"]

damage = st.one_of(
    st.none(), st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "4.41224E+17", "441224198001010000", "２０２０年", "√", "×", "#N/A", "=1+1",
                     "2020.13.45", "１,２３４万元", "\u200b", "户主", "配偶", "第一行\n第二行", "a,\"b\""]),
)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(st.integers(0, 4), st.integers(0, len(HEADER) - 1), damage), max_size=15))
def test_import_damaged_cells_accounts_every_row(tmp_path_factory, suffix, cells):
    tmp_path = tmp_path_factory.mktemp("damage")
    rows = [list(BASE) for _ in range(5)]
    for index, row in enumerate(rows):
        row[4] = f"4412240000{index}"
        row[6] = ["441224198001010018", "441224198203040020", "441224201005060033",
                  "441224197001010014", "44122419700101011X"][index]
    for row_index, column, value in cells:
        if column != 0:  # keep the year so that the file is not refused as a whole
            rows[row_index][column] = value
    path = tmp_path / f"damaged{suffix}"
    if suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(HEADER)
        for row in rows:
            sheet.append([v if not isinstance(v, float) or v == v and abs(v) != float("inf") else str(v) for v in row])
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(["" if v is None else v for v in row] for row in rows)

    report = import_files([path], out=tmp_path / "clean", county="441224")
    stats = report.stats.iloc[0]
    assert stats["rows"] == 5
    assert stats["imported"] + stats["rejected"] == 5
    rejected_rows = set(report.rejects["row"].dropna().astype(int))
    assert len(rejected_rows) == stats["rejected"]
    imported = sum(len(read_table(tmp_path / "clean", c, y, "members"))
                   for c, y in zip(report.partitions["county_code"], report.partitions["year"]))
    assert imported == stats["imported"]


def test_import_sample_round_trip(sample_exports, clean_root):
    """Every member row of the generated sample lands in the clean tables."""
    from fupin_lib.io import available_partitions

    partitions = available_partitions(clean_root)
    assert len(partitions) == 8 * 4
    total = 0
    for county, year in zip(partitions["county_code"], partitions["year"]):
        members = read_table(clean_root, county, year, "members")
        households = read_table(clean_root, county, year, "households")
        assert set(members["household_no"]) <= set(households["household_no"])
        assert members["id_number"].notna().all()
        total += len(members)
    rosters = sorted(sample_exports.rglob("*花名册*"))
    expected = sum(len(pd.read_excel(p, header=2, engine="calamine")) for p in rosters)
    assert total == expected
