"""The review app (复核工作台): state and pure functions, tested without widgets.

`ReviewState` holds what one user's page shows (filters, the queue, the open
case, the last message) and changes only through its methods, each of which
calls the case store with the signed-in user. Errors the user can act on
become a Chinese message in ``state.message``; nothing raises to the page.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sqlalchemy import select

from .._errors import AccessDeniedError, ConflictError, FupinError, ParameterError
from ..cases import (
    ACTIONS,
    CATEGORIES,
    ELIMINATION_METHODS,
    QUEUE_HEADERS,
    STATES,
    Case,
    Household,
    allowed_actions,
    assign_case,
    bulk_decide,
    decide,
    export_audit_log,
    export_queue,
    get_case,
    list_cadres,
    load_queue,
    get_engine,
    init_db,
    problem_types,
    read_audit_log,
    record_audit,
)
from ..cases.access import User, check_area
from ..schema import HOUSEHOLDS, MEMBERS

__all__ = [
    "ReviewState",
    "PAGE_SIZE",
    "queue_page",
    "queue_label",
    "queue_table",
    "action_choices",
    "case_summary",
    "members_table",
    "income_table",
    "format_money",
    "parse_date",
    "household_link",
    "latest_case_id",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
RISK_BANDS = ("高", "中", "低")
_SHOWN = ("case_id", "state", "risk_band", "risk_probability", "township", "village",
          "household_no", "head_name_masked", "monitoring_category", "rule_reasons",
          "assigned_to_name")


def queue_page(queue: pd.DataFrame, page: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """Return page `page` (0-based, clipped to the last page) of the queue."""
    if queue.empty:
        return queue
    last = max((len(queue) - 1) // size, 0)
    page = min(max(int(page), 0), last)
    return queue.iloc[page * size:(page + 1) * size]


def page_count(queue: pd.DataFrame, size: int = PAGE_SIZE) -> int:
    """Return the number of pages of the queue (at least 1)."""
    return max((len(queue) + size - 1) // size, 1)


def queue_label(row) -> str:
    """Return the one-line Chinese label of a queue row for a selection list."""
    probability = row.get("risk_probability")
    score = "—" if probability is None or pd.isna(probability) else f"{probability:.0%}"
    band = row.get("risk_band") or "—"
    mark = "" if row.get("flagged", True) else "（本次未标记）"
    return (f"#{row['case_id']} {row.get('village') or ''} {row.get('head_name_masked') or ''}"
            f" · {row['state']} · 风险{band} {score}{mark}")


def queue_table(queue: pd.DataFrame) -> pd.DataFrame:
    """Return the queue with the shown columns and Chinese headers."""
    shown = [c for c in _SHOWN if c in queue.columns]
    table = queue[shown].copy()
    if "risk_probability" in table:
        table["risk_probability"] = table["risk_probability"].map(
            lambda v: "" if pd.isna(v) else f"{v:.1%}")
    return table.rename(columns=QUEUE_HEADERS)


_MONEY_MEMBER_COLUMNS = ("monthly_wage",)


def format_money(value) -> str:
    """Return an amount in yuan with thousands separators, or "" when missing.

    Examples
    --------
    >>> format_money(12345.5), format_money(None), format_money(float("nan"))
    ('12,345.50', '', '')
    """
    if value is None or value is pd.NA:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "" if pd.isna(number) else f"{number:,.2f}"


def _cell_text(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def members_table(members: pd.DataFrame) -> pd.DataFrame:
    """Return the family members of a household page as text under Chinese
    headers: empty cells blank, wages as money."""
    if members is None:
        return pd.DataFrame()
    table = pd.DataFrame(index=members.index)
    for column in members.columns:
        cells = members[column].astype(object)
        shown = cells.map(format_money if column in _MONEY_MEMBER_COLUMNS else _cell_text)
        table[column] = shown
    return table.rename(columns=MEMBERS.zh_headers()).reset_index(drop=True)


def income_table(income: pd.DataFrame) -> pd.DataFrame:
    """Return the income items of a household page (columns 项目 and
    金额（元）) with Chinese item names and formatted amounts."""
    if income is None or income.empty:
        return pd.DataFrame(columns=["项目", "金额（元）"])
    headers = HOUSEHOLDS.zh_headers()
    return pd.DataFrame({
        "项目": [headers.get(str(item), str(item)) for item in income.iloc[:, 0]],
        "金额（元）": [format_money(v) for v in income.iloc[:, 1]],
    })


def action_choices(state: str, user: User) -> list[tuple[str, str]]:
    """Return the (Chinese label, action) pairs the user may take in `state`."""
    return [(ACTIONS[a], a) for a in allowed_actions(state, user.role)]


def case_summary(case: dict) -> list[tuple[str, str]]:
    """Return the (label, value) lines at the top of the household page."""
    def text(key):
        value = case.get(key)
        return "—" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)

    probability = case.get("risk_probability")
    lines = [
        ("案例号", text("case_id")),
        ("状态", text("state")),
        ("户编号", text("household_no")),
        ("户主", text("head_name_masked")),
        ("所在地", " ".join(x for x in (case.get("county"), case.get("township"),
                                          case.get("village")) if x)),
        ("人口", text("household_size")),
        ("监测类别", text("monitoring_category")),
        ("认定类别", text("official_category")),
        ("风险", f"{text('risk_band')}（{probability:.1%}）" if probability is not None
         and not pd.isna(probability) else text("risk_band")),
        ("建议类别", text("suggested_category")),
        ("疑点原因", text("rule_reasons")),
        ("风险原因", text("risk_reasons")),
        ("人均纯收入", format_money(case.get("net_income_per_capita")) or "—"),
        ("劳动力 / 已就业", f"{text('laborers')} / {text('employed')}"),
        ("帮扶干部", text("assigned_to_name")),
        ("公示期", f"{text('publicity_start')} 至 {text('publicity_end')}"
         if case.get("publicity_start") else "—"),
        ("版本", text("version")),
    ]
    if not case.get("flagged", True):
        lines.insert(2, ("提示", "本次运行未再标记该户，案例保留，需人工关闭"))
    return lines


def parse_date(value) -> dt.date | None:
    """Return a date from a date, datetime or ``YYYY-MM-DD`` text; None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


