"""Users, login tokens, browser sessions and one-time kernel tickets.

Tokens, session ids and tickets are random (``secrets.token_urlsafe``) and
stored only as SHA-256 hashes, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

import pandas as pd
from sqlalchemy import delete, select

from .._errors import AccessDeniedError, ParameterError
from ._base import get_sessionmaker
from ._models import AuditEntry, AuthSession, UserAccount, utcnow
from ._workflow import ROLE_LABELS, ROLES
from .access import User, validate_area_code

__all__ = [
    "create_user",
    "list_users",
    "disable_user",
    "revoke_token",
    "authenticate_token",
    "get_user",
    "create_session",
    "resolve_session",
    "end_session",
    "issue_ticket",
    "redeem_ticket",
    "ensure_demo_admin",
    "SESSION_HOURS",
    "TICKET_SECONDS",
]

logger = logging.getLogger(__name__)

SESSION_HOURS = 12
TICKET_SECONDS = 300


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _as_user(account: UserAccount) -> User:
    return User(name=account.name, role=account.role, area_code=account.area_code, id=account.id)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _audit(session, user_name, role, action, object_type, object_id=None, detail=None):
    session.add(AuditEntry(user_name=user_name, role=role, action=action,
                           object_type=object_type, object_id=object_id, detail=detail))


def create_user(name: str, role: str, area_code: str, *, url: str | None = None,
                actor: str = "命令行") -> str:
    """Create a user and return their login token (shown once, stored hashed).

    Raises
    ------
    ParameterError
        Empty or taken name, unknown role, invalid area code.
    """
    name = str(name).strip()
    if not name:
        raise ParameterError("用户名不能为空。")
    if role not in ROLES:
        choices = "、".join(f"{r}（{ROLE_LABELS[r]}）" for r in ROLES)
        raise ParameterError(f"角色 {role!r} 无效，可选：{choices}。")
    area_code = validate_area_code(area_code)
    token = secrets.token_urlsafe(24)
    with get_sessionmaker(url).begin() as session:
        if session.scalar(select(UserAccount.id).where(UserAccount.name == name)) is not None:
            raise ParameterError(f"用户 {name!r} 已存在。要换发令牌请用 fupin user revoke {name}。")
        session.add(UserAccount(name=name, role=role, area_code=area_code, token_hash=_hash(token)))
        _audit(session, actor, "admin", "change", "user", name, f"新建用户，角色 {role}，区域 {area_code}")
    logger.info("created user %s (%s, %s)", name, role, area_code)
    return token


def list_users(*, url: str | None = None) -> pd.DataFrame:
    """Return all users: name, role, area_code, disabled, created_at (no tokens)."""
    with get_sessionmaker(url)() as session:
        rows = session.execute(
            select(UserAccount.name, UserAccount.role, UserAccount.area_code,
                   UserAccount.disabled, UserAccount.created_at).order_by(UserAccount.name)
        ).all()
    return pd.DataFrame(rows, columns=["name", "role", "area_code", "disabled", "created_at"])


def _get_account(session, name: str) -> UserAccount:
    account = session.scalar(select(UserAccount).where(UserAccount.name == name))
    if account is None:
        raise ParameterError(f"用户 {name!r} 不存在。用 fupin user list 查看现有用户。")
    return account


def disable_user(name: str, *, url: str | None = None, actor: str = "命令行") -> None:
    """Disable a user and end their sessions; their token stops working."""
    with get_sessionmaker(url).begin() as session:
        account = _get_account(session, name)
        account.disabled = True
        session.execute(delete(AuthSession).where(AuthSession.user_id == account.id))
        _audit(session, actor, "admin", "change", "user", name, "停用用户")
    logger.info("disabled user %s", name)


def revoke_token(name: str, *, url: str | None = None, actor: str = "命令行") -> str:
    """Replace a user's token with a new one, end their sessions and return
    the new token. A disabled user stays disabled."""
    token = secrets.token_urlsafe(24)
    with get_sessionmaker(url).begin() as session:
        account = _get_account(session, name)
        account.token_hash = _hash(token)
        account.token_created_at = utcnow()
        session.execute(delete(AuthSession).where(AuthSession.user_id == account.id))
        _audit(session, actor, "admin", "change", "user", name, "换发令牌")
    logger.info("revoked the token of user %s", name)
    return token


def authenticate_token(token: str, *, url: str | None = None) -> User:
    """Return the enabled user whose login token this is.

    Raises
    ------
    AccessDeniedError
        Unknown, revoked or disabled.
    """
    if not token:
        raise AccessDeniedError("缺少登录令牌。")
    with get_sessionmaker(url).begin() as session:
        account = session.scalar(select(UserAccount).where(UserAccount.token_hash == _hash(token)))
        if account is None or account.disabled:
            raise AccessDeniedError("登录令牌无效或已停用，请向管理员索取新的登录链接。")
        _audit(session, account.name, account.role, "login", "user", account.name, "令牌登录")
        return _as_user(account)


def get_user(name: str, *, url: str | None = None) -> User:
    """Return the enabled user called `name` (trusted-header sign-in).

    Raises
    ------
    AccessDeniedError
        No such user, or disabled.
    """
    with get_sessionmaker(url)() as session:
        account = session.scalar(select(UserAccount).where(UserAccount.name == name))
    if account is None or account.disabled:
        raise AccessDeniedError(f"用户 {name!r} 未在工作台登记或已停用，请联系管理员。")
    return _as_user(account)


def _new_secret(user: User, kind: str, lifetime: dt.timedelta, url: str | None) -> str:
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with get_sessionmaker(url).begin() as session:
        session.execute(delete(AuthSession).where(AuthSession.expires_at < now))
        session.add(AuthSession(id_hash=_hash(secret), user_id=user.id, kind=kind,
                                created_at=now, expires_at=now + lifetime))
    return secret


def _resolve(secret: str, kind: str, url: str | None, *, consume: bool) -> User:
    if not secret:
        raise AccessDeniedError("未登录，请使用登录链接登录。")
    with get_sessionmaker(url).begin() as session:
        row = session.get(AuthSession, _hash(secret))
        if row is None or row.kind != kind or _aware(row.expires_at) < utcnow():
            raise AccessDeniedError("登录已过期，请重新打开登录链接。")
        account = session.get(UserAccount, row.user_id)
        if consume:
            session.delete(row)
        if account is None or account.disabled:
            raise AccessDeniedError("该用户已停用，请联系管理员。")
        return _as_user(account)


def create_session(user: User, *, url: str | None = None) -> str:
    """Start a browser session for `user` and return its id (the cookie value)."""
    return _new_secret(user, "cookie", dt.timedelta(hours=SESSION_HOURS), url)


def resolve_session(session_id: str, *, url: str | None = None) -> User:
    """Return the user of a live browser session, else raise `AccessDeniedError`."""
    return _resolve(session_id, "cookie", url, consume=False)


def end_session(session_id: str, *, url: str | None = None) -> None:
    """End a browser session (sign out)."""
    with get_sessionmaker(url).begin() as session:
        session.execute(delete(AuthSession).where(AuthSession.id_hash == _hash(session_id)))


def issue_ticket(user: User, *, url: str | None = None) -> str:
    """Return a one-time ticket that a kernel exchanges for `user` within
    `TICKET_SECONDS` seconds."""
    return _new_secret(user, "ticket", dt.timedelta(seconds=TICKET_SECONDS), url)


def redeem_ticket(ticket: str, *, url: str | None = None) -> User:
    """Return the user of a kernel ticket and delete the ticket."""
    return _resolve(ticket, "ticket", url, consume=True)


def ensure_demo_admin(url: str | None = None) -> str:
    """Create or renew the demo administrator ``demo-admin`` (area 4412, the
    sample city) and return a fresh login token."""
    from ._migrate import init_db

    init_db(url)
    with get_sessionmaker(url)() as session:
        exists = session.scalar(select(UserAccount.id).where(UserAccount.name == "demo-admin"))
    if exists is None:
        return create_user("demo-admin", "admin", "4412", url=url, actor="demo")
    return revoke_token("demo-admin", url=url, actor="demo")
