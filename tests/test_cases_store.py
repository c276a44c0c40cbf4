"""The case store's API against SQLite and PostgreSQL: run upserts, the
queue, decisions with optimistic locking, access, users, audit, backup."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from fupin_lib import AccessDeniedError, ConflictError, ParameterError
from fupin_lib import cases
from fupin_lib.cases import synthetic_run_results

PG_SERVER = os.environ.get("FUPIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TABLES = ("audit_log", "decisions", "assignments", "cases", "households", "auth_sessions", "users")


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"fupin_h7_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    cases.init_db(url)
    yield url
    cases.get_engine(url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    """An empty, migrated case store of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        cases.init_db(url)
        return url
    url = request.getfixturevalue("pg_url")
    with cases.get_engine(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        if cases.get_engine(url).dialect.has_table(connection, "problem_items"):
            connection.execute(text("TRUNCATE problem_items RESTART IDENTITY CASCADE"))
    return url


def _user(url, name, role, area):
    token = cases.create_user(name, role, area, url=url)
    return cases.authenticate_token(token, url=url)


@pytest.fixture
def loaded(url):
    """A store with one county's run results (200 households in 4 townships)."""
    frame = synthetic_run_results("441202", 200, seed=1)
    counts = cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    return url, frame, counts


def _flagged(frame):
    return frame["rule_flagged"] | (frame["risk_band"] == "高")


def test_upsert_opens_case_per_flagged_household(loaded):
    url, frame, counts = loaded
    assert counts["households"] == 200
    assert counts["households_added"] == 200
    assert counts["cases_opened"] == int(_flagged(frame).sum())
    admin = _user(url, "a", "leader", "4412")
    queue = cases.load_queue(admin, url=url)
    assert len(queue) == counts["cases_opened"]
    assert set(queue["state"]) == {"线索"}


def test_rerun_is_idempotent(loaded):
    url, frame, counts = loaded
    again = cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    assert again["cases_opened"] == 0
    assert again["households_added"] == 0
    assert again["households_updated"] == 0
    assert again["cases_updated"] == 0
    assert again["cases_unchanged"] == counts["cases_opened"]


def test_rerun_keeps_human_decisions(loaded):
    url, frame, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    queue = cases.load_queue(reviewer, url=url)
    target = queue.iloc[0]
    cases.decide(int(target.case_id), "visit", reviewer, version=int(target.version),
                 note="已入户", url=url)
    changed = frame.copy()
    row = changed["household_no"] == target.household_no
    changed.loc[row, "risk_probability"] = 0.99
    changed.loc[row, "risk_reasons"] = "新的原因"
    counts = cases.upsert_run_results(changed, county_code="441202", year=2020, url=url)
    assert counts["cases_updated"] == 1
    case = cases.get_case(int(target.case_id), reviewer, url=url)["case"]
    assert case["state"] == "入户核实"
    assert case["risk_probability"] == pytest.approx(0.99)
    assert case["risk_reasons"] == "新的原因"
    assert len(cases.case_history(int(target.case_id), reviewer, url=url)) == 1


def test_unflagged_household_keeps_case(loaded):
    url, frame, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    target = cases.load_queue(reviewer, url=url).iloc[0]
    changed = frame.copy()
    row = changed["household_no"] == target.household_no
    changed.loc[row, ["rule_flagged", "risk_band"]] = [False, "低"]
    counts = cases.upsert_run_results(changed, county_code="441202", year=2020, url=url)
    assert counts["cases_unflagged"] == 1
    queue = cases.load_queue(reviewer, url=url)
    kept = queue[queue["case_id"] == target.case_id]
    assert len(kept) == 1
    assert not bool(kept["flagged"].iloc[0])
    cases.decide(int(target.case_id), "reject", reviewer, version=int(kept["version"].iloc[0]),
                 note="复核后不纳入", url=url)
    assert target.case_id not in set(cases.load_queue(reviewer, open_only=True, url=url)["case_id"])


def test_upsert_rejects_other_county(url):
    frame = synthetic_run_results("441203", 5)
    with pytest.raises(ParameterError, match="不属于县 441202"):
        cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)


