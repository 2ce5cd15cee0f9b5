"""Fixtures of the health tests: scratch databases in a chosen state, the public datasets, and a runner."""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from conftest import _admin_conninfo, url_for_database
from health.checks import BY_ID
from health.engine import run_checks
from schema_metadata import target
from schema_metadata.tests.conftest import load_sql_file

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
if not DATASETS.exists():
    DATASETS = Path("/work/shared/datasets")
DATASET_NAMES = ("pagila", "chinook", "northwind")


def execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        flush_stats(conn)


def flush_stats(conn: psycopg.Connection) -> None:
    """Make this backend's pending statistics visible to other sessions now.

    pg_stat_force_next_flush() marks them for the next report, which the backend makes before it answers
    the following statement: once that answer arrives, the counters are in shared memory.
    """
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT 1")


@pytest.fixture
def run_check(settings):
    """`run_check(url, check_id, **params)`: the findings of one check through the project's guarded session."""
    settings.TARGET_ALLOW_LOCAL = True

    def run(url: str, check_id: str, **params):
        with target.session(url, statement_timeout_ms=20_000) as conn:
            report = run_checks(conn, [BY_ID[check_id]], params={check_id: params})
        assert not report.errors, report.errors
        return report

    return run


@pytest.fixture(scope="session")
def dataset_urls(django_db_blocker):
    """pagila, chinook and northwind loaded once per test session, vacuumed and analyzed as a kept database."""
    urls, names = {}, []
    with django_db_blocker.unblock():
        for dataset in DATASET_NAMES:
            name = f"health_{dataset}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            names.append(name)
            url = url_for_database(name)
            load_sql_file(url, DATASETS / f"{dataset}.sql")
            execute(url, "VACUUM ANALYZE")
            urls[dataset] = url
    yield urls
    with django_db_blocker.unblock(), psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def blocked_query(url: str):
    """One session holds a lock; a second, in a thread, waits on it. Yields (holder pid, waiter pid)."""
    holder = psycopg.connect(url)
    holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
    waiter = psycopg.connect(url, autocommit=True)
    waiter_pid = waiter.info.backend_pid
    thread = threading.Thread(target=lambda: waiter.execute("SELECT count(*) FROM t"), daemon=True)
    thread.start()
    try:
        with psycopg.connect(url, autocommit=True) as watcher:
            wait_until(lambda: watcher.execute(
                "SELECT cardinality(pg_blocking_pids(%s)) > 0", [waiter_pid]).fetchone()[0])  # fmt: skip
        yield holder.info.backend_pid, waiter_pid
    finally:
        holder.rollback()  # lets the waiter finish
        thread.join(timeout=60)
        holder.close()
        waiter.close()


def wait_until(condition, *, attempts: int = 6000) -> None:
    """Poll a condition observed in the database (not a guess at how long something takes)."""
    event = threading.Event()
    for _ in range(attempts):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("the condition never held")
