"""The review app's state and pure functions, and app identity, without widgets."""

from __future__ import annotations

import pandas as pd
import pytest

from fupin_lib import AccessDeniedError, ParameterError, cases
from fupin_lib.apps import _review, identity
from fupin_lib.apps._review import ReviewState, action_choices, queue_label, queue_page


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'review.db'}"
    frame = cases.synthetic_run_results("441202", 300, seed=2)
    cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    users = {}
    for name, role, area in [("rev", "reviewer", "441202"), ("town", "reviewer", "441202001"),
                             ("adm", "admin", "4412"), ("lead", "leader", "441202"),
                             ("kad", "cadre", "441202001")]:
        token = cases.create_user(name, role, area, url=url)
        users[name] = cases.authenticate_token(token, url=url)
    return url, users


def test_queue_page_and_label():
    queue = pd.DataFrame({"case_id": range(120), "state": "线索", "risk_probability": 0.5,
                          "risk_band": "中", "village": "一村", "head_name_masked": "王*"})
    assert len(queue_page(queue, 0)) == 50
    assert len(queue_page(queue, 2)) == 20
    assert queue_page(queue, 9).iloc[0]["case_id"] == 100
    label = queue_label(queue.iloc[3].to_dict())
    assert label.startswith("#3 一村 王*")
    assert "风险中 50%" in label


def test_action_choices_by_role():
    reviewer = cases.User("r", "reviewer", "441202")
    leader = cases.User("l", "leader", "441202")
    assert ("入户核实", "visit") in action_choices("线索", reviewer)
    assert ("不予纳入", "reject") in action_choices("线索", reviewer)
    assert action_choices("线索", leader) == []


def test_filters_reload_queue(store):
    url, users = store
    state = ReviewState(users["rev"], url=url)
    everything = state.refresh()
    assert state.ok
    high = state.set_filters(risk_bands=["高"])
    assert 0 < len(high) < len(everything)
    assert set(high["risk_band"]) == {"高"}
    town = state.set_filters(risk_bands=[], area="441202003")
    assert set(town["township_code"]) == {"441202003"}
    state.set_filters(area="441203")
    assert not state.ok
    assert "不在您的管辖区域" in state.message


def test_decide_and_history(store):
    url, users = store
    state = ReviewState(users["rev"], url=url)
    state.refresh()
    case_id = int(state.queue["case_id"].iloc[0])
    state.open_case(case_id)
    assert ("入户核实", "visit") in state.actions()
    assert state.decide("visit", "入户核实无误")
    assert state.message == "已记录：入户核实。"
    assert state.case["case"]["state"] == "入户核实"
    history = state.case["history"]
    assert list(history["note"]) == ["入户核实无误"]


def test_decide_conflict_shows_current_state(store):
    url, users = store
    mine = ReviewState(users["rev"], url=url)
    other = ReviewState(users["rev"], url=url)
    mine.refresh()
    case_id = int(mine.queue["case_id"].iloc[0])
    mine.open_case(case_id)
    other.open_case(case_id)
    assert other.decide("visit", "先到")
    assert not mine.decide("reject", "后到")
    assert "已被他人修改" in mine.message
    assert mine.case["case"]["state"] == "入户核实"


def test_decide_bad_input_is_message(store):
    url, users = store
    state = ReviewState(users["rev"], url=url)
    state.refresh()
    state.open_case(int(state.queue["case_id"].iloc[0]))
    assert not state.decide("publicize", "", publicity_start="2024-05-01",
                            publicity_end="2024-05-02")
    assert "至少需要 5 天" in state.message
    assert not state.decide("publicize", "", publicity_start="2024/05/01",
                            publicity_end="2024-05-09")
    assert "日期格式" in state.message


def test_township_user_cannot_open_other_township(store):
    url, users = store
    county = ReviewState(users["rev"], url=url)
    other = county.set_filters(area="441202002")
    town = ReviewState(users["town"], url=url)
    assert town.open_case(int(other["case_id"].iloc[0])) is None
    assert "不在您的管辖区域" in town.message


def test_assign_then_cadre_sees_contact_fields(store):
    url, users = store
    state = ReviewState(users["rev"], url=url)
    queue = state.set_filters(area="441202001")
    state.open_case(int(queue["case_id"].iloc[0]))
    assert state.cadres() == ["kad"]
    assert state.assign("kad")
    cadre = ReviewState(users["kad"], url=url)
    assert list(cadre.refresh()["case_id"]) == [int(queue["case_id"].iloc[0])]


def test_bulk_reports_failures(store):
    url, users = store
    state = ReviewState(users["rev"], url=url)
    queue = state.refresh()
    chosen = list(queue["case_id"].iloc[:3])
    result = state.bulk(chosen, "visit", "批量核实")
    assert result["ok"].all()
    again = state.bulk(chosen, "deliberate")
    assert again["ok"].all()
    failed = state.bulk(chosen, "visit")
    assert not failed["ok"].any()
    assert "失败 3 个" in state.message