def test_queue_filters_and_sort(loaded):
    url, frame, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    queue = cases.load_queue(reviewer, url=url)
    assert queue["risk_probability"].is_monotonic_decreasing
    high = cases.load_queue(reviewer, risk_bands=["高"], url=url)
    assert len(high) == int((frame["risk_band"] == "高").sum())
    town = cases.load_queue(reviewer, area="441202002", url=url)
    assert set(town["township_code"]) == {"441202002"}
    assert cases.load_queue(reviewer, states=["帮扶中"], url=url).empty


def test_township_user_sees_only_township(loaded):
    url, _, _ = loaded
    town = _user(url, "t", "reviewer", "441202001")
    queue = cases.load_queue(town, url=url)
    assert not queue.empty
    assert set(queue["township_code"]) == {"441202001"}
    county = _user(url, "c", "leader", "441202")
    other = cases.load_queue(county, area="441202002", url=url).iloc[0]
    with pytest.raises(AccessDeniedError):
        cases.get_case(int(other.case_id), town, url=url)
    with pytest.raises(AccessDeniedError):
        cases.decide(int(other.case_id), "visit", town, version=int(other.version), url=url)
    with pytest.raises(AccessDeniedError):
        cases.load_queue(town, area="441202002", url=url)


def test_area_clause_in_duckdb(loaded):
    import duckdb

    _, frame, _ = loaded
    user = cases.User("t", "leader", "441202003")
    sql, params = cases.area_clause(user)
    count = duckdb.execute(f"SELECT count(*) FROM frame WHERE {sql}", params).fetchone()[0]
    assert count == int(frame["village_code"].str.startswith("441202003").sum())


def test_conflict_on_stale_version(loaded):
    url, _, _ = loaded
    first = _user(url, "r1", "reviewer", "441202")
    second = _user(url, "r2", "reviewer", "441202")
    row = cases.load_queue(first, url=url).iloc[0]
    cases.decide(int(row.case_id), "visit", first, version=int(row.version), url=url)
    with pytest.raises(ConflictError, match="已被他人修改") as caught:
        cases.decide(int(row.case_id), "reject", second, version=int(row.version), url=url)
    assert caught.value.current["state"] == "入户核实"
    history = cases.case_history(int(row.case_id), first, url=url)
    assert list(history["user_name"]) == ["r1"]


def test_full_procedure_with_assignment(loaded):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    cadre = _user(url, "k", "cadre", "441202001")
    row = cases.load_queue(reviewer, area="441202001", url=url).iloc[0]
    case_id = int(row.case_id)
    with pytest.raises(AccessDeniedError, match="未分配给您"):
        cases.get_case(case_id, cadre, url=url)
    version = cases.assign_case(case_id, "k", reviewer, version=int(row.version), url=url)["version"]
    assert list(cases.load_queue(cadre, url=url)["case_id"]) == [case_id]
    steps = [
        (cadre, "visit", {}),
        (cadre, "deliberate", {}),
        (cadre, "publicize", {"publicity_start": dt.date(2024, 5, 1),
                              "publicity_end": dt.date(2024, 5, 7)}),
        (reviewer, "township_review", {}),
        (reviewer, "county_approve", {"category": "边缘易致贫户"}),
        (cadre, "start_support", {}),
        (reviewer, "eliminate", {"elimination_method": "帮扶消除"}),
    ]
    for user, action, details in steps:
        version = cases.decide(case_id, action, user, version=version, note=action, url=url,
                               **details)["version"]
    case = cases.get_case(case_id, reviewer, url=url)["case"]
    assert case["state"] == "风险消除"
    assert case["official_category"] == "边缘易致贫户"
    assert case["elimination_method"] == "帮扶消除"
    assert case["publicity_end"] == dt.date(2024, 5, 7)
    history = cases.case_history(case_id, reviewer, url=url)
    assert len(history) == 8
    assert history["to_state"].iloc[-1] == "风险消除"


