"""The monitoring procedure as a pure transition table.

A case's state is the last step completed. Each action completes the next
step and is signed by the role that owns it::

    线索 → 入户核实 → 村民主评议 → 村内公示 → 乡镇审核 → 县级审定 → 帮扶中 → 风险消除

with the exits 不予纳入 (not admitted, closes the case) and 需再核查 (sent back
for another household visit). The elimination is recorded in one step with
its method (帮扶消除 or 自然消除); the visit, review and publicity that precede
it are written in the decision's note.
"""

from __future__ import annotations

import datetime as dt

from .._errors import AccessDeniedError, ParameterError

__all__ = [
    "ROLES",
    "ROLE_LABELS",
    "STATES",
    "OPEN_STATES",
    "ACTIONS",
    "TRANSITIONS",
    "next_state",
    "allowed_actions",
    "check_publicity",
    "MIN_PUBLICITY_DAYS",
]

ROLES = ("leader", "reviewer", "cadre", "admin")
ROLE_LABELS = {"leader": "领导", "reviewer": "审核员", "cadre": "帮扶干部", "admin": "管理员"}

STATES = (
    "线索", "入户核实", "村民主评议", "村内公示", "乡镇审核", "县级审定",
    "帮扶中", "风险消除", "不予纳入", "需再核查",
)
CLOSED_STATES = ("风险消除", "不予纳入")
OPEN_STATES = tuple(s for s in STATES if s not in CLOSED_STATES)

# Action code -> Chinese label shown on buttons and in the history.
ACTIONS = {
    "visit": "入户核实",
    "deliberate": "村民主评议",
    "publicize": "村内公示",
    "township_review": "乡镇审核",
    "county_approve": "县级审定",
    "start_support": "开始帮扶",
    "eliminate": "风险消除",
    "reject": "不予纳入",
    "recheck": "需再核查",
    "note": "备注",
}

MIN_PUBLICITY_DAYS = 5

_FIELD = ("cadre", "reviewer")
_ANY_WRITER = ("cadre", "reviewer")

# (state, action) -> (roles allowed, new state). "note" keeps the state.
_STEPS = {
    ("线索", "visit"): (_FIELD, "入户核实"),
    ("需再核查", "visit"): (_FIELD, "入户核实"),
    ("入户核实", "deliberate"): (_FIELD, "村民主评议"),
    ("村民主评议", "publicize"): (_FIELD, "村内公示"),
    ("村内公示", "township_review"): (("reviewer",), "乡镇审核"),
    ("乡镇审核", "county_approve"): (("reviewer",), "县级审定"),
    ("县级审定", "start_support"): (_FIELD, "帮扶中"),
    ("帮扶中", "eliminate"): (("reviewer",), "风险消除"),
}
for _state in ("线索", "入户核实", "村民主评议", "村内公示", "乡镇审核", "县级审定", "需再核查"):
    _STEPS[(_state, "reject")] = (("reviewer",), "不予纳入")
for _state in ("入户核实", "村民主评议", "村内公示", "乡镇审核", "县级审定", "帮扶中"):
    _STEPS[(_state, "recheck")] = (("reviewer",), "需再核查")
for _state in STATES:
    _STEPS[(_state, "note")] = (_ANY_WRITER, _state)

TRANSITIONS: dict[tuple[str, str, str], str] = {
    (state, action, role): new_state
    for (state, action), (roles, new_state) in _STEPS.items()
    for role in roles
}
"""(state, action, role) -> new state: every allowed move and nothing else."""


def next_state(state: str, action: str, role: str) -> str:
    """Return the state a case reaches when `role` takes `action` in `state`.

    Raises
    ------
    ParameterError
        The state or action is unknown, or the action is not a step from
        this state.
    AccessDeniedError
        The step exists but another role owns it.
    """
    if state not in STATES:
        raise ParameterError(f"未知的案例状态：{state!r}。")
    if action not in ACTIONS:
        raise ParameterError(f"未知的操作：{action!r}。可用操作：{'、'.join(ACTIONS.values())}。")
    if (state, action) not in _STEPS:
        raise ParameterError(f"案例处于“{state}”时不能执行“{ACTIONS[action]}”。")
    key = (state, action, role)
    if key not in TRANSITIONS:
        roles = "、".join(ROLE_LABELS[r] for r in _STEPS[(state, action)][0])
        raise AccessDeniedError(
            f"“{ACTIONS[action]}”应由{roles}执行，当前角色“{ROLE_LABELS.get(role, role)}”无权操作。"
        )
    return TRANSITIONS[key]


def allowed_actions(state: str, role: str) -> list[str]:
    """Return the actions `role` may take on a case in `state`, in procedure order."""
    return [action for action in ACTIONS if (state, action, role) in TRANSITIONS]


def check_publicity(start: dt.date | None, end: dt.date | None) -> None:
    """Raise `ParameterError` unless the village publicity lasts at least
    `MIN_PUBLICITY_DAYS` days, counting both the first and the last day."""
    if start is None or end is None:
        raise ParameterError("村内公示须填写开始和结束日期。")
    days = (end - start).days + 1
    if days < MIN_PUBLICITY_DAYS:
        raise ParameterError(
            f"村内公示从 {start} 到 {end} 只有 {days} 天，至少需要 {MIN_PUBLICITY_DAYS} 天，请修改结束日期。"
        )