def test_export_queue_masked(store, tmp_path):
    url, users = store
    state = ReviewState(users["lead"], url=url)
    state.refresh()
    path = state.export(tmp_path)
    table = pd.read_excel(path, engine="openpyxl")
    assert len(table) == len(state.queue)
    assert "户主" in table.columns


def test_admin_audit_log(store, tmp_path):
    url, users = store
    reviewer = ReviewState(users["rev"], url=url)
    reviewer.refresh()
    reviewer.open_case(int(reviewer.queue["case_id"].iloc[0]))
    admin = ReviewState(users["adm"], url=url)
    log = admin.audit_log()
    assert "view" in set(log["action"])
    assert admin.export_audit(tmp_path).exists()
    assert reviewer.audit_log().empty
    assert not reviewer.ok


def test_unexpected_error_is_short_message(store, monkeypatch):
    url, users = store

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(_review, "load_queue", broken)
    state = ReviewState(users["rev"], url=url)
    state.refresh()
    assert state.message == "操作失败，系统已记录错误。请稍后重试或联系管理员。"
    assert "boom" not in state.message


def test_current_user_from_ticket_and_env(store, monkeypatch):
    url, users = store
    monkeypatch.setattr(identity, "_cached", None)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.setenv(identity.TICKET_ENV, cases.issue_ticket(users["town"], url=url))
    assert identity.current_user(url=url).name == "town"
    monkeypatch.setattr(identity, "_cached", None)
    monkeypatch.setenv("FUPIN_USER", "lead")
    assert identity.current_user(url=url).role == "leader"
    monkeypatch.setattr(identity, "_cached", None)
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5")
    with pytest.raises(AccessDeniedError, match="未登录"):
        identity.current_user(url=url)


def test_household_page_masks_by_role(store, tmp_path):
    url, users = store
    reviewer = ReviewState(users["rev"], url=url, data_root=tmp_path / "clean")
    queue = reviewer.set_filters(area="441202001")
    case_id = int(queue["case_id"].iloc[0])
    number = queue["household_no"].iloc[0]
    folder = tmp_path / "clean" / "441202" / "2020"
    folder.mkdir(parents=True)
    pd.DataFrame({"year": [2020], "county_code": ["441202"], "household_no": [number],
                  "phone": ["13812345678"], "address": ["第1镇1村幸福路8号"],
                  "net_income_per_capita": [6200.0]}).to_parquet(folder / "households.parquet")
    pd.DataFrame({"year": [2020, 2020], "county_code": ["441202"] * 2,
                  "household_no": [number] * 2, "person_no": ["01", "02"],
                  "name": ["王大明", "李小红"],
                  "id_number": ["441202198001011234", "441202198202023456"]}
                 ).to_parquet(folder / "members.parquet")

    page = reviewer.open_case(case_id)
    assert page["contact"]["phone"] == "138****5678"
    assert list(page["members"]["name"]) == ["王大明", "李小红"]
    assert page["members"]["id_number"].iloc[0] == "441202********1234"
    assert "net_income_per_capita" in set(page["income"]["项目"])

    leader = ReviewState(users["lead"], url=url, data_root=tmp_path / "clean")
    assert list(leader.open_case(case_id)["members"]["name"]) == ["王**", "李**"]

    reviewer.assign("kad")
    cadre = ReviewState(users["kad"], url=url, data_root=tmp_path / "clean")
    contact = cadre.open_case(case_id)["contact"]
    assert contact["phone"] == "13812345678"
    assert contact["address"] == "第1镇1村幸福路8号"


@pytest.mark.parametrize("query, expected", [
    ("household_no=44120200015&county_code=441202", ("44120200015", "441202")),
    ("county_code=441202&household_no=+44120200015+&area=4412", ("44120200015", "441202")),
    ("", None),
    (None, None),
    ("area=4412&year=2020", None),
])
def test_household_link(query, expected):
    assert _review.household_link(query) == expected


@pytest.mark.parametrize("query", [
    "household_no=44120200015",
    "county_code=441202",
    "household_no=44120200015&county_code=4412",
    "household_no=1%27%20OR%201%3D1&county_code=441202",
    "household_no=&county_code=441202",
])
def test_household_link_malformed(query):
    with pytest.raises(ParameterError, match="链接中的户编号"):
        _review.household_link(query)


def _audit_actions(url, name):
    log = cases.read_audit_log(cases.User("x", "admin", "4412"), url=url)
    return log[log["user_name"] == name]