def test_short_publicity_and_missing_category_rejected(loaded):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    row = cases.load_queue(reviewer, url=url).iloc[0]
    with pytest.raises(ParameterError, match="至少需要 5 天"):
        cases.decide(int(row.case_id), "publicize", reviewer, version=int(row.version),
                     publicity_start=dt.date(2024, 5, 1), publicity_end=dt.date(2024, 5, 2),
                     url=url)
    with pytest.raises(ParameterError, match="监测对象类别"):
        cases.decide(int(row.case_id), "county_approve", reviewer, version=int(row.version),
                     url=url)


def test_township_reviewer_cannot_approve_at_county(loaded):
    url, _, _ = loaded
    town = _user(url, "t", "reviewer", "441202001")
    row = cases.load_queue(town, url=url).iloc[0]
    version = int(row.version)
    for action, details in [("visit", {}), ("deliberate", {}),
                            ("publicize", {"publicity_start": dt.date(2024, 1, 1),
                                           "publicity_end": dt.date(2024, 1, 5)}),
                            ("township_review", {})]:
        version = cases.decide(int(row.case_id), action, town, version=version, url=url,
                               **details)["version"]
    with pytest.raises(AccessDeniedError, match="县级"):
        cases.decide(int(row.case_id), "county_approve", town, version=version,
                     category="边缘易致贫户", url=url)


def test_leader_reads_but_cannot_decide(loaded):
    url, _, _ = loaded
    leader = _user(url, "l", "leader", "4412")
    row = cases.load_queue(leader, url=url).iloc[0]
    with pytest.raises(AccessDeniedError):
        cases.decide(int(row.case_id), "visit", leader, version=int(row.version), url=url)


def test_users_tokens_and_sessions(url):
    token = cases.create_user("wang", "reviewer", "441202001", url=url)
    user = cases.authenticate_token(token, url=url)
    assert (user.name, user.role, user.area_code) == ("wang", "reviewer", "441202001")
    session = cases.create_session(user, url=url)
    assert cases.resolve_session(session, url=url).name == "wang"
    ticket = cases.issue_ticket(user, url=url)
    assert cases.redeem_ticket(ticket, url=url).name == "wang"
    with pytest.raises(AccessDeniedError):
        cases.redeem_ticket(ticket, url=url)
    new_token = cases.revoke_token("wang", url=url)
    with pytest.raises(AccessDeniedError):
        cases.authenticate_token(token, url=url)
    with pytest.raises(AccessDeniedError):
        cases.resolve_session(session, url=url)
    assert cases.authenticate_token(new_token, url=url).name == "wang"
    cases.disable_user("wang", url=url)
    with pytest.raises(AccessDeniedError):
        cases.authenticate_token(new_token, url=url)
    users = cases.list_users(url=url)
    assert users.loc[users["name"] == "wang", "disabled"].item()


@pytest.mark.parametrize("name, role, area, message", [
    ("", "reviewer", "441202", "不能为空"),
    ("x", "boss", "441202", "角色"),
    ("x", "reviewer", "44120", "区域代码"),
])
def test_create_user_rejects_bad_input(url, name, role, area, message):
    with pytest.raises(ParameterError, match=message):
        cases.create_user(name, role, area, url=url)


