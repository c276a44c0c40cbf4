"""The case store: SQLAlchemy models, migrations, repository functions, access
rules and the audit log.

County runs feed it with `upsert_run_results`; the apps read and change it
through the repository functions, which take the signed-in `User` and apply
the access rules of `fupin_lib.cases.access`.
"""

from . import access
from ._auth import (
    authenticate_token,
    create_session,
    create_user,
    disable_user,
    end_session,
    ensure_demo_admin,
    get_user,
    issue_ticket,
    list_users,
    redeem_ticket,
    resolve_session,
    revoke_token,
)
from ._backup import backup_db, restore_db
from ._base import Base, get_engine, get_sessionmaker
from ._migrate import current_revision, head_revision, init_db
from ._models import Assignment, AuditEntry, AuthSession, Case, Decision, Household, UserAccount
from ._repository import (
    AUDIT_ACTION_LABELS,
    AUDIT_OBJECT_LABELS,
    CATEGORIES,
    ELIMINATION_METHODS,
    QUEUE_HEADERS,
    assign_case,
    audit_log_labels,
    bulk_decide,
    case_history,
    decide,
    export_audit_log,
    export_queue,
    get_case,
    list_cadres,
    load_queue,
    problem_types,
    read_audit_log,
    record_audit,
)
from ._retry import StoreBusyError
from ._runs import upsert_run_results
from ._synthetic import synthetic_run_results
from ._workflow import ACTIONS, ROLE_LABELS, ROLES, STATES, TRANSITIONS, allowed_actions, next_state
from .access import User, area_clause, scope_query

__all__ = [
    "Base", "get_engine", "get_sessionmaker", "init_db", "current_revision", "head_revision",
    "UserAccount", "AuthSession", "Household", "Case", "Assignment", "Decision", "AuditEntry",
    "User", "access", "area_clause", "scope_query",
    "ROLES", "ROLE_LABELS", "STATES", "ACTIONS", "TRANSITIONS", "next_state", "allowed_actions",
    "create_user", "list_users", "disable_user", "revoke_token", "authenticate_token",
    "get_user", "create_session", "resolve_session", "end_session", "issue_ticket",
    "redeem_ticket", "ensure_demo_admin",
    "upsert_run_results", "synthetic_run_results", "load_queue", "get_case", "case_history", "decide", "bulk_decide",
    "assign_case", "list_cadres", "record_audit", "read_audit_log", "export_queue",
    "export_audit_log", "problem_types", "CATEGORIES", "ELIMINATION_METHODS", "QUEUE_HEADERS",
    "backup_db", "restore_db", "StoreBusyError",
    "audit_log_labels", "AUDIT_ACTION_LABELS", "AUDIT_OBJECT_LABELS",
]
