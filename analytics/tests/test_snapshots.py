"""Snapshots of a real PostgreSQL database: sizes, deltas of pg_stat_statements per fingerprint, resets."""

from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from analytics import collector, services
from analytics.models import CollectorState, QueryText, Snapshot
from analytics.tests.conftest import run_queries
from dbooster.errors import DomainError
from dbooster.testing import RESET_THIS_DATABASE_STATEMENTS
from optimizer.workload import fingerprint
from schema_metadata.models import DatabaseConnection

QUERY = "SELECT count(*) FROM orders WHERE status = %s"
FP = fingerprint("SELECT count(*) FROM orders WHERE status = 'paid'")
pytestmark = pytest.mark.django_db


def take(connection, at):
    return services.snapshot_take(connection=connection, now=at)


def test_first_snapshot_reads_sizes_and_sets_the_baseline(stats_connection):
    snapshot = take(stats_connection, timezone.now())
    assert snapshot.resolution == "raw" and snapshot.period_s == 0
    assert snapshot.database_bytes > 1_000_000  # an empty database is already ~7 MB
    relations = {r.name: r for r in snapshot.relations.all()}
    assert relations["public.orders"].kind == "table" and relations["public.orders"].rows == 3000
    assert relations["public.orders_pkey"].kind == "index" and relations["public.orders_pkey"].parent == "public.orders"
    assert relations["public.orders"].bytes > 8192 * 10
    # Counters: only a baseline yet.
    assert snapshot.calls is None and snapshot.xact_commit is None and snapshot.cache_hit_ratio is None
    assert not snapshot.queries.exists()
    state = CollectorState.objects.get(connection=stats_connection)
    assert state.last_error == "" and state.statement_counters is not None


def test_second_snapshot_holds_each_querys_deltas_by_fingerprint(stats_connection, stats_database):
    start = timezone.now()
    take(stats_connection, start)
    run_queries(stats_database, QUERY, 7, "paid")
    run_queries(stats_database, QUERY.replace("%s", "'pending'"), 3)  # a literal: the same fingerprint
    second = take(stats_connection, start + timedelta(minutes=15))
    assert second.period_s == 900
    stat = second.queries.get(fingerprint=FP)
    assert stat.calls == 10
    assert stat.total_ms > 0 and stat.rows == 10
    assert stat.shared_blks_hit + stat.shared_blks_read > 0
    assert second.calls >= 10 and second.total_ms >= stat.total_ms
    assert second.xact_commit >= 10 and second.blks_hit > 0
    assert 0 < second.cache_hit_ratio <= 1
    assert QueryText.objects.get(connection=stats_connection, fingerprint=FP).query.startswith("SELECT count(*)")
    assert not second.stats_reset
    # The first snapshot's own reads ran in between: they are not the database's workload.
    assert not second.queries.filter(fingerprint__in=collector.OWN_FINGERPRINTS).exists()
    assert not QueryText.objects.filter(query__contains="pg_database_size").exists()

    run_queries(stats_database, QUERY, 2, "paid")
    third = take(stats_connection, start + timedelta(minutes=30))
    assert third.queries.get(fingerprint=FP).calls == 2  # a delta, not the cumulative 12


def test_a_reset_of_pg_stat_statements_counts_from_zero(stats_connection, stats_database):
    start = timezone.now()
    run_queries(stats_database, QUERY, 20, "paid")
    take(stats_connection, start)
    with psycopg.connect(stats_database, autocommit=True) as conn:
        conn.execute(RESET_THIS_DATABASE_STATEMENTS)
        conn.execute("SELECT pg_stat_reset()")
    run_queries(stats_database, QUERY, 4, "paid")
    after = take(stats_connection, start + timedelta(minutes=15))
    assert after.stats_reset
    assert after.queries.get(fingerprint=FP).calls == 4  # not 4 - 20
    # It ran before the first snapshot: its text is read when it runs again, once.
    assert QueryText.objects.filter(connection=stats_connection, fingerprint=FP).count() == 1
    assert after.xact_commit >= 0 and after.blks_hit >= 0


def test_without_pg_stat_statements_the_rest_is_still_recorded(orders_connection):
    start = timezone.now()
    take(orders_connection, start)
    second = take(orders_connection, start + timedelta(minutes=15))
    assert second.calls is None and not second.queries.exists()
    assert second.xact_commit is not None and second.database_bytes > 0
    assert CollectorState.objects.get(connection=orders_connection).statement_counters is None


def test_an_unreachable_database_leaves_its_error_and_nothing_else(project, settings):
    settings.TARGET_ALLOW_LOCAL = True
    connection = DatabaseConnection.objects.create(
        project=project, name="gone", url="postgresql://nobody@127.0.0.1:1/none", environment="production"
    )
    with pytest.raises(DomainError):
        take(connection, timezone.now())
    result = services.snapshot_and_roll_up(connection_id=connection.pk)
    assert "refused" in result["error"] or "connect" in result["error"].lower()
    assert result["deleted"] == 0  # the roll-up and expiry still ran
    assert CollectorState.objects.get(connection=connection).last_error == result["error"]
    assert not Snapshot.objects.filter(connection=connection).exists()
    assert services.snapshot_and_roll_up(connection_id=10**9) == {"skipped": "the connection was deleted"}


def test_only_the_queries_with_the_most_time_are_kept(stats_connection, stats_database, settings):
    settings.ANALYTICS_MAX_QUERIES = 2
    start = timezone.now()
    take(stats_connection, start)
    run_queries(stats_database, QUERY, 3, "paid")
    run_queries(stats_database, "SELECT sum(total) FROM orders", 3)
    run_queries(stats_database, "SELECT * FROM customers WHERE id = %s", 3, 1)
    second = take(stats_connection, start + timedelta(minutes=15))
    assert second.queries.count() == 2
    kept = list(second.queries.values_list("calls", flat=True))
    # The tail is not stored, but the snapshot's totals count every statement.
    assert second.calls >= 9 and second.calls > sum(kept)


def test_a_snapshot_read_before_a_newer_one_is_not_recorded(stats_connection):
    now = timezone.now()
    take(stats_connection, now)
    with pytest.raises(DomainError) as raised:
        take(stats_connection, now - timedelta(seconds=1))
    assert raised.value.code == "snapshot_superseded"
    assert Snapshot.objects.filter(connection=stats_connection).count() == 1