def test_audit_log_records_views_and_changes(loaded, tmp_path):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    admin = _user(url, "adm", "admin", "4412")
    row = cases.load_queue(reviewer, url=url).iloc[0]
    cases.get_case(int(row.case_id), reviewer, url=url)
    cases.decide(int(row.case_id), "visit", reviewer, version=int(row.version), url=url)
    cases.export_queue(cases.load_queue(reviewer, url=url), tmp_path / "q.xlsx", reviewer, url=url)
    log = cases.read_audit_log(admin, url=url)
    mine = log[log["user_name"] == "r"]
    assert {"view", "change", "export", "login"} <= set(mine["action"])
    with pytest.raises(AccessDeniedError):
        cases.read_audit_log(reviewer, url=url)
    path = cases.export_audit_log(tmp_path / "audit.xlsx", admin, url=url)
    exported = pd.read_excel(path, engine="openpyxl")
    assert len(exported) >= len(log)
    # The export shows Chinese labels and the store keeps the codes.
    assert {"查看", "修改", "导出", "登录"} <= set(exported["操作"])
    assert {"案例", "用户"} <= set(exported["对象"])
    assert "审核员" in set(exported["角色"])
    assert set(exported["操作"]).isdisjoint(cases.AUDIT_ACTION_LABELS)
    assert "view" in set(cases.read_audit_log(admin, url=url)["action"])


def test_audit_log_labels_every_code():
    codes = pd.DataFrame({"role": ["admin", "reviewer", "leader", "cadre", "admin", "x"],
                          "action": ["login", "change", "change", "view", "export", "denied"],
                          "object_type": ["user", "case", "user", "household", "audit_log",
                                          "queue"]})
    labels = cases.audit_log_labels(codes)
    assert labels["action"].tolist() == ["登录", "修改", "修改", "查看", "导出", "拒绝访问"]
    assert labels["object_type"].tolist() == ["用户", "案例", "用户", "农户", "审计日志",
                                              "复核队列"]
    assert labels["role"].tolist() == ["管理员", "审核员", "领导", "帮扶干部", "管理员", "x"]
    assert codes["action"].iloc[0] == "login"


def test_export_is_masked_and_formula_safe(loaded, tmp_path):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    queue = cases.load_queue(reviewer, url=url)
    queue.loc[queue.index[0], "rule_reasons"] = "=HYPERLINK(\"http://x\")"
    path = cases.export_queue(queue, tmp_path / "q.xlsx", reviewer, url=url)
    exported = pd.read_excel(path, dtype=str, engine="openpyxl")
    assert "疑点原因" in exported.columns
    assert exported["疑点原因"].iloc[0].startswith("'=")
    assert "版本" not in exported.columns


def test_backup_and_restore(loaded, tmp_path):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    row = cases.load_queue(reviewer, url=url).iloc[0]
    backup = cases.backup_db(tmp_path / "backup.bin", url=url)
    cases.decide(int(row.case_id), "visit", reviewer, version=int(row.version), url=url)
    cases.restore_db(backup, url=url)
    case = cases.get_case(int(row.case_id), reviewer, url=url)["case"]
    assert case["state"] == "线索"
    assert case["version"] == int(row.version)


def test_portable_backup_restores(loaded, tmp_path):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    before = cases.load_queue(reviewer, url=url)
    backup = cases.backup_db(tmp_path / "backup.jsonl", url=url, portable=True)
    cases.decide(int(before.case_id.iloc[0]), "visit", reviewer,
                 version=int(before.version.iloc[0]), url=url)
    cases.restore_db(backup, url=url)
    after = cases.load_queue(reviewer, url=url)
    assert list(after["case_id"]) == list(before["case_id"])
    assert set(after["state"]) == {"线索"}
    # New rows still get fresh ids after a restore (sequences reset on PostgreSQL).
    cases.create_user("after-restore", "leader", "4412", url=url)