_HOUSEHOLD_NO = re.compile(r"^[0-9A-Za-z_-]{1,40}$")
_COUNTY_CODE = re.compile(r"^[0-9]{6}$")


def household_link(query_string: str | None) -> tuple[str, str] | None:
    """Read the household a page link points to (``household_no`` and
    ``county_code``, as the dashboard writes them).

    Parameters
    ----------
    query_string : str or None
        The page's query string, without the ``?``.

    Returns
    -------
    tuple of str or None
        ``(household_no, county_code)``, or None when the link names no
        household.

    Raises
    ------
    ParameterError
        Only one of the two is given, or a value is malformed.

    Examples
    --------
    >>> household_link("household_no=44122400200&county_code=441224")
    ('44122400200', '441224')
    >>> household_link("") is None
    True
    """
    values = dict(urllib.parse.parse_qsl(query_string or "", keep_blank_values=True))
    number = values.get("household_no", "").strip()
    county = values.get("county_code", "").strip()
    if not number and not county:
        return None
    if not _HOUSEHOLD_NO.match(number) or not _COUNTY_CODE.match(county):
        raise ParameterError(
            f"链接中的户编号（{number[:40] or '空'}）或县代码（{county[:40] or '空'}）无效，"
            "县代码应为 6 位数字。请从领导视窗或复核队列重新打开该户。")
    return number, county


def _audit_denied(user: User, household_no: str, county_code: str, error: AccessDeniedError,
            url: str | None) -> None:
    logger.warning("access denied: user %s, household %s/%s: %s", user.name, county_code,
                   household_no, error)
    record_audit(user, "denied", "household", f"{county_code}/{household_no}",
                 f"经链接查看户被拒：{error}", url=url)


def latest_case_id(user: User, household_no: str, county_code: str, *,
                   url: str | None = None) -> int | None:
    """Return the case of the household's latest period, or None when the
    household has no case.

    A household outside the user's area and a household that does not exist
    get the same message, so a crafted link learns nothing. The attempt is
    written to the audit log.

    Raises
    ------
    AccessDeniedError
        The household is not in the user's area (or does not exist).
    """
    init_db(url)
    with get_engine(url).connect() as connection:
        village = connection.execute(
            select(Household.village_code).where(Household.county_code == str(county_code),
                                                 Household.household_no == str(household_no))
        ).scalar()
        try:
            check_area(user, village)
        except AccessDeniedError as error:
            _audit_denied(user, household_no, county_code, error, url)
            raise
        case_id = connection.execute(
            select(Case.id).join(Household, Household.id == Case.household_id)
            .where(Household.county_code == str(county_code),
                   Household.household_no == str(household_no))
            .order_by(Case.period.desc(), Case.id.desc()).limit(1)
        ).scalar()
    return None if case_id is None else int(case_id)


