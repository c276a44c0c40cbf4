"""Engine, session and declarative base of the case store.

SQLite is the embedded default (``data/fupin.db``); PostgreSQL is used when
``FUPIN_DB_URL`` names it. SQLite connections run in WAL mode with a busy
timeout so that readers never block the writer and a short write lock waits
instead of failing with "database is locked".
"""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from .._paths import database_url

__all__ = ["Base", "get_engine", "get_sessionmaker", "SQLITE_BUSY_TIMEOUT_MS"]

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Declarative base of every table in the case store."""


def _configure_sqlite(dbapi_connection, connection_record):
    # The driver's own transaction handling is switched off so that `_begin_sqlite`
    # decides how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection):
    # A write transaction takes the write lock at BEGIN (IMMEDIATE), so it waits
    # for the busy timeout there instead of failing later when a read lock
    # cannot be upgraded (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not
    # cover in WAL mode).
    if connection.get_execution_options().get("fupin_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


@functools.cache
def get_engine(url: str | None = None) -> Engine:
    """Return the engine of the case store at `url` (default: `database_url`).

    Engines are cached per URL, without eviction, so that every caller in a
    process shares one connection pool. An evicted engine would keep its
    pooled connections open until garbage collection.
    """
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def get_sessionmaker(url: str | None = None) -> sessionmaker:
    """Return a session factory bound to the engine of `url`."""
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)
