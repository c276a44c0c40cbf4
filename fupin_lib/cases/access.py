"""Access rules shared by every app: who may see which area and which fields.

An area code is a division code prefix: a city (4 digits, e.g. ``4412``), a
county (6), a township (9) or a village (12). A user sees the rows whose
village code starts with their area code. Every query an app runs goes
through `area_clause` (DuckDB or raw SQL) or `scope_query` (SQLAlchemy), so
the rule applies even when a widget is bypassed.

Roles:

- ``leader`` (领导): reads, personal data masked.
- ``reviewer`` (审核员): reads and decides in their area.
- ``cadre`` (帮扶干部): sees and updates only the cases assigned to them, with
  the household's phone and address unmasked.
- ``admin`` (管理员): manages users and reads the audit log; reads cases
  masked like a leader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, and_

from .._errors import AccessDeniedError, ParameterError
from ._workflow import ROLE_LABELS, ROLES

__all__ = [
    "User",
    "AREA_LEVELS",
    "area_level",
    "validate_area_code",
    "area_clause",
    "scope_query",
    "can_see_area",
    "check_area",
    "unmasked_fields",
    "require_role",
]

AREA_LEVELS = {4: "city", 6: "county", 9: "township", 12: "village"}
_AREA_PATTERN = re.compile(r"^\d{4}(\d{2}(\d{3}(\d{3})?)?)?$")


@dataclass(frozen=True)
class User:
    """The signed-in official as apps see them.

    Attributes
    ----------
    name : str
        Login name.
    role : str
        One of ``leader``, ``reviewer``, ``cadre``, ``admin``.
    area_code : str
        City, county, township or village code that bounds what they see.
    id : int, optional
        Row id in ``users``; needed to match a cadre's assigned cases.
    """

    name: str
    role: str
    area_code: str
    id: int | None = None

    @property
    def role_label(self) -> str:
        """Chinese name of the role."""
        return ROLE_LABELS.get(self.role, self.role)


def validate_area_code(code: str) -> str:
    """Return `code` stripped, or raise `ParameterError` unless it is a city,
    county, township or village code (4, 6, 9 or 12 digits)."""
    code = str(code).strip()
    if not _AREA_PATTERN.match(code):
        raise ParameterError(
            f"区域代码 {code!r} 无效：应为 4 位（市）、6 位（县）、9 位（乡镇）或 12 位（村）数字。"
        )
    return code


def area_level(code: str) -> str:
    """Return ``city``, ``county``, ``township`` or ``village`` for an area code."""
    return AREA_LEVELS[len(validate_area_code(code))]


def _check_user(user: User) -> None:
    if user is None:
        raise AccessDeniedError("未登录，请使用登录链接或令牌登录。")
    if user.role not in ROLES:
        raise AccessDeniedError(f"未知角色 {user.role!r}，请联系管理员。")
    validate_area_code(user.area_code)


def area_clause(user: User, column: str = "village_code") -> tuple[str, list[str]]:
    """Return an SQL condition limiting `column` to the user's area, and its
    parameters, for DuckDB, SQLite or any DB-API driver with ``?`` placeholders.

    `column` is a village code column (12 digits), or any division code column
    whose values start with the same prefixes. Use it as
    ``f"SELECT ... WHERE {sql}"`` with ``params``. The cadre's assignment
    restriction is not part of this clause: aggregate views (dashboards) show
    a cadre their whole area, while case lists go through `scope_query`.

    Examples
    --------
    >>> area_clause(User("wang", "reviewer", "441202001"))
    ('CAST(village_code AS VARCHAR) LIKE ?', ['441202001%'])
    """
    _check_user(user)
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", column):
        raise ParameterError(f"列名 {column!r} 无效。")
    # Area codes are digits only, so the prefix contains no LIKE wildcard.
    return f"CAST({column} AS VARCHAR) LIKE ?", [user.area_code + "%"]


def can_see_area(user: User, village_code: str | None) -> bool:
    """Return whether the user's area contains this village code."""
    _check_user(user)
    return village_code is not None and str(village_code).startswith(user.area_code)


def check_area(user: User, village_code: str | None) -> None:
    """Raise `AccessDeniedError` unless the user's area contains the village."""
    if not can_see_area(user, village_code):
        raise AccessDeniedError("该农户不在您的管辖区域内，无权查看或修改。")


def require_role(user: User, *roles: str) -> None:
    """Raise `AccessDeniedError` unless the user has one of `roles`."""
    _check_user(user)
    if user.role not in roles:
        allowed = "、".join(ROLE_LABELS[r] for r in roles)
        raise AccessDeniedError(f"此操作仅限{allowed}，当前角色为{user.role_label}。")


def scope_query(select: Select, user: User) -> Select:
    """Restrict a SQLAlchemy select over cases and households to what the user may see.

    The select must involve the ``households`` table (for the area) and, for
    a cadre, the ``cases`` table (for the assignment). Leaders and admins
    read; whether a role may change a case is decided by the workflow.
    """
    from ._models import Case, Household

    _check_user(user)
    condition = Household.village_code.startswith(user.area_code, autoescape=True)
    if user.role == "cadre":
        condition = and_(condition, Case.assigned_to == user.id)
    return select.where(condition)


def unmasked_fields(user: User, *, assigned: bool = False) -> tuple[str, ...]:
    """Return the personal fields shown in clear to this user.

    ID numbers are always masked on screen and in exports. Names stay masked
    for leaders. A cadre sees the phone and address of the households
    assigned to them (`assigned`).
    """
    if user.role == "cadre" and assigned:
        return ("name", "phone", "address")
    if user.role in ("reviewer", "cadre"):
        return ("name",)
    return ()
