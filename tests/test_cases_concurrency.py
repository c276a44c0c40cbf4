"""Twenty officials in parallel threads, each on its own database connection,
record 50 decisions each on the same few cases: every decision is stored
exactly once, conflicts are retried, and no lock error reaches a caller.

Threads rather than processes keep the test fast (a spawned process pays
the package import again); the database gets the same concurrent
connections either way. On PostgreSQL each writer gets its own engine
(``application_name`` differs); on SQLite the writers share one pool of up to
15 connections.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from fupin_lib import cases
from fupin_lib.cases import Decision, synthetic_run_results

from test_cases_store import pg_url  # noqa: F401  (session fixture: a fresh PostgreSQL database)

WRITERS = 20
DECISIONS = 50
SHARED_CASES = 10


def _writer(url: str, writer: int, case_ids: list[int]) -> tuple[int, int]:
    """Record DECISIONS notes, retrying each after a conflict; return
    (decisions stored, conflicts met)."""
    from fupin_lib import ConflictError
    from fupin_lib import cases as store

    user = store.User(f"w{writer}", "reviewer", "441202")
    versions = {case_id: 1 for case_id in case_ids}
    stored = conflicts = 0
    for number in range(DECISIONS):
        case_id = case_ids[(writer + number) % len(case_ids)]
        while True:
            try:
                result = store.decide(case_id, "note", user, version=versions[case_id],
                                      note=f"w{writer}-{number}", url=url)
                versions[case_id] = result["version"]
                stored += 1
                break
            except ConflictError as error:
                conflicts += 1
                versions[case_id] = error.current["version"]
    return stored, conflicts


def _writer_url(url: str, writer: int) -> str:
    if url.startswith("postgresql"):
        return f"{url}?application_name=writer{writer}"
    return url


def _run(url: str) -> None:
    frame = synthetic_run_results("441202", 60, seed=3)
    cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    leader = cases.User("l", "leader", "441202")
    queue = cases.load_queue(leader, url=url)
    case_ids = [int(c) for c in queue["case_id"].iloc[:SHARED_CASES]]
    assert set(queue["version"].iloc[:SHARED_CASES]) == {1}
    cases.get_engine(url).dispose()

    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [pool.submit(_writer, _writer_url(url, w), w, case_ids) for w in range(WRITERS)]
        results = [future.result() for future in futures]

    assert sum(stored for stored, _ in results) == WRITERS * DECISIONS
    with cases.get_engine(url).connect() as connection:
        notes = connection.execute(select(Decision.note)).scalars().all()
    expected = {f"w{w}-{n}" for w in range(WRITERS) for n in range(DECISIONS)}
    assert len(notes) == WRITERS * DECISIONS
    assert set(notes) == expected
    # Each stored decision moved its case's version by one: no lost update.
    final = cases.load_queue(leader, url=url).set_index("case_id")["version"]
    assert sum(int(final[c]) - 1 for c in case_ids) == WRITERS * DECISIONS


@pytest.mark.slow
def test_parallel_writers_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    cases.init_db(url)
    _run(url)


@pytest.mark.slow
@pytest.mark.postgres
def test_parallel_writers_postgres(pg_url):
    from sqlalchemy import text

    with cases.get_engine(pg_url).begin() as connection:
        connection.execute(text("TRUNCATE audit_log, decisions, assignments, cases, households, "
                                "auth_sessions, users RESTART IDENTITY CASCADE"))
    _run(pg_url)
