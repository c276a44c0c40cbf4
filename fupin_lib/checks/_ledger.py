"""The problem ledger (整改台账): every hit becomes a problem item tracked to
closure (一项一项整改清零，一户一户对账销号).

An item moves 待整改 → 整改中 → 待验收 → 已销号. `update_ledger` adds the hits
of a run. A hit that matches an open item updates it instead of adding a
duplicate, and a new hit opens an item. An open check item that no longer
hits moves to 待验收 for a person to confirm. Items are never deleted. Problems that cadres
recorded in their verification records enter the same ledger with the source
``verification``.

The table is defined on `fupin_lib.cases.Base`, so the case store's
migrations create it with the other tables; `ensure_ledger_tables` creates it
directly until they do.
"""

from __future__ import annotations

import contextlib

import dataclasses
import datetime as dt
import logging

import pandas as pd
from sqlalchemy import Date, DateTime, Index, Integer, String, Text, bindparam, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from .._errors import ConflictError, ParameterError
from ..cases import Base, get_engine
from ..schema import VERIFICATIONS
from ._context import canonical_frame
from ._engine import HIT_COLUMNS
from ._settings import resolve_checks

__all__ = [
    "ProblemItem",
    "LedgerSummary",
    "STATUSES",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "VERIFICATION_CODE",
    "ensure_ledger_tables",
    "update_ledger",
    "set_status",
    "household_closed",
    "read_ledger",
    "verification_problems",
]

logger = logging.getLogger(__name__)

STATUSES = ("待整改", "整改中", "待验收", "已销号")
OPEN_STATUSES = ("待整改", "整改中", "待验收")
# Allowed manual moves. 待验收 can go back to 整改中 when the acceptance fails.
TRANSITIONS = {
    "待整改": ("整改中", "待验收"),
    "整改中": ("待验收", "待整改"),
    "待验收": ("已销号", "整改中"),
    "已销号": (),
}
VERIFICATION_CODE = "0_00_001"
_RESOLVED_NOTE = "最新数据中未再发现该问题，待验收。"
_REOPENED_NOTE = "最新数据中仍发现该问题，重新打开。"


