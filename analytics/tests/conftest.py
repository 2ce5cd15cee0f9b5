"""Fixtures of the analytics tests: the orders database with pg_stat_statements, and a workload on it."""

from __future__ import annotations

import psycopg
import pytest

from health.tests.conftest import flush_stats


@pytest.fixture
def stats_database(orders_database):
    """The orders database with pg_stat_statements installed (the server preloads it) and its counters zeroed,
    its tables vacuumed so that their sizes hold from one snapshot to the next."""
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        # The 3,000 freshly inserted orders are past autovacuum's insert threshold: left alone, its first visit adds
        # the table's visibility map (8 kB) whenever it comes, between two snapshots on a busy machine, and the table
        # "grew". Vacuumed now, nothing is left for autovacuum to do.
        conn.execute("VACUUM customers, orders")
    return orders_database


@pytest.fixture
def stats_connection(project, stats_database):
    from schema_metadata.models import DatabaseConnection

    return DatabaseConnection.objects.create(
        project=project, name="orders db", url=stats_database, environment="production", is_default=True
    )


def run_queries(url: str, query: str, times: int, *params) -> None:
    """Run `query` `times` times in one session, then make the session's statistics visible to the others."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(times):
            conn.execute(query, params or None).fetchall()
        flush_stats(conn)