@dataclass
class ReviewState:
    """What one user's review page shows, and the operations on it.

    Parameters
    ----------
    user : User
    url : str, optional
        Case store URL (default ``FUPIN_DB_URL``).
    data_root : path-like, optional
        Clean-data root for members and income.
    """

    user: User
    url: str | None = None
    data_root: str | os.PathLike | None = None
    area: str = ""
    states: tuple = ()
    categories: tuple = ()
    risk_bands: tuple = ()
    problem_type: str = ""
    open_only: bool = True
    page: int = 0
    queue: pd.DataFrame = field(default_factory=pd.DataFrame)
    case: dict | None = None
    message: str = ""
    ok: bool = True
    denied: bool = False

    # ----- messages -----------------------------------------------------------
    def _fail(self, error: Exception) -> None:
        self.ok = False
        if isinstance(error, FupinError):
            self.message = str(error)
        else:
            logger.exception("review app error for user %s", self.user.name)
            self.message = "操作失败，系统已记录错误。请稍后重试或联系管理员。"

    def _done(self, message: str) -> None:
        self.ok = True
        self.message = message

    # ----- queue --------------------------------------------------------------
    def refresh(self) -> pd.DataFrame:
        """Reload the queue with the current filters."""
        try:
            self.queue = load_queue(
                self.user, area=self.area or None, states=self.states,
                categories=self.categories, risk_bands=self.risk_bands,
                problem_type=self.problem_type or None, open_only=self.open_only, url=self.url,
            )
            self.page = min(self.page, page_count(self.queue) - 1)
            self._done("")
        except Exception as error:  # every error becomes a message on the page
            self._fail(error)
        return self.queue

    def set_filters(self, **filters) -> pd.DataFrame:
        """Change some filters (area, states, categories, risk_bands,
        problem_type, open_only), go to the first page and reload."""
        for key, value in filters.items():
            if key not in ("area", "states", "categories", "risk_bands", "problem_type",
                           "open_only"):
                raise TypeError(f"unknown filter {key!r}")
            setattr(self, key, tuple(value) if isinstance(value, (list, tuple, set)) else value)
        self.page = 0
        return self.refresh()

    def current_page(self) -> pd.DataFrame:
        """Return the rows of the current page."""
        return queue_page(self.queue, self.page)

    def filter_options(self) -> dict[str, list]:
        """Return the choices of each filter for this user."""
        try:
            problems = problem_types(self.user, url=self.url)
        except Exception:  # a broken ledger must not hide the queue
            logger.exception("problem types unavailable")
            problems = []
        return {"states": list(STATES), "categories": list(CATEGORIES),
                "risk_bands": list(RISK_BANDS), "problem_types": problems}

    # ----- one case -----------------------------------------------------------
    def open_case(self, case_id: int) -> dict | None:
        """Load the household page of a case (audited as a view)."""
        try:
            self.case = get_case(int(case_id), self.user, data_root=self.data_root, url=self.url)
            self._done("")
        except Exception as error:
            self.case = None
            self._fail(error)
        return self.case

    def open_household(self, household_no: str, county_code: str) -> dict | None:
        """Open the case of the household's latest period (a link from the
        dashboard). A household the user may not see sets `denied` and the
        short access message, loads nothing and is written to the audit log."""
        self.case = None
        try:
            case_id = latest_case_id(self.user, household_no, county_code, url=self.url)
            if case_id is None:
                self._fail(FupinError(f"户 {household_no} 目前没有复核案例（历次运行均未标记该户）。"))
                return None
            try:
                self.case = get_case(case_id, self.user, data_root=self.data_root, url=self.url)
            except AccessDeniedError as error:  # e.g. a cadre's unassigned case
                _audit_denied(self.user, household_no, county_code, error, self.url)
                raise
        except AccessDeniedError as error:
            self.denied = True
            self._fail(error)
            return None
        except Exception as error:
            self._fail(error)
            return None
        self._done("")
        return self.case

    def open_link(self, query_string: str | None) -> dict | None:
        """Open the household a page's query string names, if any (see
        `household_link`). A malformed link is denied like a foreign one."""
        try:
            link = household_link(query_string)
        except ParameterError as error:
            self.denied = True
            self._fail(error)
            return None
        return None if link is None else self.open_household(*link)

    def actions(self) -> list[tuple[str, str]]:
        """Return the actions the user may take on the open case."""
        if not self.case:
            return []
        return action_choices(self.case["case"]["state"], self.user)

    def decide(self, action: str, note: str = "", **details) -> bool:
        """Record a step on the open case; on a conflict show the current
        state and keep the user's input for a retry. Returns success."""
        if not self.case:
            self._fail(FupinError("请先打开一个案例。"))
            return False
        case = self.case["case"]
        try:
            for key in ("publicity_start", "publicity_end"):
                if key in details:
                    details[key] = parse_date(details[key])
            decide(case["case_id"], action, self.user, version=case["version"], note=note,
                   url=self.url, **details)
        except ConflictError as error:
            self._fail(error)
            self._reload_case()
            return False
        except ValueError as error:
            if isinstance(error, FupinError):
                self._fail(error)
            else:
                self._fail(FupinError(f"日期格式应为 年-月-日（如 2024-05-01）：{error}"))
            return False
        except Exception as error:
            self._fail(error)
            return False
        self._reload_case()
        self.refresh()
        self._done(f"已记录：{ACTIONS[action]}。")
        return True

    def _reload_case(self) -> None:
        message, ok = self.message, self.ok
        self.open_case(self.case["case"]["case_id"])
        if not ok:
            self.message, self.ok = message, ok

    def cadres(self) -> list[str]:
        """Return the cadres the open case may be assigned to."""
        try:
            return list_cadres(self.user, url=self.url)
        except Exception as error:
            self._fail(error)
            return []

    def assign(self, cadre_name: str, note: str = "") -> bool:
        """Assign the open case to a cadre. Returns success."""
        if not self.case:
            self._fail(FupinError("请先打开一个案例。"))
            return False
        case = self.case["case"]
        try:
            assign_case(case["case_id"], cadre_name, self.user, version=case["version"],
                        note=note, url=self.url)
        except ConflictError as error:
            self._fail(error)
            self._reload_case()
            return False
        except Exception as error:
            self._fail(error)
            return False
        self._reload_case()
        self.refresh()
        self._done(f"已分配给 {cadre_name}。")
        return True

    def bulk(self, case_ids, action: str, note: str = "") -> pd.DataFrame:
        """Apply one action to the selected cases at the versions in the queue."""
        versions = self.queue.set_index("case_id")["version"] if not self.queue.empty else {}
        chosen = {int(c): int(versions[c]) for c in case_ids if c in versions}
        if not chosen:
            self._fail(FupinError("请先在队列中选择案例。"))
            return pd.DataFrame(columns=["case_id", "ok", "state", "message"])
        try:
            result = bulk_decide(chosen, action, self.user, note=note, url=self.url)
        except Exception as error:
            self._fail(error)
            return pd.DataFrame(columns=["case_id", "ok", "state", "message"])
        self.refresh()
        done = int(result["ok"].sum())
        failed = result[~result["ok"]]
        text = f"批量{ACTIONS.get(action, action)}：成功 {done} 个"
        if not failed.empty:
            text += f"，失败 {len(failed)} 个（如 #{failed['case_id'].iloc[0]}：{failed['message'].iloc[0]}）"
        self.ok = failed.empty
        self.message = text + "。"
        return result

    # ----- exports and audit --------------------------------------------------
    def export(self, folder: str | os.PathLike | None = None) -> Path | None:
        """Write the current queue to Excel (masked) and return the file."""
        folder = Path(folder or tempfile.mkdtemp(prefix="fupin-export-"))
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            path = export_queue(self.queue, folder / f"复核队列-{stamp}.xlsx", self.user,
                                url=self.url)
        except Exception as error:
            self._fail(error)
            return None
        self._done(f"已导出 {len(self.queue)} 行。")
        return path

    def audit_log(self, limit: int = 200) -> pd.DataFrame:
        """Return the newest audit entries (admins)."""
        try:
            return read_audit_log(self.user, limit=limit, url=self.url)
        except Exception as error:
            self._fail(error)
            return pd.DataFrame()

    def export_audit(self, folder: str | os.PathLike | None = None) -> Path | None:
        """Write the whole audit log to Excel (admins) and return the file."""
        folder = Path(folder or tempfile.mkdtemp(prefix="fupin-audit-"))
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            return export_audit_log(folder / f"审计日志-{stamp}.xlsx", self.user, url=self.url)
        except Exception as error:
            self._fail(error)
            return None


ELIMINATION_CHOICES = ELIMINATION_METHODS