class ProblemItem(Base):
    """One problem of one household (or member or village) in the ledger."""

    __tablename__ = "problem_items"
    __table_args__ = (
        Index("ix_problem_items_county_status", "county_code", "status"),
        Index("ix_problem_items_household", "county_code", "household_no"),
        Index("ix_problem_items_key", "item_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_key: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    county_code: Mapped[str] = mapped_column(String(12))
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    township: Mapped[str | None] = mapped_column(String(60))
    village_code: Mapped[str | None] = mapped_column(String(20))
    village: Mapped[str | None] = mapped_column(String(60))
    household_no: Mapped[str | None] = mapped_column(String(40))
    person_no: Mapped[str | None] = mapped_column(String(40))
    id_number: Mapped[str | None] = mapped_column(String(24))
    check_code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    # ORM sessions (the review app) get optimistic locking from SQLAlchemy;
    # the bulk statements here compare the version themselves.
    __mapper_args__ = {"version_id_col": version}


LEDGER_COLUMNS = [c.name for c in ProblemItem.__table__.columns]


@dataclasses.dataclass(frozen=True)
class LedgerSummary:
    """Counts of the changes made by one `update_ledger` call.

    Attributes
    ----------
    county_code : str
    year : int
    new : int
        Items opened for hits that had no open item.
    still_open : int
        Open items hit again (updated, not duplicated).
    reopened : int
        Items waiting for acceptance (待验收) that hit again and went back to 待整改.
    awaiting_acceptance : int
        Open check items that no longer hit and moved to 待验收.
    open_total : int
        Items of the county not yet closed (已销号) after the update.
    """

    county_code: str
    year: int
    new: int
    still_open: int
    reopened: int
    awaiting_acceptance: int
    open_total: int


def ensure_ledger_tables(engine: Engine) -> None:
    """Create or upgrade the case store's tables, the ledger's included, with
    the case store's migrations (an in-memory SQLite database, which another
    engine could not reach, gets the ledger's table directly)."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        Base.metadata.create_all(engine, tables=[ProblemItem.__table__])
        return
    from ..cases import init_db

    init_db(engine.url.render_as_string(hide_password=False))


@contextlib.contextmanager
def _write_transaction(engine):
    # On SQLite a write transaction must take the write lock at BEGIN
    # (BEGIN IMMEDIATE, see fupin_lib.cases._base) so that concurrent county
    # runs wait for the busy timeout instead of failing with "database is locked".
    with engine.connect() as connection:
        with connection.execution_options(fupin_write=True).begin():
            yield connection


def _engine(url: str | None) -> Engine:
    engine = get_engine(url)
    ensure_ledger_tables(engine)
    return engine


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _item_keys(hits: pd.DataFrame) -> pd.Series:
    """Identity of a problem: county, check, household, member and detail."""
    def part(column):
        if column not in hits:
            return pd.Series("", index=hits.index, dtype="string")
        return hits[column].astype("string").fillna("")

    member = part("id_number").str.upper()
    member = member.where(member != "", part("person_no"))
    household = part("household_no").where(part("household_no") != "", part("village_code"))
    return (part("county_code") + "|" + part("check_code") + "|" + household + "|" + member
            + "|" + part("detail_key"))


def _prepare_hits(hits: pd.DataFrame, county_code: str) -> pd.DataFrame:
    hits = hits.copy()
    for column in HIT_COLUMNS:
        if column not in hits:
            hits[column] = pd.NA
    hits["county_code"] = hits["county_code"].astype("string").fillna(county_code)
    hits = hits[hits["county_code"] == county_code].copy()
    if "source" not in hits:
        hits["source"] = "check"
    hits["source"] = hits["source"].fillna("check")
    hits["item_key"] = _item_keys(hits)
    return hits.drop_duplicates("item_key").reset_index(drop=True)


def _text(value, limit=None):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    value = str(value)
    return value[:limit] if limit else value


def update_ledger(hits: pd.DataFrame, *, county_code: str, year: int, url: str | None = None,
                  deadline_days: int | None = None) -> LedgerSummary:
    """Add the hits of one county and year to the ledger.

    Parameters
    ----------
    hits : DataFrame
        Output of `run_checks`, optionally concatenated with
        `verification_problems`. Rows of other counties are ignored.
    county_code : str
    year : int
        Data year of the hits. Open check items last seen in a later year are
        left alone, so re-running an older year resolves nothing.
    url : str, optional
        Database URL; `fupin_lib._paths.database_url` by default.
    deadline_days : int, optional
        Days from today to the deadline of new items; by default
        ``ledger_deadline_days`` of ``parameters/checks.yaml``.

    Returns
    -------
    LedgerSummary
    """
    county_code = str(county_code)
    year = int(year)
    if deadline_days is None:
        deadline_days = resolve_checks(county_code[:2], year).settings.ledger_deadline_days
    hits = _prepare_hits(hits, county_code)
    engine = _engine(url)
    table = ProblemItem.__table__
    now = _now()

    with _write_transaction(engine) as connection:
        existing = pd.DataFrame(connection.execute(
            select(table.c.id, table.c.item_key, table.c.status, table.c.version, table.c.last_year,
                   table.c.source)
            .where(table.c.county_code == county_code, table.c.status.in_(OPEN_STATUSES))
        ).mappings().all(), columns=["id", "item_key", "status", "version", "last_year", "source"])
        existing = existing.drop_duplicates("item_key")
        matched = hits.merge(existing, on="item_key", how="inner", suffixes=("", "_item"))
        new = hits[~hits["item_key"].isin(existing["item_key"])]

        _insert_new(connection, new, county_code, year, now, deadline_days)
        reopened = _update_matched(connection, matched, year, now)
        resolved = _resolve_missing(connection, existing, set(hits["item_key"]), year, now)
        open_total = connection.execute(
            select(table.c.id).where(table.c.county_code == county_code, table.c.status.in_(OPEN_STATUSES))
        ).all()

    summary = LedgerSummary(county_code=county_code, year=year, new=len(new),
                            still_open=len(matched) - reopened, reopened=reopened,
                            awaiting_acceptance=resolved, open_total=len(open_total))
    logger.info("ledger %s %s: %s", county_code, year, summary)
    return summary


def _insert_new(connection, new: pd.DataFrame, county_code, year, now, deadline_days) -> None:
    if new.empty:
        return
    deadline = (now + dt.timedelta(days=int(deadline_days))).date()
    rows = [
        {
            "item_key": row["item_key"], "source": row["source"], "county_code": county_code,
            "first_year": year, "last_year": year, "township": _text(row["township"], 60),
            "village_code": _text(row["village_code"], 20), "village": _text(row["village"], 60),
            "household_no": _text(row["household_no"], 40), "person_no": _text(row["person_no"], 40),
            "id_number": _text(row["id_number"], 24), "check_code": row["check_code"],
            "title": _text(row["title"], 200), "description": _text(row["values"]),
            "responsible": _text(row["helper_name"], 100), "deadline": deadline, "status": "待整改",
            "note": None, "updated_by": "fupin check", "created_at": now, "updated_at": now,
            "closed_at": None, "version": 1,
        }
        for row in new.to_dict("records")
    ]
    connection.execute(ProblemItem.__table__.insert(), rows)


def _update_matched(connection, matched: pd.DataFrame, year, now) -> int:
    """Refresh open items hit again; check items waiting for acceptance reopen.

    The version condition skips items that a person changed since they were
    read, so a concurrent decision is never overwritten.
    """
    if matched.empty:
        return 0
    table = ProblemItem.__table__
    # A verification record found again is the same old record: only check
    # items reopen.
    reopen = (matched["status"] == "待验收") & (matched["source_item"] == "check")
    rows = [
        {
            "b_id": int(row["id"]), "b_version": int(row["version"]),
            "last_year": max(int(row["last_year"]), year), "description": _text(row["values"]),
            "status": "待整改" if is_reopened else row["status"],
            "note": _REOPENED_NOTE if is_reopened else None,
            "updated_at": now, "version": int(row["version"]) + 1,
        }
        for row, is_reopened in zip(matched.to_dict("records"), reopen)
    ]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(last_year=bindparam("last_year"), description=bindparam("description"),
                status=bindparam("status"), updated_at=bindparam("updated_at"),
                version=bindparam("version"))
    )
    connection.execute(statement, [{k: v for k, v in r.items() if k != "note"} for r in rows])
    reopened_rows = [r for r in rows if r["note"]]
    if reopened_rows:
        connection.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(note=bindparam("note")),
            [{"b_id": r["b_id"], "note": r["note"]} for r in reopened_rows],
        )
    return int(reopen.sum())


def _resolve_missing(connection, existing: pd.DataFrame, hit_keys: set, year, now) -> int:
    """Move open check items that no longer hit to 待验收."""
    candidates = existing[
        (existing["source"] == "check")
        & existing["status"].isin(["待整改", "整改中"])
        & (existing["last_year"] <= year)
        & ~existing["item_key"].isin(hit_keys)
    ]
    if candidates.empty:
        return 0
    table = ProblemItem.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(status="待验收", note=_RESOLVED_NOTE, updated_by="fupin check", updated_at=now,
                version=bindparam("version"))
    )
    connection.execute(statement, [
        {"b_id": int(i), "b_version": int(v), "version": int(v) + 1}
        for i, v in zip(candidates["id"], candidates["version"])
    ])
    return len(candidates)


def set_status(item_id: int, status: str, *, user: str, note: str | None,
               expected_version: int | None = None, url: str | None = None) -> dict:
    """Move one problem item to `status`.

    Parameters
    ----------
    item_id : int
    status : {"待整改", "整改中", "待验收", "已销号"}
        Must be an allowed move from the current status (see `TRANSITIONS`).
    user : str
        Who made the change; stored in ``updated_by``.
    note : str or None
        What was done (整改措施) or why.
    expected_version : int, optional
        The version the caller read. When given and the item has changed
        since, nothing is written and `ConflictError` is raised.
    url : str, optional

    Returns
    -------
    dict
        The item after the change.

    Raises
    ------
    ParameterError
        If the item does not exist or the move is not allowed.
    ConflictError
        If another user changed the item first.
    """
    if status not in STATUSES:
        raise ParameterError(f"无效的整改状态 {status!r}，可选：{'、'.join(STATUSES)}。")
    engine = _engine(url)
    table = ProblemItem.__table__
    with _write_transaction(engine) as connection:
        current = connection.execute(select(table).where(table.c.id == int(item_id))).mappings().first()
        if current is None:
            raise ParameterError(f"问题编号 {item_id} 不存在。请刷新问题清单后重试。")
        version = int(current["version"])
        if expected_version is not None and int(expected_version) != version:
            raise ConflictError(f"问题 {item_id} 已被他人修改（版本 {version}），请刷新后重试。")
        if status not in TRANSITIONS[current["status"]]:
            allowed = "、".join(TRANSITIONS[current["status"]]) or "无"
            raise ParameterError(
                f"问题 {item_id} 当前状态为 {current['status']}，不能改为 {status}（可改为：{allowed}）。")
        now = _now()
        result = connection.execute(
            update(table).where(table.c.id == int(item_id), table.c.version == version).values(
                status=status, note=note, updated_by=user, updated_at=now, version=version + 1,
                closed_at=now if status == "已销号" else None)
        )
        if result.rowcount != 1:
            raise ConflictError(f"问题 {item_id} 已被他人修改，请刷新后重试。")
        return dict(connection.execute(select(table).where(table.c.id == int(item_id))).mappings().one())


def household_closed(household_no: str, *, county_code: str, url: str | None = None) -> bool:
    """Return whether a household can be 销号: it has items and all are 已销号."""
    table = ProblemItem.__table__
    with _engine(url).connect() as connection:
        statuses = connection.execute(
            select(table.c.status).where(table.c.county_code == str(county_code),
                                         table.c.household_no == str(household_no))
        ).scalars().all()
    return bool(statuses) and all(s == "已销号" for s in statuses)


def read_ledger(*, county_code: str | None = None, year: int | None = None,
                status: str | list[str] | None = None, household_no: str | None = None,
                url: str | None = None) -> pd.DataFrame:
    """Read ledger items as a table, oldest first.

    Parameters
    ----------
    county_code, household_no : str, optional
    year : int, optional
        Items seen in that year (between ``first_year`` and ``last_year``).
    status : str or list of str, optional

    Returns
    -------
    DataFrame
        The columns of the ``problem_items`` table.
    """
    table = ProblemItem.__table__
    query = select(table).order_by(table.c.id)
    if county_code is not None:
        query = query.where(table.c.county_code == str(county_code))
    if household_no is not None:
        query = query.where(table.c.household_no == str(household_no))
    if year is not None:
        query = query.where(table.c.first_year <= int(year), table.c.last_year >= int(year))
    if status is not None:
        query = query.where(table.c.status.in_([status] if isinstance(status, str) else list(status)))
    with _engine(url).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS)


def verification_problems(verifications: pd.DataFrame,
                          households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Turn the problems that cadres recorded in verification records into
    hits for `update_ledger`.

    A record counts when ``problems_found`` is True or ``problem_description``
    is filled. Each record becomes one item (keyed by its verification date),
    with the area and helper taken from `households` when given.

    Returns
    -------
    DataFrame
        The columns of `run_checks` plus ``source`` (``verification``) and
        ``detail_key`` (the verification date).
    """
    records = canonical_frame(VERIFICATIONS, verifications)
    description = records["problem_description"].astype("string").fillna("").str.strip()
    found = records["problems_found"].fillna(False).astype(bool) | (description != "")
    records = records[found.to_numpy()].reset_index(drop=True)
    description = description[found.to_numpy()].reset_index(drop=True)
    problem_type = records["problem_type"].astype("string").fillna("").str.strip()
    hits = pd.DataFrame({
        "county_code": records["county_code"].astype("string"),
        "year": records["year"].astype("Int64"),
        "household_no": records["household_no"].astype("string"),
        "check_code": VERIFICATION_CODE,
        "title": ("入户核查发现的问题" + ("：" + problem_type).where(problem_type != "", "")),
        "kind": "核查记录",
        "scope": "household",
        "severity": "疑点",
        "values": description.where(description != "", "核查表记录发现问题，未填写描述"),
        "source": "verification",
        "detail_key": records["verify_date"].dt.strftime("%Y-%m-%d").fillna(""),
    })
    if households is not None and len(households):
        area = households.drop_duplicates("household_no").set_index(
            households.drop_duplicates("household_no")["household_no"].astype("string"))
        for column in ("township", "village_code", "village", "helper_name"):
            hits[column] = hits["household_no"].map(area[column].astype("string")) if column in area else pd.NA
    for column in HIT_COLUMNS:
        if column not in hits:
            hits[column] = pd.NA
    return hits[[*HIT_COLUMNS, "source", "detail_key"]].astype({"year": "Int64"})
