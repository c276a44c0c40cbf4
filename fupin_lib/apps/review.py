"""Widgets of the review app (复核工作台): layout and callbacks only.

Every callback calls a `ReviewState` method and then redraws; the logic and
its tests live in `fupin_lib.apps._review`. ``show()`` is what the notebook
``notebooks/apps/review.ipynb`` calls.
"""

from __future__ import annotations

import base64
import html
import logging

import ipywidgets as w
import pandas as pd
from IPython.display import display

from .._errors import FupinError
from ..cases import ACTIONS, CATEGORIES, ELIMINATION_METHODS, ROLE_LABELS, audit_log_labels
from ._review import ReviewState, case_summary, income_table, members_table, page_count
from ._review import queue_label
from .identity import current_user, page_query

__all__ = ["show", "build"]

logger = logging.getLogger(__name__)

_ALL = "全部"
_FULL = w.Layout(width="98%")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _frame_html(frame: pd.DataFrame, empty: str) -> str:
    if frame is None or frame.empty:
        return f"<p>{html.escape(empty)}</p>"
    return ('<div style="overflow-x:auto">'
            + frame.to_html(index=False, escape=True, na_rep="", border=0,
                            classes="fupin-table")
            + "</div>")


_STYLE = """<style>
.fupin-table{border-collapse:collapse;font-size:13px}
.fupin-table td,.fupin-table th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left}
.fupin-msg-ok{color:#1b5e20}.fupin-msg-error{color:#b00020;font-weight:bold}
.fupin-kv td{padding:2px 8px 2px 0;vertical-align:top}
.fupin-case-info,.fupin-case-info .widget-html-content{min-width:0;white-space:normal}
.fupin-kv{table-layout:fixed;width:100%}
.fupin-kv td{white-space:normal;overflow-wrap:anywhere;word-break:break-word}
.fupin-kv td:first-child{width:6.5em}
.fupin-table td{white-space:nowrap}
</style>"""


