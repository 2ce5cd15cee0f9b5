"""Helpers for tests that run real background jobs."""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.db import connection, connections
from procrastinate.contrib.django import app

# Jobs a worker would take now (a retry scheduled for later is not).
_RUNNABLE = (
    "SELECT id FROM procrastinate_jobs WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())"
)


def job_status(task_name: str, **kwargs) -> list[str]:
    """Statuses of the jobs of `task_name` queued with (at least) these keyword arguments, oldest first."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT status FROM procrastinate_jobs WHERE task_name = %s AND args @> %s::jsonb ORDER BY id",
            [task_name, json.dumps(kwargs)],
        )
        return [row[0] for row in cur.fetchall()]


def _pending_job_ids(queues) -> list[int]:
    with connection.cursor() as cur:
        if queues:
            cur.execute(f"{_RUNNABLE} AND queue_name = ANY(%s)", [list(queues)])
        else:
            cur.execute(_RUNNABLE)
        return [row[0] for row in cur.fetchall()]


def _statuses(job_ids: list[int]) -> dict[str, int]:
    if not job_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM procrastinate_jobs WHERE id = ANY(%s) GROUP BY status", [job_ids])
        return dict(cur.fetchall())


def run_pending_jobs(queues=None) -> dict[str, int]:
    """Run every queued job with a real procrastinate worker, then return.

    Returns how the jobs that were waiting ended, e.g. `{"succeeded": 1}`.

    The worker runs on procrastinate's psycopg connector (its own connections to
    the same database, as `manage.py procrastinate worker` does): the Django
    connector is for deferring only, it cannot LISTEN and hands JSON back
    undecoded. So the test needs `@pytest.mark.django_db(transaction=True)` for
    the worker to see the jobs the test queued.
    """
    job_ids = _pending_job_ids(queues)
    worker_connector = app.connector.get_worker_connector()
    with app.replace_connector(worker_connector):
        app.run_worker(queues=queues, wait=False, install_signal_handlers=False, listen_notify=False)
    return _statuses(job_ids)


# pg_stat_statements is one table for the whole cluster: a bare pg_stat_statements_reset() in one test wipes the
# statements a parallel test (another xdist worker, another database) has just run. Reset this database's only.
RESET_THIS_DATABASE_STATEMENTS = (
    "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
)


@contextmanager
def playwright_session():
    """Playwright's sync API, and at the end the database connections the test opened beside its event loop closed.

    While Playwright's loop runs in this thread, Django keeps the thread's connections in a context variable
    instead of the thread's own storage (asgiref's Local, as for async code). A test body's queries then run on a
    second connection that pytest-django never sees: it outlives the test and is still there when the test database
    is dropped ('database "test_dbooster_gw0" is being accessed by other users').
    """
    from playwright.sync_api import sync_playwright  # a test-only dependency, needed by the browser tests alone

    with sync_playwright() as playwright:
        try:
            yield playwright
        finally:
            connections.close_all()  # the loop still runs: these are the connections kept beside it
