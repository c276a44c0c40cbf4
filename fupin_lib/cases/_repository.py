"""Repository functions of the review work: queue, case page, decisions,
assignments, audit.

Every function takes the signed-in `User` and applies `scope_query` or
`check_area`, so an app cannot read or change a case outside the user's area
even when its widgets are bypassed. Every change and every view of personal
data writes an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path

import pandas as pd
from sqlalchemy import MetaData, Table, and_, exists, func, inspect, or_, select, text, update

from .._errors import AccessDeniedError, ConflictError, ParameterError
from ._base import get_engine
from ._migrate import init_db
from ._models import Assignment, AuditEntry, Case, Decision, Household, UserAccount, utcnow
from ._retry import retry_busy
from ._workflow import ACTIONS, CLOSED_STATES, check_publicity, next_state
from .access import User, check_area, require_role, scope_query, unmasked_fields

__all__ = [
    "QUEUE_COLUMNS",
    "QUEUE_HEADERS",
    "load_queue",
    "get_case",
    "case_history",
    "decide",
    "bulk_decide",
    "assign_case",
    "list_cadres",
    "record_audit",
    "read_audit_log",
    "export_queue",
    "export_audit_log",
    "problem_types",
    "audit_log_labels",
    "AUDIT_ACTION_LABELS",
    "AUDIT_OBJECT_LABELS",
    "CATEGORIES",
    "ELIMINATION_METHODS",
]

logger = logging.getLogger(__name__)

CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
ELIMINATION_METHODS = ("帮扶消除", "自然消除")

QUEUE_HEADERS = {
    "case_id": "案例号", "state": "状态", "risk_band": "风险等级", "risk_probability": "风险概率",
    "risk_rank": "风险排名", "flagged": "本次仍被标记", "rule_reasons": "疑点原因",
    "risk_reasons": "风险原因", "suggested_category": "建议类别", "official_category": "认定类别",
    "county": "县", "township": "乡镇", "village": "村", "village_code": "村代码",
    "household_no": "户编号", "head_name_masked": "户主", "household_size": "人口",
    "monitoring_category": "监测类别", "net_income_per_capita": "人均纯收入",
    "problems_open": "未整改问题", "assigned_to_name": "帮扶干部", "period": "年度",
    "version": "版本",
}
QUEUE_COLUMNS = tuple(QUEUE_HEADERS)


def _aware(value):
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


_PROBLEM_TABLES: dict[str, Table] = {}


def _problem_table(engine):
    """Return the problem ledger's table, reflected from the database (so
    that reading it does not import the checks package), or None."""
    key = str(engine.url)
    if key not in _PROBLEM_TABLES:
        if not inspect(engine).has_table("problem_items"):
            return None
        _PROBLEM_TABLES[key] = Table("problem_items", MetaData(), autoload_with=engine)
    return _PROBLEM_TABLES[key]


def _queue_select(user: User):
    cadre = UserAccount.__table__.alias("cadre")
    statement = (
        select(
            Case.id.label("case_id"), Case.state, Case.risk_band, Case.risk_probability,
            Case.risk_rank, Case.flagged, Case.rule_reasons, Case.risk_reasons,
            Case.suggested_category, Case.official_category, Household.county,
            Household.township, Household.village, Household.village_code,
            Household.household_no, Household.head_name_masked, Household.household_size,
            Household.monitoring_category, Household.net_income_per_capita,
            Household.problems_open, cadre.c.name.label("assigned_to_name"), Case.period,
            Case.version, Household.county_code, Household.township_code,
        )
        .join(Household, Household.id == Case.household_id)
        .outerjoin(cadre, cadre.c.id == Case.assigned_to)
    )
    return scope_query(statement, user)


def load_queue(user: User, *, area: str | None = None, states=(), categories=(),
               risk_bands=(), problem_type: str | None = None, open_only: bool = False,
               limit: int | None = None, url: str | None = None) -> pd.DataFrame:
    """Return the review queue the user may see, highest risk first.

    Parameters
    ----------
    user : User
    area : str, optional
        A township or village code inside the user's area to narrow to.
    states, categories, risk_bands : sequence of str
        Keep these states, categories (official, else the monitoring
        category) and bands (高/中/低); empty keeps all.
    problem_type : str, optional
        Keep households with an open problem of this type in the ledger.
    open_only : bool
        Drop closed cases (风险消除, 不予纳入).
    limit : int, optional
    url : str, optional

    Returns
    -------
    DataFrame with `QUEUE_COLUMNS` (and ``county_code``, ``township_code``).
    """
    init_db(url)
    engine = get_engine(url)
    statement = _queue_select(user)
    if area:
        area = str(area).strip()
        if not (area.startswith(user.area_code) or user.area_code.startswith(area)):
            raise AccessDeniedError(f"区域 {area} 不在您的管辖区域 {user.area_code} 内。")
        statement = statement.where(Household.village_code.startswith(area, autoescape=True))
    if states:
        statement = statement.where(Case.state.in_(list(states)))
    if open_only:
        statement = statement.where(Case.state.not_in(CLOSED_STATES))
    if categories:
        statement = statement.where(
            func.coalesce(Case.official_category, Household.monitoring_category).in_(list(categories))
        )
    if risk_bands:
        statement = statement.where(Case.risk_band.in_(list(risk_bands)))
    if problem_type:
        problems = _problem_table(engine)
        if problems is None:
            return pd.DataFrame(columns=[*QUEUE_COLUMNS, "county_code", "township_code"])
        type_column = _problem_type_column(problems)
        statement = statement.where(exists().where(and_(
            problems.c.county_code == Household.county_code,
            problems.c.household_no == Household.household_no,
            type_column == problem_type,
            _problem_open_condition(problems),
        )))
    statement = statement.order_by(
        Case.risk_probability.desc().nulls_last(), Case.risk_rank.asc().nulls_last(), Case.id
    )
    if limit:
        statement = statement.limit(int(limit))
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(statement).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[*QUEUE_COLUMNS, "county_code", "township_code"])
    return frame


def _problem_type_column(problems):
    for name in ("title", "check_name", "problem_type", "check_code"):
        if name in problems.c:
            return problems.c[name]
    raise ParameterError("问题台账缺少问题类型列。")


def _problem_open_condition(problems):
    if "status" in problems.c:
        return problems.c.status != "已销号"
    return text("1 = 1")


def problem_types(user: User, *, url: str | None = None) -> list[str]:
    """Return the types of the open problems in the user's area, sorted.

    An item is in the area when its village code is, or when it belongs to a
    household of the area: items of members often have no village code. Only
    open items count, as in the queue's problem filter, so that every type
    offered finds households.
    """
    init_db(url)
    engine = get_engine(url)
    problems = _problem_table(engine)
    if problems is None:
        return []
    column = _problem_type_column(problems)
    of_household = exists().where(and_(
        Household.county_code == problems.c.county_code,
        Household.household_no == problems.c.household_no,
        Household.village_code.startswith(user.area_code),
    ))
    in_area = of_household
    if "village_code" in problems.c:
        in_area = or_(problems.c.village_code.startswith(user.area_code), of_household)
    statement = select(column).distinct().where(in_area, _problem_open_condition(problems))
    with engine.connect() as connection:
        return sorted(str(v) for v in connection.execute(statement).scalars() if v is not None)


def _load_case(connection, case_id: int, user: User) -> dict:
    case = connection.execute(
        select(Case.__table__).where(Case.id == int(case_id))).mappings().first()
    if case is None:
        raise ParameterError(f"案例 {case_id} 不存在。")
    household = connection.execute(
        select(Household.__table__).where(Household.id == case["household_id"])).mappings().one()
    check_area(user, household["village_code"])
    if user.role == "cadre" and case["assigned_to"] != user.id:
        raise AccessDeniedError("该案例未分配给您，帮扶干部只能查看分配给自己的案例。")
    values = {key: value for key, value in household.items() if key not in ("id", "year")}
    values.update(case)
    values["case_id"] = case["id"]
    values["assigned_to_name"] = None
    if case["assigned_to"] is not None:
        values["assigned_to_name"] = connection.execute(
            select(UserAccount.name).where(UserAccount.id == case["assigned_to"])).scalar()
    return values


def _audit(connection, user: User, action: str, object_type: str, object_id=None, detail=None):
    connection.execute(AuditEntry.__table__.insert().values(
        at=utcnow(), user_name=user.name, role=user.role, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        detail=detail,
    ))


@retry_busy
def record_audit(user: User, action: str, object_type: str, object_id=None, detail=None, *,
                 url: str | None = None) -> None:
    """Write one audit entry (``view``, ``export``, ``change``, ``login``)."""
    engine = get_engine(url)
    with engine.connect() as connection:
        with connection.execution_options(fupin_write=True).begin():
            _audit(connection, user, action, object_type, object_id, detail)


def get_case(case_id: int, user: User, *, data_root=None, url: str | None = None) -> dict:
    """Return a case with its household, members, income, problems and history,
    masked for the user's role, and write a ``view`` audit entry.

    Parameters
    ----------
    case_id : int
    user : User
    data_root : path-like, optional
        Clean-data root for members and income (default ``FUPIN_CLEAN_ROOT``
        or ``data/clean``).
    url : str, optional

    Returns
    -------
    dict
        ``case`` (dict of case and household fields), ``members``,
        ``income``, ``problems``, ``history`` (DataFrames), ``contact``
        (dict with phone and address, masked unless the role allows).
    """
    init_db(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        case = _load_case(connection, case_id, user)
    keep = unmasked_fields(user, assigned=case.get("assigned_to") == user.id)
    members, contact, income = _clean_data(case, data_root, keep)
    result = {
        "case": case,
        "members": members,
        "income": income,
        "contact": contact,
        "problems": _problems(engine, case),
        "history": case_history(case_id, user, url=url, _checked=True),
    }
    record_audit(user, "view", "case", case_id,
                 f"查看户 {case['county_code']}/{case['household_no']}（明文字段：{','.join(keep) or '无'}）",
                 url=url)
    return result


_MEMBER_COLUMNS = ("person_no", "name", "sex", "birth_date", "id_number", "relation_to_head",
                   "health", "disability_type", "labor_skill", "work_status", "work_months",
                   "monthly_wage", "school_status")
_INCOME_COLUMNS = ("wage_income", "public_job_income", "business_income", "property_income",
                   "dividend_income", "transfer_income", "pension_income", "dibao_income",
                   "tekun_income", "eco_compensation_income", "business_expense", "net_income",
                   "net_income_per_capita", "medical_expense", "education_expense")


def _read_clean(data_root, county_code, year, table) -> pd.DataFrame:
    path = Path(data_root) / str(county_code) / str(int(year)) / f"{table}.parquet"
    stamp = path.stat().st_mtime_ns if path.exists() else None
    return _read_clean_cached(str(data_root), str(county_code), int(year), table, stamp)


@functools.lru_cache(maxsize=8)
def _read_clean_cached(data_root, county_code, year, table, stamp) -> pd.DataFrame:
    # Cached per file version: a user opens many households of one county in a row.
    try:
        from ..io import read_table
    except ImportError:  # the io package is optional for the case store
        read_table = None
    if read_table is not None:
        return read_table(data_root, county_code, year, table)
    path = Path(data_root) / county_code / str(year) / f"{table}.parquet"
    return pd.read_parquet(path) if stamp is not None else pd.DataFrame()


def _clean_data(case: dict, data_root, keep) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    import os

    from ..reports import mask_frame

    data_root = Path(data_root or os.environ.get("FUPIN_CLEAN_ROOT") or "data/clean")
    county, year, number = case["county_code"], case["period"], case["household_no"]
    try:
        households = _read_clean(data_root, county, year, "households")
        members = _read_clean(data_root, county, year, "members")
    except (OSError, ValueError) as error:
        logger.warning("clean data of %s/%s unreadable: %s", county, year, error)
        households, members = pd.DataFrame(), pd.DataFrame()
    contact = {"phone": None, "address": None}
    income = pd.DataFrame(columns=["项目", "金额（元）"])
    if not households.empty and "household_no" in households.columns:
        row = households[households["household_no"].astype(str) == str(number)]
        if not row.empty:
            shown = mask_frame(row[[c for c in ("phone", "address") if c in row.columns]],
                               keep=tuple(keep))
            contact = {c: (None if pd.isna(shown[c].iloc[0]) else str(shown[c].iloc[0]))
                       for c in shown.columns}
            present = [c for c in _INCOME_COLUMNS if c in row.columns]
            income = pd.DataFrame({"项目": present,
                                   "金额（元）": [row[c].iloc[0] for c in present]})
    if not members.empty and "household_no" in members.columns:
        members = members[members["household_no"].astype(str) == str(number)]
        members = members[[c for c in _MEMBER_COLUMNS if c in members.columns]]
        members = mask_frame(members, keep=tuple(k for k in keep if k == "name"))
    else:
        members = pd.DataFrame(columns=list(_MEMBER_COLUMNS))
    return members.reset_index(drop=True), contact, income


def _problems(engine, case: dict) -> pd.DataFrame:
    from ..reports import mask_frame

    problems = _problem_table(engine)
    if problems is None:
        return pd.DataFrame()
    statement = select(problems).where(
        problems.c.county_code == case["county_code"],
        problems.c.household_no == case["household_no"],
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(statement).mappings().all())
    return mask_frame(frame) if not frame.empty else frame


def case_history(case_id: int, user: User, *, url: str | None = None,
                 _checked: bool = False) -> pd.DataFrame:
    """Return the decisions and assignments of a case, oldest first:
    created_at, user_name, role, action (Chinese), from_state, to_state, note."""
    engine = get_engine(url)
    with engine.connect() as connection:
        if not _checked:
            _load_case(connection, case_id, user)
        decisions = connection.execute(
            select(Decision.created_at, Decision.user_name, Decision.role, Decision.action,
                   Decision.from_state, Decision.to_state, Decision.note)
            .where(Decision.case_id == int(case_id)).order_by(Decision.id)
        ).mappings().all()
    frame = pd.DataFrame(decisions, columns=["created_at", "user_name", "role", "action",
                                             "from_state", "to_state", "note"])
    labels = {**ACTIONS, "assign": "分配"}
    frame["action"] = frame["action"].map(lambda a: labels.get(a, a))
    return frame


def _conflict(connection, case_id: int, user: User) -> ConflictError:
    current = _load_case(connection, case_id, user)
    error = ConflictError(
        f"案例 {case_id} 已被他人修改（当前状态“{current['state']}”，版本 {current['version']}）。"
        "您的操作未保存，请查看最新内容后重新操作。"
    )
    error.current = current
    return error


def _validate_fields(action, *, category, publicity_start, publicity_end, elimination_method):
    if action == "publicize":
        check_publicity(publicity_start, publicity_end)
    if action == "county_approve" and category not in CATEGORIES:
        raise ParameterError(f"县级审定须选择监测对象类别：{'、'.join(CATEGORIES)}。")
    if action == "eliminate" and elimination_method not in ELIMINATION_METHODS:
        raise ParameterError(f"风险消除须选择消除方式：{'、'.join(ELIMINATION_METHODS)}。")


@retry_busy
def decide(case_id: int, action: str, user: User, *, version: int, note: str = "",
           category: str | None = None, risks: str | None = None,
           publicity_start: dt.date | None = None, publicity_end: dt.date | None = None,
           elimination_method: str | None = None, url: str | None = None) -> dict:
    """Record a signed step of the procedure and return the changed case.

    Parameters
    ----------
    case_id : int
    action : str
        A key of `ACTIONS` (``visit``, ``deliberate``, ``publicize``,
        ``township_review``, ``county_approve``, ``start_support``,
        ``eliminate``, ``reject``, ``recheck``, ``note``).
    user : User
        Must own the step (`next_state`) and the case's area; a cadre must
        be assigned the case; county approval needs a county or city user.
    version : int
        The version the user saw; a newer version raises `ConflictError`.
    note, category, risks, publicity_start, publicity_end, elimination_method
        Step details; publicity needs both dates and at least 5 days,
        approval a category, elimination a method.

    Raises
    ------
    ConflictError
        Someone changed the case since `version`; ``error.current`` contains
        the case as it is now.
    AccessDeniedError, ParameterError
    """
    _validate_fields(action, category=category, publicity_start=publicity_start,
                     publicity_end=publicity_end, elimination_method=elimination_method)
    engine = get_engine(url)
    with engine.connect() as connection:
        with connection.execution_options(fupin_write=True).begin():
            case = _load_case(connection, case_id, user)
            if int(case["version"]) != int(version):
                raise _conflict(connection, case_id, user)
            new_state = next_state(case["state"], action, user.role)
            if action == "county_approve" and len(user.area_code) > 6:
                raise AccessDeniedError("县级审定须由县级或市级审核员执行。")
            changes = {"state": new_state, "updated_at": utcnow(), "version": Case.version + 1}
            if action == "publicize":
                changes.update(publicity_start=publicity_start, publicity_end=publicity_end)
            if category:
                changes["official_category"] = category
            if risks:
                changes["risks"] = risks
            if action == "eliminate":
                changes["elimination_method"] = elimination_method
            result = connection.execute(
                update(Case).where(Case.id == int(case_id), Case.version == int(version))
                .values(**changes)
            )
            if result.rowcount != 1:
                raise _conflict(connection, case_id, user)
            connection.execute(Decision.__table__.insert().values(
                case_id=int(case_id), user_name=user.name, role=user.role, action=action,
                from_state=case["state"], to_state=new_state, note=note or None,
                created_at=utcnow(),
            ))
            _audit(connection, user, "change", "case", case_id,
                   f"{ACTIONS[action]}：{case['state']} → {new_state}")
    logger.info("case %s: %s by %s (%s -> %s)", case_id, action, user.name, case["state"], new_state)
    return {"case_id": int(case_id), "state": new_state, "version": int(version) + 1}


def bulk_decide(cases: dict[int, int], action: str, user: User, *, note: str = "",
                url: str | None = None) -> pd.DataFrame:
    """Apply one action to many cases, each at the version the user saw.

    Returns one row per case: case_id, ok (bool), state, message (Chinese,
    empty on success). One case failing does not stop the others.
    """
    rows = []
    for case_id, version in cases.items():
        try:
            result = decide(case_id, action, user, version=version, note=note, url=url)
            rows.append({"case_id": case_id, "ok": True, "state": result["state"], "message": ""})
        except (ConflictError, AccessDeniedError, ParameterError) as error:
            rows.append({"case_id": case_id, "ok": False, "state": None, "message": str(error)})
    return pd.DataFrame(rows, columns=["case_id", "ok", "state", "message"])


def list_cadres(user: User, *, url: str | None = None) -> list[str]:
    """Return the enabled cadres whose area overlaps the user's area."""
    init_db(url)
    with get_engine(url).connect() as connection:
        rows = connection.execute(
            select(UserAccount.name, UserAccount.area_code)
            .where(UserAccount.role == "cadre", UserAccount.disabled.is_(False))
            .order_by(UserAccount.name)
        ).all()
    return [name for name, area in rows
            if area.startswith(user.area_code) or user.area_code.startswith(area)]