def test_link_opens_household_case(store):
    url, users = store
    state = ReviewState(users["town"], url=url)
    queue = state.refresh()
    row = queue.iloc[0]
    number = str(row["household_no"])
    opened = state.open_link(f"household_no={number}&county_code=441202")
    assert opened is not None
    assert state.ok
    assert not state.denied
    assert opened["case"]["household_no"] == number
    assert opened["case"]["case_id"] == int(row["case_id"])
    assert "view" in set(_audit_actions(url, "town")["action"])


def test_link_opens_latest_period(store):
    url, users = store
    state = ReviewState(users["rev"], url=url)
    first = state.refresh().iloc[0]
    frame = cases.synthetic_run_results("441202", 300, seed=2)
    frame = frame.assign(year=2021)
    cases.upsert_run_results(frame, county_code="441202", year=2021, url=url)
    opened = state.open_household(str(first["household_no"]), "441202")
    assert opened["case"]["period"] == 2021


def test_link_outside_area_denied_audited(store):
    url, users = store
    everything = ReviewState(users["rev"], url=url).refresh()
    foreign = everything[everything["township_code"] != "441202001"].iloc[0]
    state = ReviewState(users["town"], url=url)
    link = f"household_no={foreign['household_no']}&county_code=441202"
    assert state.open_link(link) is None
    assert state.denied
    assert not state.ok
    assert state.case is None
    assert "无权查看" in state.message
    assert str(foreign["household_no"]) not in state.message
    # An unknown household gets the same message.
    unknown = ReviewState(users["town"], url=url)
    unknown.open_link("household_no=99999999999&county_code=441202")
    assert unknown.denied
    assert unknown.message == state.message
    denied = _audit_actions(url, "town")
    denied = denied[denied["action"] == "denied"]
    assert set(denied["object_id"]) == {f"441202/{foreign['household_no']}",
                                       "441202/99999999999"}
    assert "view" not in set(_audit_actions(url, "town")["action"])


def test_link_cadre_unassigned_denied(store):
    url, users = store
    own = ReviewState(users["rev"], url=url).refresh()
    row = own[own["township_code"] == "441202001"].iloc[0]
    state = ReviewState(users["kad"], url=url)
    state.open_household(str(row["household_no"]), "441202")
    assert state.denied
    assert "未分配给您" in state.message
    assert "denied" in set(_audit_actions(url, "kad")["action"])


def test_malformed_link_denied(store):
    url, users = store
    state = ReviewState(users["town"], url=url)
    state.open_link("household_no=x%3Cscript%3E&county_code=441202")
    assert state.denied
    assert "链接中的户编号" in state.message


def test_page_query_after_sign_in(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "household_no=1&county_code=441202")
    assert identity.page_query() == "household_no=1&county_code=441202"
    monkeypatch.delenv("QUERY_STRING")
    assert identity.page_query() == ""


def test_kernel_environment_absolute_folders(tmp_path, monkeypatch):
    from fupin_lib.apps._server import kernel_environment

    monkeypatch.chdir(tmp_path)
    env = kernel_environment(db_url="sqlite:////srv/fupin.db", host="0.0.0.0",
                             clean_root="data/clean", outputs_root="outputs")
    assert env == {"FUPIN_DB_URL": "sqlite:////srv/fupin.db", "VOILA_APP_IP": "127.0.0.1",
                   "FUPIN_CLEAN_ROOT": str(tmp_path / "data" / "clean"),
                   "FUPIN_OUTPUTS_ROOT": str(tmp_path / "outputs")}
    assert "FUPIN_OUTPUTS_ROOT" not in kernel_environment(db_url="sqlite://", host="127.0.0.1")


def test_household_tables_are_chinese_and_blank_when_missing():
    members = pd.DataFrame({
        "person_no": pd.array([1, 2], dtype="Int64"),
        "name": ["王*", "李*"],
        "sex": pd.array(["男", pd.NA], dtype="string"),
        "birth_date": pd.to_datetime(["1970-05-01", None]),
        "work_months": [10.0, float("nan")],
        "monthly_wage": [3500.0, None],
    })
    table = _review.members_table(members)
    assert list(table.columns) == ["人编号", "姓名", "性别", "出生日期", "务工时间", "月工资"]
    html = table.to_html()
    for missing in ("<NA>", "NaN", "NaT", "None", "nan"):
        assert missing not in html
    assert table.loc[0].tolist() == ["1", "王*", "男", "1970-05-01", "10", "3,500.00"]
    assert table.loc[1].tolist() == ["2", "李*", "", "", "", ""]

    income = pd.DataFrame({"项目": ["wage_income", "net_income_per_capita", "dibao_income"],
                           "金额（元）": [24000.0, 8123.456, pd.NA]})
    shown = _review.income_table(income)
    assert shown["项目"].tolist() == ["工资性收入", "人均纯收入", "低保金"]
    assert shown["金额（元）"].tolist() == ["24,000.00", "8,123.46", ""]
    assert list(_review.income_table(pd.DataFrame()).columns) == ["项目", "金额（元）"]
