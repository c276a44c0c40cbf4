"""Retry of write transactions that the database refused for a transient lock."""

from __future__ import annotations

import functools
import logging
import random
import time

from sqlalchemy.exc import DBAPIError, OperationalError

from .._errors import FupinError

__all__ = ["retry_busy", "StoreBusyError"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class StoreBusyError(FupinError):
    """The case store stayed locked through every retry."""


def _is_transient(error: DBAPIError) -> bool:
    message = str(error.orig).lower() if error.orig is not None else str(error).lower()
    # SQLite: "database is locked" / "database table is locked" / busy;
    # PostgreSQL: deadlock detected (40P01), serialization failure (40001).
    sqlstate = getattr(error.orig, "sqlstate", None)
    return ("locked" in message or "busy" in message
            or sqlstate in ("40P01", "40001"))


def retry_busy(function):
    """Run `function` again, with jittered backoff, when the database reports
    a lock, busy state, deadlock or serialization failure; after
    `MAX_ATTEMPTS` tries raise `StoreBusyError` with a Chinese message.

    The wrapped function must run its whole transaction itself, so a retry
    repeats it from the start.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except (OperationalError, DBAPIError) as error:
                if not _is_transient(error):
                    raise
                logger.warning("%s: transient database error on attempt %s: %s",
                               function.__name__, attempt, error.orig)
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))
        raise StoreBusyError("案例库正忙，请稍后再试。")

    return wrapper
