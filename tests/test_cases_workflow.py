"""The procedure's transition table, without a database."""

import datetime as dt

import pytest

from fupin_lib import AccessDeniedError, ParameterError
from fupin_lib.cases import TRANSITIONS, allowed_actions, next_state
from fupin_lib.cases._workflow import OPEN_STATES, STATES, check_publicity

HAPPY_PATH = [
    ("线索", "visit", "cadre", "入户核实"),
    ("入户核实", "deliberate", "cadre", "村民主评议"),
    ("村民主评议", "publicize", "cadre", "村内公示"),
    ("村内公示", "township_review", "reviewer", "乡镇审核"),
    ("乡镇审核", "county_approve", "reviewer", "县级审定"),
    ("县级审定", "start_support", "cadre", "帮扶中"),
    ("帮扶中", "eliminate", "reviewer", "风险消除"),
]


@pytest.mark.parametrize("state, action, role, expected", HAPPY_PATH)
def test_procedure_steps_in_order(state, action, role, expected):
    assert next_state(state, action, role) == expected


def test_every_transition_lands_on_known_state():
    for (state, action, role), new_state in TRANSITIONS.items():
        assert state in STATES
        assert new_state in STATES
        assert role in ("reviewer", "cadre")


def test_leader_and_admin_cannot_act():
    for state in STATES:
        assert allowed_actions(state, "leader") == []
        assert allowed_actions(state, "admin") == []


def test_wrong_role_is_access_denied():
    with pytest.raises(AccessDeniedError, match="审核员"):
        next_state("村内公示", "township_review", "cadre")
    with pytest.raises(AccessDeniedError):
        next_state("线索", "visit", "leader")


def test_skipping_a_step_is_rejected():
    with pytest.raises(ParameterError, match="不能执行"):
        next_state("线索", "county_approve", "reviewer")
    with pytest.raises(ParameterError, match="不能执行"):
        next_state("入户核实", "eliminate", "reviewer")


def test_unknown_state_and_action():
    with pytest.raises(ParameterError, match="未知的案例状态"):
        next_state("已完成", "visit", "reviewer")
    with pytest.raises(ParameterError, match="未知的操作"):
        next_state("线索", "approve", "reviewer")


def test_exits_and_recheck_loop():
    assert next_state("乡镇审核", "reject", "reviewer") == "不予纳入"
    assert next_state("帮扶中", "recheck", "reviewer") == "需再核查"
    assert next_state("需再核查", "visit", "cadre") == "入户核实"


def test_closed_states_allow_only_notes():
    for state in ("风险消除", "不予纳入"):
        assert state not in OPEN_STATES
        assert allowed_actions(state, "reviewer") == ["note"]


def test_note_keeps_state():
    for state in STATES:
        assert next_state(state, "note", "cadre") == state


def test_publicity_needs_five_days():
    check_publicity(dt.date(2024, 5, 1), dt.date(2024, 5, 5))
    with pytest.raises(ParameterError, match="至少需要 5 天"):
        check_publicity(dt.date(2024, 5, 1), dt.date(2024, 5, 4))
    with pytest.raises(ParameterError, match="开始和结束日期"):
        check_publicity(None, dt.date(2024, 5, 4))