def _download_link(path, label: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = html.escape(path.name, quote=True)
    return (f'<a class="fupin-download" download="{name}" href="data:{_XLSX};base64,{data}">'
            f"{html.escape(label)}：{name}</a>")


def build(state: ReviewState) -> w.Widget:
    """Build the page for one user's `ReviewState`."""
    user = state.user
    options = state.filter_options()
    message = w.HTML(layout=_FULL).add_class("fupin-message")

    def show_message():
        if state.message:
            kind = "ok" if state.ok else "error"
            message.value = f'<p class="fupin-msg-{kind}">{html.escape(state.message)}</p>'
        else:
            message.value = ""

    header = w.HTML(
        _STYLE + f"<h2 style='margin:4px 0'>复核工作台</h2><p>{html.escape(user.name)}"
        f"（{ROLE_LABELS.get(user.role, user.role)}，区域 {html.escape(user.area_code)}）"
        " · <a href='/fupin/logout'>退出</a></p>", layout=_FULL)

    # ----- filters ------------------------------------------------------------
    area = w.Text(description="区域代码", placeholder="乡镇或村代码", layout=_FULL,
                  continuous_update=False).add_class("fupin-area")
    status = w.Dropdown(options=[_ALL, *options["states"]], description="状态",
                        layout=_FULL).add_class("fupin-state")
    category = w.Dropdown(options=[_ALL, *options["categories"]], description="类别",
                          layout=_FULL).add_class("fupin-category")
    band = w.Dropdown(options=[_ALL, *options["risk_bands"]], description="风险等级",
                      layout=_FULL).add_class("fupin-band")
    problem = w.Dropdown(options=[_ALL, *options["problem_types"]], description="问题类型",
                         layout=_FULL).add_class("fupin-problem")
    open_only = w.Checkbox(value=state.open_only, description="只看未办结",
                           indent=False).add_class("fupin-open-only")

    # ----- queue --------------------------------------------------------------
    summary = w.HTML().add_class("fupin-summary")
    rows = w.SelectMultiple(options=[], rows=10, layout=_FULL).add_class("fupin-queue")
    previous = w.Button(description="上一页", layout=w.Layout(width="auto"))
    following = w.Button(description="下一页", layout=w.Layout(width="auto"))
    open_button = w.Button(description="打开所选户", button_style="primary",
                           layout=w.Layout(width="auto")).add_class("fupin-open")
    bulk_action = w.Dropdown(options=[(ACTIONS[a], a) for a in ("visit", "reject", "note")],
                             description="批量操作", layout=_FULL).add_class("fupin-bulk-action")
    bulk_note = w.Text(description="说明", layout=_FULL).add_class("fupin-bulk-note")
    bulk_button = w.Button(description="对所选执行", layout=w.Layout(width="auto")
                           ).add_class("fupin-bulk")
    export_button = w.Button(description="导出当前队列（Excel）",
                             layout=w.Layout(width="auto")).add_class("fupin-export")
    download = w.HTML().add_class("fupin-download-box")

    def draw_queue():
        queue = state.queue
        pages = page_count(queue)
        summary.value = (f"<p>共 <b class='fupin-count'>{len(queue)}</b> 个案例，"
                         f"第 {state.page + 1}/{pages} 页（按风险从高到低）</p>")
        page = state.current_page()
        rows.options = [(queue_label(r), int(r["case_id"])) for r in page.to_dict("records")]
        previous.disabled = state.page <= 0
        following.disabled = state.page >= pages - 1
        show_message()

    def apply_filters(_=None):
        state.set_filters(
            area=area.value.strip(),
            states=() if status.value == _ALL else (status.value,),
            categories=() if category.value == _ALL else (category.value,),
            risk_bands=() if band.value == _ALL else (band.value,),
            problem_type="" if problem.value == _ALL else problem.value,
            open_only=open_only.value,
        )
        draw_queue()

    for control in (area, status, category, band, problem, open_only):
        control.observe(apply_filters, names="value")

    def turn(step):
        def handler(_):
            state.page = max(0, min(state.page + step, page_count(state.queue) - 1))
            draw_queue()
        return handler

    previous.on_click(turn(-1))
    following.on_click(turn(1))

    # ----- household page -----------------------------------------------------
    case_box = w.VBox(layout=_FULL).add_class("fupin-case")
    action = w.Dropdown(description="操作", layout=_FULL).add_class("fupin-action")
    note = w.Textarea(description="说明", placeholder="核实情况、评议结果等", layout=_FULL
                      ).add_class("fupin-note")
    start = w.DatePicker(description="公示开始").add_class("fupin-publicity-start")
    end = w.DatePicker(description="公示结束").add_class("fupin-publicity-end")
    official = w.Dropdown(options=["", *CATEGORIES], description="认定类别",
                          layout=_FULL).add_class("fupin-official")
    risks = w.Text(description="风险类型", placeholder="如 因病、因学", layout=_FULL)
    method = w.Dropdown(options=["", *ELIMINATION_METHODS], description="消除方式",
                        layout=_FULL).add_class("fupin-method")
    submit = w.Button(description="提交", button_style="success",
                      layout=w.Layout(width="auto")).add_class("fupin-submit")
    cadre = w.Dropdown(description="帮扶干部", layout=_FULL).add_class("fupin-cadre")
    assign_button = w.Button(description="分配", layout=w.Layout(width="auto")
                             ).add_class("fupin-assign")

    def draw_case():
        if not state.case:
            case_box.children = []
            show_message()
            return
        detail = state.case
        case = detail["case"]
        lines = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                        for k, v in case_summary(case))
        contact = detail["contact"]
        contact_html = (f"<p>电话：{html.escape(contact.get('phone') or '—')}；"
                        f"住址：{html.escape(contact.get('address') or '—')}</p>")
        info = w.HTML(f"<h3>户页面</h3><table class='fupin-kv'>{lines}</table>{contact_html}"
                      "<h4>家庭成员</h4>"
                      + _frame_html(members_table(detail["members"]), "无成员明细")
                      + "<h4>收入</h4>" + _frame_html(income_table(detail["income"]), "无收入明细")
                      + "<h4>问题台账</h4>" + _frame_html(detail["problems"], "无问题")
                      + "<h4>办理记录</h4>"
                      + _frame_html(_history_table(detail["history"]), "暂无记录"),
                      layout=_FULL).add_class("fupin-case-info")
        children = [info]
        choices = state.actions()
        if choices:
            action.options = choices
            children += [w.HTML("<h4>记录决定</h4>"), action, note, start, end, official,
                         risks, method, submit]
        if user.role == "reviewer":
            cadre.options = state.cadres()
            children += [w.HTML("<h4>分配帮扶干部</h4>"), cadre, assign_button]
        case_box.children = children
        show_message()

    def open_selected(_):
        if not rows.value:
            state.ok, state.message = False, "请先在队列中选择一户。"
            show_message()
            return
        state.open_case(rows.value[0])
        draw_case()

    def do_submit(_):
        details = {}
        if action.value == "publicize":
            details = {"publicity_start": start.value, "publicity_end": end.value}
        if action.value == "county_approve":
            details["category"] = official.value or None
        if risks.value.strip():
            details["risks"] = risks.value.strip()
        if action.value == "eliminate":
            details["elimination_method"] = method.value or None
        if state.decide(action.value, note.value.strip(), **details):
            note.value = ""
        draw_case()
        draw_queue()

    def do_assign(_):
        if cadre.value:
            state.assign(cadre.value)
        draw_case()
        draw_queue()

    def do_bulk(_):
        state.bulk(rows.value, bulk_action.value, bulk_note.value.strip())
        draw_queue()

    def do_export(_):
        path = state.export()
        download.value = _download_link(path, "下载") if path else ""
        show_message()

    open_button.on_click(open_selected)
    submit.on_click(do_submit)
    assign_button.on_click(do_assign)
    bulk_button.on_click(do_bulk)
    export_button.on_click(do_export)

    sections = [
        header,
        w.VBox([area, status, category, band, problem, open_only], layout=_FULL),
        message,
        summary,
        rows,
        w.HBox([previous, following, open_button], layout=w.Layout(flex_flow="row wrap")),
    ]
    if user.role in ("reviewer", "cadre"):
        sections += [w.VBox([bulk_action, bulk_note, bulk_button], layout=_FULL)]
    sections += [w.HBox([export_button], layout=w.Layout(flex_flow="row wrap")), download,
                 case_box]
    if user.role == "admin":
        sections.append(_audit_panel(state, show_message))
    # A household opened from a link keeps its page and message over the queue.
    opened = (state.message, state.ok)
    state.refresh()
    if state.ok and opened[0]:
        state.message, state.ok = opened
    draw_queue()
    draw_case()
    if state.case:
        # Mark the linked household in the queue when it is on the first page.
        opened_id = int(state.case["case"]["case_id"])
        if opened_id in [value for _, value in rows.options]:
            rows.value = (opened_id,)
    return w.VBox(sections, layout=_FULL)


