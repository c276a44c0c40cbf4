"""Schema migrations of the case store, run programmatically with Alembic.

The migration scripts ship inside the package (``fupin_lib/cases/migrations``),
so an installed wheel upgrades a database without an ``alembic.ini``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text

from ._base import Base, get_engine

__all__ = ["init_db", "current_revision", "head_revision", "target_metadata"]

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Arbitrary key of the PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_KEY = 7_311_520_203


def target_metadata() -> MetaData:
    """Return the metadata of every table, the problem ledger's included."""
    from . import _models  # noqa: F401  (registers the tables on Base)

    try:
        from ..checks import _ledger  # noqa: F401
    except ImportError:  # the ledger module is optional while it is being built
        logger.debug("fupin_lib.checks._ledger not importable; its table comes from migrations")
    return Base.metadata


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """Return the newest migration shipped with this version."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(url: str | None = None) -> str | None:
    """Return the migration the database at `url` is at (None when empty)."""
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_UP_TO_DATE: set[str] = set()


def init_db(url: str | None = None) -> str:
    """Create or upgrade the case store at `url` to the newest schema
    (``alembic upgrade head``) and return the revision.

    Safe to call from many processes at once: SQLite takes the write lock and
    PostgreSQL an advisory lock before migrating. Cheap when the database is
    already current (one query, or none after the first call in a process).
    """
    engine = get_engine(url)
    key = str(engine.url)
    head = head_revision()
    if key in _UP_TO_DATE:
        return head
    if current_revision(url) == head:
        _UP_TO_DATE.add(key)
        return head
    config = _config()
    with engine.connect() as connection:
        connection = connection.execution_options(fupin_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    logger.info("case store %s upgraded to revision %s", engine.url.render_as_string(), head)
    _UP_TO_DATE.add(key)
    return head