@retry_busy
def assign_case(case_id: int, cadre_name: str, user: User, *, version: int, note: str = "",
                url: str | None = None) -> dict:
    """Assign a case to a cadre whose area contains the household (reviewers only).

    Raises `ConflictError` when the case changed since `version`.
    """
    require_role(user, "reviewer")
    engine = get_engine(url)
    with engine.connect() as connection:
        with connection.execution_options(fupin_write=True).begin():
            case = _load_case(connection, case_id, user)
            cadre = connection.execute(
                select(UserAccount.__table__).where(UserAccount.name == cadre_name)).first()
            if cadre is None or cadre.role != "cadre" or cadre.disabled:
                raise ParameterError(f"帮扶干部 {cadre_name!r} 不存在或已停用。")
            if not case["village_code"].startswith(cadre.area_code):
                raise ParameterError(
                    f"帮扶干部 {cadre_name} 的区域 {cadre.area_code} 不包含该户所在村 {case['village_code']}。"
                )
            result = connection.execute(
                update(Case).where(Case.id == int(case_id), Case.version == int(version))
                .values(assigned_to=cadre.id, updated_at=utcnow(), version=Case.version + 1)
            )
            if result.rowcount != 1:
                raise _conflict(connection, case_id, user)
            connection.execute(Assignment.__table__.insert().values(
                case_id=int(case_id), cadre_id=cadre.id, assigned_by=user.name,
                assigned_at=utcnow(), note=note or None))
            connection.execute(Decision.__table__.insert().values(
                case_id=int(case_id), user_name=user.name, role=user.role, action="assign",
                from_state=case["state"], to_state=case["state"],
                note=f"分配给 {cadre_name}" + (f"：{note}" if note else ""), created_at=utcnow()))
            _audit(connection, user, "change", "case", case_id, f"分配给帮扶干部 {cadre_name}")
    return {"case_id": int(case_id), "assigned_to": cadre_name, "version": int(version) + 1}