def _history_table(history: pd.DataFrame) -> pd.DataFrame:
    if history is None or history.empty:
        return history
    table = history.copy()
    table["created_at"] = pd.to_datetime(table["created_at"]).dt.strftime("%Y-%m-%d %H:%M")
    table["role"] = table["role"].map(lambda r: ROLE_LABELS.get(r, r))
    return table.rename(columns={"created_at": "时间", "user_name": "经办人", "role": "角色",
                                 "action": "操作", "from_state": "原状态",
                                 "to_state": "新状态", "note": "说明"})


def _audit_panel(state: ReviewState, show_message) -> w.Widget:
    table = w.HTML().add_class("fupin-audit")
    link = w.HTML()
    reload_button = w.Button(description="刷新审计日志", layout=w.Layout(width="auto"))
    export_button = w.Button(description="导出审计日志（Excel）",
                             layout=w.Layout(width="auto")).add_class("fupin-audit-export")

    def draw(_=None):
        frame = state.audit_log()
        table.value = _frame_html(audit_log_labels(frame).rename(columns={
            "at": "时间", "user_name": "用户", "role": "角色", "action": "操作",
            "object_type": "对象", "object_id": "编号", "detail": "说明"}), "暂无记录")
        show_message()

    def export(_):
        path = state.export_audit()
        link.value = _download_link(path, "下载") if path else ""
        show_message()

    reload_button.on_click(draw)
    export_button.on_click(export)
    draw()
    return w.VBox([w.HTML("<h3>审计日志（最近 200 条）</h3>"),
                   w.HBox([reload_button, export_button],
                          layout=w.Layout(flex_flow="row wrap")), link, table], layout=_FULL)


def show(*, url: str | None = None, data_root=None) -> None:
    """Sign in the page's user and display the review app; on any error show a
    short Chinese message (the details go to the server log)."""
    try:
        user = current_user(url=url)
        state = ReviewState(user=user, url=url, data_root=data_root)
        state.open_link(page_query())
        if state.denied:
            # Only the message: nothing of the household, nor the queue.
            display(w.HTML(f'<p class="fupin-msg-error fupin-denied" style="color:#b00020">'
                           f'{html.escape(state.message)}</p>'
                           '<p><a href="/voila/render/review.ipynb">打开复核工作台</a></p>'))
            return
        display(build(state))
    except FupinError as error:
        display(w.HTML(f'<p class="fupin-msg-error" style="color:#b00020">{html.escape(str(error))}'
                       '</p><p><a href="/fupin/login">重新登录</a></p>'))
    except Exception:
        logger.exception("review app failed to start")
        display(w.HTML('<p style="color:#b00020">复核工作台加载失败，系统已记录错误，请联系管理员。</p>'))
