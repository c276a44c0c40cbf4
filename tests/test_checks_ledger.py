"""The problem ledger on SQLite and on PostgreSQL: opening items, re-runs
without duplicates, 待验收 for problems that went away, status moves,
optimistic locking, household closure and verification-record problems."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from fupin_lib import ConflictError, ParameterError
from fupin_lib.cases import get_engine
from fupin_lib.checks import (
    VERIFICATION_CODE, ChecksConfig, household_closed, read_ledger, run_checks, set_status, update_ledger,
    verification_problems,
)

from _checks_fixtures import variant

CODES = ["1_01_010", "7_01_003"]
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a temporary PostgreSQL
    database created for the test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    name = f"fupin_ledger_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_SERVER}/{name}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _hits(year=2020, **changes):
    households, members = variant(**changes)
    households["year"] = year
    members["year"] = year
    return run_checks(households, members, year=year, codes=CODES, config=ChecksConfig())


BOTH = {"h": {"phone": "12345"}, "m": {1: {"monthly_wage": 80.0}}}
WAGE_ONLY = {"m": {1: {"monthly_wage": 80.0}}}


def test_ledger_first_run_opens_items(ledger_url):
    summary = update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    assert (summary.new, summary.still_open, summary.awaiting_acceptance, summary.open_total) == (2, 0, 0, 2)
    ledger = read_ledger(county_code="441224", url=ledger_url)
    assert sorted(ledger["check_code"]) == ["1_01_010", "7_01_003"]
    assert set(ledger["status"]) == {"待整改"}
    assert set(ledger["responsible"]) == {"李四"}
    assert set(ledger["version"]) == {1}
    expected_deadline = dt.date.today() + dt.timedelta(days=30)
    assert {pd.Timestamp(d).date() for d in ledger["deadline"]} <= {expected_deadline,
                                                                   expected_deadline + dt.timedelta(days=1)}
    wage_item = ledger[ledger["check_code"] == "7_01_003"].iloc[0]
    assert wage_item["person_no"] == "P2"
    assert wage_item["description"] == "月工资=80.0"


def test_ledger_rerun_never_duplicates(ledger_url):
    update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    summary = update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    assert (summary.new, summary.still_open, summary.open_total) == (0, 2, 2)
    assert len(read_ledger(url=ledger_url)) == 2


def test_ledger_rerun_marks_gone_problem_for_acceptance(ledger_url):
    update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    summary = update_ledger(_hits(2021, **WAGE_ONLY), county_code="441224", year=2021, url=ledger_url)
    assert (summary.new, summary.still_open, summary.awaiting_acceptance) == (0, 1, 1)
    ledger = read_ledger(url=ledger_url).set_index("check_code")
    assert len(ledger) == 2
    assert ledger.loc["1_01_010", "status"] == "待验收"
    assert ledger.loc["1_01_010", "note"] == "最新数据中未再发现该问题，待验收。"
    assert ledger.loc["7_01_003", "status"] == "待整改"
    assert ledger.loc["7_01_003", "last_year"] == 2021


def test_ledger_older_year_resolves_nothing(ledger_url):
    update_ledger(_hits(2021, **BOTH), county_code="441224", year=2021, url=ledger_url)
    summary = update_ledger(_hits(2020, **WAGE_ONLY), county_code="441224", year=2020, url=ledger_url)
    assert summary.awaiting_acceptance == 0
    assert set(read_ledger(url=ledger_url)["status"]) == {"待整改"}


def test_ledger_problem_back_reopens_item(ledger_url):
    update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    update_ledger(_hits(**WAGE_ONLY), county_code="441224", year=2020, url=ledger_url)
    summary = update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    assert (summary.new, summary.reopened) == (0, 1)
    ledger = read_ledger(url=ledger_url).set_index("check_code")
    assert ledger.loc["1_01_010", "status"] == "待整改"
    assert len(ledger) == 2


def test_ledger_closed_item_hit_again_opens_new_item(ledger_url):
    update_ledger(_hits(**WAGE_ONLY), county_code="441224", year=2020, url=ledger_url)
    item_id = int(read_ledger(url=ledger_url)["id"].iloc[0])
    set_status(item_id, "待验收", user="cadre", note="已核实工资", url=ledger_url)
    set_status(item_id, "已销号", user="reviewer", note="验收通过", url=ledger_url)
    summary = update_ledger(_hits(**WAGE_ONLY), county_code="441224", year=2020, url=ledger_url)
    assert summary.new == 1
    assert sorted(read_ledger(url=ledger_url)["status"]) == ["已销号", "待整改"]


def test_set_status_moves_and_versions(ledger_url):
    update_ledger(_hits(**WAGE_ONLY), county_code="441224", year=2020, url=ledger_url)
    item_id = int(read_ledger(url=ledger_url)["id"].iloc[0])
    item = set_status(item_id, "整改中", user="cadre01", note="已联系务工企业", url=ledger_url)
    assert item["status"] == "整改中"
    assert item["version"] == 2
    assert item["updated_by"] == "cadre01"
    assert item["note"] == "已联系务工企业"
    with pytest.raises(ParameterError, match="不能改为 已销号"):
        set_status(item_id, "已销号", user="cadre01", note=None, url=ledger_url)
    with pytest.raises(ConflictError, match="已被他人修改"):
        set_status(item_id, "待验收", user="cadre02", note=None, expected_version=1, url=ledger_url)
    with pytest.raises(ParameterError, match="无效的整改状态"):
        set_status(item_id, "完成", user="cadre01", note=None, url=ledger_url)
    with pytest.raises(ParameterError, match="不存在"):
        set_status(99999, "整改中", user="cadre01", note=None, url=ledger_url)


def test_household_closed_only_when_all_items_closed(ledger_url):
    update_ledger(_hits(**BOTH), county_code="441224", year=2020, url=ledger_url)
    assert not household_closed("H1", county_code="441224", url=ledger_url)
    ids = [int(i) for i in read_ledger(url=ledger_url)["id"]]
    set_status(ids[0], "待验收", user="cadre", note="已整改", url=ledger_url)
    set_status(ids[0], "已销号", user="reviewer", note="验收通过", url=ledger_url)
    assert not household_closed("H1", county_code="441224", url=ledger_url)
    set_status(ids[1], "待验收", user="cadre", note="已整改", url=ledger_url)
    item = set_status(ids[1], "已销号", user="reviewer", note="验收通过", url=ledger_url)
    assert item["closed_at"] is not None
    assert household_closed("H1", county_code="441224", url=ledger_url)
    assert not household_closed("H2", county_code="441224", url=ledger_url)


def _verifications():
    return pd.DataFrame({
        "year": pd.array([2020, 2020, 2020], dtype="Int64"),
        "county_code": pd.array(["441224"] * 3, dtype="string"),
        "household_no": pd.array(["H1", "H1", "H2"], dtype="string"),
        "verify_date": pd.to_datetime(["2020-10-12", "2020-11-03", "2020-10-12"]).astype("datetime64[ns]"),
        "problems_found": pd.array([True, False, None], dtype="boolean"),
        "problem_type": pd.array(["收入核算", None, None], dtype="string"),
        "problem_description": pd.array(["低保金未计入转移性收入", None, "饮水管道损坏"], dtype="string"),
    })


def test_verification_problems_become_hits():
    households, _ = variant(second=True)
    hits = verification_problems(_verifications(), households)
    assert list(hits["household_no"]) == ["H1", "H2"]
    assert list(hits["title"]) == ["入户核查发现的问题：收入核算", "入户核查发现的问题"]
    assert list(hits["values"]) == ["低保金未计入转移性收入", "饮水管道损坏"]
    assert list(hits["detail_key"]) == ["2020-10-12", "2020-10-12"]
    assert list(hits["village"]) == ["莲社村", "莲社村"]
    assert set(hits["check_code"]) == {VERIFICATION_CODE}


def test_ledger_holds_verification_problems_beside_hits(ledger_url):
    households, _ = variant(second=True)
    records = verification_problems(_verifications(), households)
    both = pd.concat([_hits(**BOTH), records], ignore_index=True)
    summary = update_ledger(both, county_code="441224", year=2020, url=ledger_url)
    assert summary.new == 4
    # The next run has neither the check hits nor the records: check items
    # wait for acceptance, the cadres' problems stay open.
    update_ledger(_hits(), county_code="441224", year=2020, url=ledger_url)
    ledger = read_ledger(url=ledger_url)
    by_source = ledger.groupby("source")["status"].apply(sorted).to_dict()
    assert by_source == {"check": ["待验收", "待验收"], "verification": ["待整改", "待整改"]}