def read_audit_log(user: User, *, since: dt.datetime | None = None, limit: int = 5000,
                   url: str | None = None) -> pd.DataFrame:
    """Return the newest audit entries (admins only): at, user_name, role,
    action, object_type, object_id, detail."""
    require_role(user, "admin")
    init_db(url)
    statement = select(AuditEntry.at, AuditEntry.user_name, AuditEntry.role, AuditEntry.action,
                       AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    statement = statement.order_by(AuditEntry.id.desc()).limit(int(limit))
    with get_engine(url).connect() as connection:
        rows = connection.execute(statement).mappings().all()
    return pd.DataFrame(rows, columns=["at", "user_name", "role", "action", "object_type",
                                       "object_id", "detail"])


def export_queue(frame: pd.DataFrame, path, user: User, *, url: str | None = None) -> Path:
    """Write the queue as shown to an Excel file (values only, masked,
    formula-safe) and audit the export."""
    from ..reports import mask_frame, write_excel

    columns = [c for c in QUEUE_COLUMNS if c in frame.columns and c != "version"]
    table = mask_frame(frame[columns])
    path = write_excel({"复核队列": table}, path, headers=QUEUE_HEADERS)
    record_audit(user, "export", "queue", None, f"导出复核队列 {len(table)} 行", url=url)
    return path


AUDIT_ACTION_LABELS = {"login": "登录", "view": "查看", "change": "修改", "export": "导出",
                       "denied": "拒绝访问"}
AUDIT_OBJECT_LABELS = {"case": "案例", "household": "农户", "user": "用户", "queue": "复核队列",
                       "audit_log": "审计日志"}


def audit_log_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of an audit log with Chinese actions, objects and roles.

    The store keeps the English codes; screens and exports show the labels.
    An unknown code is shown as stored.

    Examples
    --------
    >>> log = pd.DataFrame({"role": ["admin"], "action": ["login"], "object_type": ["user"]})
    >>> audit_log_labels(log).iloc[0].tolist()
    ['管理员', '登录', '用户']
    """
    from ._workflow import ROLE_LABELS

    table = frame.copy()
    for column, labels in (("role", ROLE_LABELS), ("action", AUDIT_ACTION_LABELS),
                           ("object_type", AUDIT_OBJECT_LABELS)):
        if column in table:
            table[column] = table[column].map(lambda code, labels=labels: labels.get(code, code))
    return table


_AUDIT_HEADERS = {"at": "时间", "user_name": "用户", "role": "角色", "action": "操作",
                  "object_type": "对象", "object_id": "对象编号", "detail": "说明"}


def export_audit_log(path, user: User, *, url: str | None = None) -> Path:
    """Write the audit log to Excel (admins only) and audit the export."""
    from ..reports import write_excel

    frame = read_audit_log(user, limit=1_000_000, url=url)
    frame["at"] = frame["at"].map(lambda v: _aware(v).isoformat() if v is not None else None)
    path = write_excel({"审计日志": audit_log_labels(frame)}, path, headers=_AUDIT_HEADERS)
    record_audit(user, "export", "audit_log", None, f"导出审计日志 {len(frame)} 行", url=url)
    return path