def test_cli_user_and_db_commands(tmp_path, monkeypatch):
    from fupin_lib.cli import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FUPIN_DB_URL", url)
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "upgrade"], standalone_mode=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["user", "add", "li", "--role", "cadre", "--area", "441202001001"])
    assert result.exit_code == 0, result.output
    token = result.output.split()[-1]
    assert cases.authenticate_token(token, url=url).role == "cadre"
    result = runner.invoke(cli, ["user", "list"])
    assert "li" in result.output
    assert "帮扶干部" in result.output
    result = runner.invoke(cli, ["user", "revoke", "li"])
    new_token = result.output.split()[-1]
    assert new_token != token
    assert cases.authenticate_token(new_token, url=url).name == "li"
    assert runner.invoke(cli, ["user", "disable", "li"]).exit_code == 0
    with pytest.raises(AccessDeniedError):
        cases.authenticate_token(new_token, url=url)
    backup = tmp_path / "b.db"
    assert runner.invoke(cli, ["db", "backup", "--out", str(backup)]).exit_code == 0
    assert backup.read_bytes().startswith(b"SQLite format 3")
    result = runner.invoke(cli, ["db", "restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output


def test_demo_admin_token(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = cases.ensure_demo_admin(url)
    second = cases.ensure_demo_admin(url)
    assert first != second
    assert cases.authenticate_token(second, url=url).role == "admin"
    with pytest.raises(AccessDeniedError):
        cases.authenticate_token(first, url=url)


def test_migrations_match_models(url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from fupin_lib.cases._migrate import target_metadata

    assert cases.current_revision(url) == cases.head_revision()
    with cases.get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, target_metadata()) == []


def test_problem_type_filter_and_household_problems(loaded):
    url, _, _ = loaded
    reviewer = _user(url, "r", "reviewer", "441202")
    row = cases.load_queue(reviewer, url=url).iloc[3]
    now = dt.datetime.now(dt.timezone.utc)
    with cases.get_engine(url).begin() as connection:
        connection.execute(text(
            "INSERT INTO problem_items (item_key, source, county_code, first_year, last_year, "
            "village_code, household_no, id_number, check_code, title, deadline, status, "
            "created_at, updated_at, version) VALUES (:key, 'check', '441202', 2020, 2020, "
            ":village, :number, '441202199001011234', 'H01', '收入低于监测线', :deadline, "
            "'待整改', :now, :now, 1)"),
            {"key": "k1", "village": row.village_code, "number": row.household_no,
             "deadline": dt.date(2021, 1, 1), "now": now})
    assert cases.problem_types(reviewer, url=url) == ["收入低于监测线"]
    filtered = cases.load_queue(reviewer, problem_type="收入低于监测线", url=url)
    assert list(filtered["case_id"]) == [row.case_id]
    problems = cases.get_case(int(row.case_id), reviewer, url=url)["problems"]
    assert len(problems) == 1
    assert problems["id_number"].iloc[0] == "441202********1234"


def test_problem_types_open_in_area(loaded):
    # Member items often carry no village code; closed items offer no type.
    url, _, _ = loaded
    county = _user(url, "c", "reviewer", "441202")
    queue = cases.load_queue(county, url=url)
    own = queue.iloc[0]
    town = _user(url, "t", "reviewer", own.township_code)
    other = queue[queue["township_code"] != own.township_code].iloc[0]
    now = dt.datetime.now(dt.timezone.utc)
    items = [("k1", None, own.household_no, "M01", "未参加任何基本医疗保险", "待整改"),
             ("k2", own.village_code, own.household_no, "H01", "收入低于监测线", "已销号"),
             ("k3", other.village_code, other.household_no, "H02", "住房面积为空", "待整改")]
    with cases.get_engine(url).begin() as connection:
        for key, village, number, code, title, status in items:
            connection.execute(text(
                "INSERT INTO problem_items (item_key, source, county_code, first_year, "
                "last_year, village_code, household_no, check_code, title, deadline, status, "
                "created_at, updated_at, version) VALUES (:key, 'check', '441202', 2020, 2020, "
                ":village, :number, :code, :title, :deadline, :status, :now, :now, 1)"),
                {"key": key, "village": village, "number": number, "code": code,
                 "title": title, "deadline": dt.date(2021, 1, 1), "status": status, "now": now})
    assert cases.problem_types(town, url=url) == ["未参加任何基本医疗保险"]
    assert cases.problem_types(county, url=url) == ["住房面积为空", "未参加任何基本医疗保险"]
    filtered = cases.load_queue(town, problem_type="未参加任何基本医疗保险", url=url)
    assert list(filtered["case_id"]) == [own.case_id]
