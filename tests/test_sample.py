"""Tests of the synthetic sample: files, identities, families, the panel,
incomes, the 连麦镇 case, county shares, determinism and damage.

Most tests read the Excel files back, the way the importer will, using the
session fixture `sample_exports` (seed 7, 240 households).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fupin_lib import FupinError
from fupin_lib.geo import counties_of_city
from fupin_lib.sample import allocate_households, generate_sample, id_check_characters
from fupin_lib.sample._places import county_shares
from fupin_lib.schema import HOUSEHOLDS, MEMBERS, is_employed, is_laborer

YEARS = (2017, 2018, 2019, 2020)
ZHAOQING = counties_of_city("4412")["code"].tolist()


def _canonical_names() -> dict[str, str]:
    mapping = {}
    for table in (MEMBERS, HOUSEHOLDS):
        for column in table.columns:
            for header in column.headers:
                mapping.setdefault(header, column.name)
    mapping["本人联系电话"] = "member_phone"
    return mapping


def read_roster(root, county: str, year: int) -> pd.DataFrame:
    """Read one roster with the header on row 3, renamed to canonical names."""
    path = root / county / f"{county}_{year}_花名册.xlsx"
    frame = pd.read_excel(path, header=2, dtype=str, engine="calamine")
    return frame.rename(columns=_canonical_names())


@pytest.fixture(scope="module")
def rosters(sample_exports):
    frames = {(c, y): read_roster(sample_exports, c, y) for c in ZHAOQING for y in YEARS}
    return frames


def _file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_in_export_layout(sample_exports):
    for county in ZHAOQING:
        folder = sample_exports / county
        names = {p.name for p in folder.iterdir()}
        for year in YEARS:
            assert f"{county}_{year}_花名册.xlsx" in names
            assert f"{county}_{year}_核查表.xlsx" in names
        for title in ("岗位信息", "培训信息", "就业安置记录"):
            assert f"{county}_{title}.xlsx" in names
    top = pd.read_excel(sample_exports / "441224" / "441224_2020_花名册.xlsx", header=None, nrows=3,
                        dtype=str, engine="calamine")
    assert top.iloc[0, 0] == "肇庆市怀集县2020年建档立卡贫困人口花名册"
    assert top.iloc[1, 0].startswith("导出时间：")
    assert "户编号" in top.iloc[2].tolist()


def test_headers_are_schema_headers(rosters, sample_exports):
    known = set(_canonical_names())
    for county in ZHAOQING:
        path = sample_exports / county / f"{county}_2020_花名册.xlsx"
        headers = pd.read_excel(path, header=2, nrows=0, engine="calamine").columns
        assert set(headers) <= known, set(headers) - known
    # Some counties use the alias headers of the area columns.
    variants = {tuple(pd.read_excel(sample_exports / c / f"{c}_2020_花名册.xlsx", header=2, nrows=0,
                                    engine="calamine").columns[2:5]) for c in ZHAOQING}
    assert ("县(市、区、旗)", "乡(镇)", "行政村") in variants
    assert ("县", "乡", "村") in variants


def test_id_numbers_valid_and_agree(rosters):
    members = pd.concat(rosters.values(), ignore_index=True)
    ids = members["id_number"]
    assert ids.str.fullmatch(r"\d{17}[\dX]").all()
    first17 = ids.str[:17].astype(np.int64).to_numpy()
    assert (id_check_characters(first17) == ids.str[-1].to_numpy()).all()
    birth = pd.to_datetime(members["birth_date"]).dt.strftime("%Y%m%d")
    assert (ids.str[6:14] == birth).all()
    male = ids.str[16].astype(int) % 2 == 1
    assert ((members["sex"] == "男") == male).all()
    assert not members.duplicated(["year", "id_number"]).any()


def test_phone_numbers_are_mobile(rosters):
    members = pd.concat(rosters.values(), ignore_index=True)
    for column in ("phone", "member_phone", "helper_phone"):
        phones = members[column].dropna()
        assert len(phones) > 0
        assert phones.str.fullmatch(r"1[3-9]\d{9}").all(), column
    assert members["phone"].notna().all()


def test_area_prefix_is_county(rosters):
    for (county, _), frame in rosters.items():
        assert (frame["id_number"].str[:6] == county).all()


def test_one_head_per_household(rosters):
    for frame in rosters.values():
        heads = (frame["relation_to_head"] == "户主").groupby(frame["household_no"]).sum()
        assert (heads == 1).all()
        spouses = (frame["relation_to_head"] == "配偶").groupby(frame["household_no"]).sum()
        assert (spouses <= 1).all()


def test_relations_agree_with_sex(rosters):
    members = pd.concat(rosters.values(), ignore_index=True)
    male_only = members["relation_to_head"].isin(["之子", "之父", "之孙子", "之外孙子"])
    female_only = members["relation_to_head"].isin(["之女", "之母", "之孙女", "之外孙女"])
    assert (members.loc[male_only, "sex"] == "男").all()
    assert (members.loc[female_only, "sex"] == "女").all()
    head_sex = members[members["relation_to_head"] == "户主"].set_index(["year", "household_no"])["sex"]
    spouses = members[members["relation_to_head"] == "配偶"]
    spouse_head = head_sex.reindex(pd.MultiIndex.from_frame(spouses[["year", "household_no"]])).to_numpy()
    assert (spouses["sex"].to_numpy() != spouse_head).all()


def test_household_size_matches_members(rosters):
    for frame in rosters.values():
        counted = frame.groupby("household_no").size()
        declared = frame.groupby("household_no")["household_size"].first().astype(int)
        assert (counted == declared).all()


def test_income_formula(rosters):
    households = pd.concat(rosters.values(), ignore_index=True).drop_duplicates(["year", "household_no"])
    money = {c: pd.to_numeric(households[c]) for c in (
        "wage_income", "business_income", "property_income", "transfer_income", "business_expense",
        "net_income", "net_income_per_capita", "household_size")}
    net = (money["wage_income"] + money["business_income"] + money["property_income"]
           + money["transfer_income"] - money["business_expense"])
    assert np.allclose(net, money["net_income"], atol=0.5)
    assert np.allclose(money["net_income"] / money["household_size"], money["net_income_per_capita"], atol=0.01)
    parts = sum(pd.to_numeric(households[c]) for c in (
        "pension_income", "dibao_income", "tekun_income", "eco_compensation_income",
        "family_planning_income", "claim_income"))
    assert (parts <= money["transfer_income"] + 0.5).all()


def test_panel_same_people_ages_advance(rosters):
    for county in ZHAOQING:
        first = rosters[(county, 2017)].set_index("id_number")
        for year in YEARS[1:]:
            later = rosters[(county, year)].set_index("id_number")
            assert set(later.index) == set(first.index)
            assert (later.loc[first.index, "birth_date"] == first["birth_date"]).all()
            assert (later["year"].astype(int) == year).all()
    # Children advance through school: a 2017 first-grader is in grade 4 in 2020.
    frames = pd.concat([rosters[(c, y)] for c in ZHAOQING for y in (2017, 2020)])
    wide = frames.pivot_table(index="id_number", columns="year", values="school_status", aggfunc="first")
    grade_one = wide[wide["2017"] == "小学一年级"]
    assert len(grade_one) > 0
    assert (grade_one["2020"] == "小学四年级").all()


def test_labour_ability_agrees_with_age(rosters):
    members = pd.concat(rosters.values(), ignore_index=True)
    age = members["year"].astype(int) - pd.to_datetime(members["birth_date"]).dt.year
    capable = members["labor_skill"].isin(["技能劳动力", "普通劳动力", "弱劳动力或半劳动力"])
    assert not (capable & (age < 16)).any()
    healthy_weak = (members["health"] == "健康") & age.between(16, 59) & \
        members["labor_skill"].isin(["弱劳动力或半劳动力", "无劳动力"]) & members["school_status"].isna()
    assert not healthy_weak.any()
    both = members["education"].notna() & members["school_status"].notna() & (members["school_status"] != "学龄前儿童")
    assert not both.any()


def test_lianmai_case(rosters):
    frame = rosters[("441224", 2020)].copy()
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    frame["year"] = frame["year"].astype(int)
    case = frame[(frame["township"] == "连麦镇") & frame["village"].isin(["莲社村", "仓社村", "下坑村"])]
    laborers = is_laborer(case)
    assert laborers.sum() == 128
    assert (laborers & is_employed(case)).sum() == 116


def test_monitoring_fields_consistent(rosters):
    households = pd.concat(rosters.values(), ignore_index=True).drop_duplicates(["year", "household_no"])
    monitored = households["monitoring_category"].notna()
    assert monitored.any()
    assert households.loc[monitored, "identified_ym"].str.fullmatch(r"20\d{4}").all()
    assert households.loc[monitored, "risk_1"].notna().all()
    eliminated = households["risk_eliminated"] == "是"
    assert households.loc[eliminated, "elimination_method"].isin(["帮扶消除", "自然消除"]).all()
    months = (households["eliminated_ym"].str[:4].astype(float) * 12 + households["eliminated_ym"].str[4:].astype(float)
              - households["identified_ym"].str[:4].astype(float) * 12 - households["identified_ym"].str[4:].astype(float))
    assert (months[eliminated] >= 6).all()
    sick = households["risk_1"].eq("因病") | households["risk_2"].eq("因病")
    assert (households.loc[sick & monitored, "measure_health"] == "是").all()


def test_county_shares():
    counts = allocate_households(42_000, county_shares("4412"))
    assert sum(counts.values()) == 42_000
    big_four = sum(counts[c] for c in ("441223", "441224", "441225", "441226"))
    assert 0.79 <= big_four / 42_000 <= 0.83
    assert min(counts, key=counts.get) == "441202"


def test_county_shares_in_files(rosters):
    households = {c: rosters[(c, 2020)]["household_no"].nunique() for c in ZHAOQING}
    assert households["441202"] == min(households.values())
    others = {c: n for c, n in households.items() if c != "441224"}
    assert sum(others[c] for c in ("441223", "441225", "441226")) > sum(
        others[c] for c in ("441202", "441203", "441204", "441284"))


def test_other_files_readable(sample_exports):
    folder = sample_exports / "441224"
    postings = pd.read_excel(folder / "441224_岗位信息.xlsx", header=2, dtype=str, engine="calamine")
    assert {"岗位编号", "岗位渠道", "经度", "纬度", "年度"} <= set(postings.columns)
    assert set(postings["岗位渠道"]) <= {"企业", "扶贫车间", "产业基地", "公益性岗位", "以工代赈"}
    placements = pd.read_excel(folder / "441224_就业安置记录.xlsx", header=2, dtype=str, engine="calamine")
    assert set(placements["岗位编号"]) <= set(postings["岗位编号"])
    assert placements["是否接受"].isin(["是", "否"]).all()
    verification = pd.read_excel(folder / "441224_2020_核查表.xlsx", header=2, dtype=str, engine="calamine")
    roster = pd.read_excel(folder / "441224_2020_花名册.xlsx", header=2, dtype=str, engine="calamine")
    assert verification["户编号"].nunique() > 0.8 * roster["户编号"].nunique()
    trainings = pd.read_excel(folder / "441224_培训信息.xlsx", header=2, dtype=str, engine="calamine")
    assert trainings["培训项目"].isin(["粤菜师傅", "南粤家政", "广东技工", "农村电商", "种养技术", "其他"]).all()


def test_same_seed_same_files(sample_exports, tmp_path):
    from conftest import SMALL_HOUSEHOLDS

    generate_sample(city="4412", households=SMALL_HOUSEHOLDS, seed=7, out=tmp_path)
    for county in ("441202", "441224"):
        for path in sorted((sample_exports / county).iterdir()):
            assert _file_digest(path) == _file_digest(tmp_path / county / path.name), path.name


def test_damage_share_roughly_honoured(sample_exports, tmp_path):
    from conftest import SMALL_HOUSEHOLDS

    generate_sample(city="4412", households=SMALL_HOUSEHOLDS, seed=7, out=tmp_path, damage=0.1)
    clean_rows = damaged_rows = 0
    for county in ZHAOQING:
        for year in YEARS:
            name = f"{county}_{year}_花名册.xlsx"
            clean = pd.read_excel(sample_exports / county / name, header=2, dtype=str, engine="calamine").fillna("")
            damaged = pd.read_excel(tmp_path / county / name, header=2, dtype=str, engine="calamine").fillna("")
            clean_set = set(map(tuple, clean.to_numpy()))
            seen = set()
            for row in map(tuple, damaged.to_numpy()):
                if row not in clean_set or row in seen:
                    damaged_rows += 1
                seen.add(row)
            clean_rows += len(clean)
    share = damaged_rows / clean_rows
    assert 0.06 <= share <= 0.14, share


def test_invalid_arguments_raise(tmp_path):
    with pytest.raises(FupinError, match="连续"):
        generate_sample(households=10, years=(2017, 2019), out=tmp_path)
    with pytest.raises(FupinError, match="损坏比例"):
        generate_sample(households=10, damage=0.9, out=tmp_path)
    with pytest.raises(FupinError, match="市代码"):
        generate_sample(city="9999", households=10, out=tmp_path)


def test_cli_writes_summary(tmp_path):
    from fupin_lib.cli import cli

    result = CliRunner().invoke(cli, ["sample-data", "--city", "4412", "--households", "20", "--seed", "1",
                                      "--years", "2020", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "已生成示例数据：8 个县区，1 个年度" in result.output
    assert (tmp_path / "441224" / "441224_2020_花名册.xlsx").exists()
