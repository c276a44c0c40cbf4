"""Tables of the case store (except the problem ledger, which `fupin_lib.checks`
defines on the same `Base`).

Codes are text. Times are timezone-aware UTC. ``cases.version`` is the
optimistic-locking counter: every change increments it, and a change made
against an older version is rejected with `fupin_lib.ConflictError`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ._base import Base

__all__ = ["UserAccount", "AuthSession", "Household", "Case", "Assignment", "Decision", "AuditEntry"]


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.timezone.utc)


class UserAccount(Base):
    """An official who signs in: role, area and the hash of their login token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    token_created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuthSession(Base):
    """A browser session (cookie) or a one-time kernel ticket, stored by hash."""

    __tablename__ = "auth_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "cookie" or "ticket"
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Household(Base):
    """What review needs of a household, refreshed by every county run."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("county_code", "household_no", name="uq_households_county_no"),
        Index("ix_households_village_code", "village_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    household_no: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    county: Mapped[str | None] = mapped_column(String(64))
    township_code: Mapped[str | None] = mapped_column(String(9))
    township: Mapped[str | None] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(String(12))
    village: Mapped[str | None] = mapped_column(String(64))
    head_name_masked: Mapped[str | None] = mapped_column(String(64))
    household_size: Mapped[int | None] = mapped_column(Integer)
    monitoring_category: Mapped[str | None] = mapped_column(String(16))
    laborers: Mapped[int | None] = mapped_column(Integer)
    employed: Mapped[int | None] = mapped_column(Integer)
    net_income_per_capita: Mapped[float | None] = mapped_column(Float)
    problems_open: Mapped[int | None] = mapped_column(Integer)
    problems_closed: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Case(Base):
    """One household's case in one monitoring period (the run's year).

    The run fields (``flagged`` … ``risk_reasons``) are refreshed by every run;
    the procedure fields (``state`` … ``elimination_method``) change only
    through a person's decision.
    """

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("household_id", "period", name="uq_cases_household_period"),
        Index("ix_cases_state", "state"),
        Index("ix_cases_risk", "risk_probability"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    period: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    flagged: Mapped[bool] = mapped_column(Boolean, default=True)
    rule_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_reasons: Mapped[str | None] = mapped_column(Text)
    risk_probability: Mapped[float | None] = mapped_column(Float)
    risk_rank: Mapped[int | None] = mapped_column(Integer)
    risk_band: Mapped[str | None] = mapped_column(String(4))
    suggested_category: Mapped[str | None] = mapped_column(String(16))
    risk_reasons: Mapped[str | None] = mapped_column(Text)
    official_category: Mapped[str | None] = mapped_column(String(16))
    risks: Mapped[str | None] = mapped_column(Text)
    publicity_start: Mapped[dt.date | None] = mapped_column(Date)
    publicity_end: Mapped[dt.date | None] = mapped_column(Date)
    elimination_method: Mapped[str | None] = mapped_column(String(8))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Assignment(Base):
    """A case handed to a cadre; the latest row per case is the current one."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    """A signed step of the procedure: who, when, what, and the note."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One view of personal data, export, sign-in or change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
