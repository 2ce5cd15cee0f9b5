"""A simulated month and more of hourly snapshots: the roll-ups keep the sums, the storage stays bounded.

The interval is a setting; an hour (not the default 15 minutes) keeps this test to a quarter of the inserts while
every retention step (raw, hourly, daily, expiry) is still crossed. bench/analytics replays the 15-minute month.

One real reading of the orders database (its tables, indexes and statements) is replayed at simulated times
with growing counters, through the same code a snapshot job runs (snapshot_record, then snapshots_roll_up).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from analytics import collector, selectors, services
from analytics.models import Snapshot
from analytics.tests.conftest import run_queries
from schema_metadata import target

DAYS = 33
INTERVAL = timedelta(hours=1)
PER_DAY = 24
START = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
RESET_AT_TICK = 12 * PER_DAY + 5  # pg_stat_statements and the database's statistics reset once, on day 12


def reading_at(base: collector.Reading, tick: int) -> collector.Reading:
    """The base reading `tick` intervals later: counters grown (or restarted after the reset), the data grown."""
    reading = copy.deepcopy(base)
    grown = tick if tick < RESET_AT_TICK else tick - RESET_AT_TICK
    reading.database_bytes += tick * 8192
    for key in collector.DATABASE_COUNTERS:
        reading.database[key] = (0 if tick >= RESET_AT_TICK else reading.database[key]) + grown * 100
    reading.database["stats_reset"] = "reset" if tick >= RESET_AT_TICK else base.database["stats_reset"]
    for rank, counters in enumerate(reading.statements.values()):
        start = 0 if tick >= RESET_AT_TICK else 1
        counters["calls"] = start * counters["calls"] + grown * (rank + 1)
        counters["total_ms"] = start * counters["total_ms"] + grown * (rank + 1) * 0.5
        counters["rows"] = start * counters["rows"] + grown
        counters["shared_blks_hit"] = start * counters["shared_blks_hit"] + grown * 3
        counters["shared_blks_read"] = start * counters["shared_blks_read"] + grown
    for relation in reading.relations:
        relation["bytes"] += tick * 100
    return reading


@pytest.fixture
def real_reading(stats_connection, stats_database):
    run_queries(stats_database, "SELECT count(*) FROM orders WHERE status = %s", 5, "paid")
    run_queries(stats_database, "SELECT * FROM customers WHERE id = %s", 5, 7)
    run_queries(stats_database, "SELECT sum(total) FROM orders GROUP BY customer_id", 2)
    with target.session(stats_database) as conn:
        reading = collector.read(conn, max_relations=100)
        texts = collector.read_texts(conn, list(reading.statements))
    assert reading.statements and len(reading.relations) >= 5
    return reading, texts


@pytest.mark.django_db
def test_a_simulated_month_stays_bounded_and_roll_ups_keep_the_sums(stats_connection, real_reading):
    base, texts = real_reading
    daily: dict[int, dict] = {}
    calls_fed = 0
    for tick in range(DAYS * PER_DAY):
        at = START + tick * INTERVAL
        snapshot = services.snapshot_record(
            connection=stats_connection, reading=reading_at(base, tick), texts=texts, at=at
        )
        calls_fed += snapshot.calls or 0
        services.snapshots_roll_up(connection=stats_connection, now=at)  # the job rolls up after every snapshot
        if tick % PER_DAY == PER_DAY - 1:
            day = tick // PER_DAY + 1
            daily[day] = {**selectors.storage_bytes(connection=stats_connection),
                          **selectors.snapshot_counts(connection=stats_connection)}  # fmt: skip
            if day == 20:
                # Nothing expired yet: every call fed is still counted, at whatever resolution.
                kept = sum(s.calls or 0 for s in Snapshot.objects.filter(connection=stats_connection))
                assert kept == calls_fed

    for day in (1, 7, 30, DAYS):
        print(f"day {day}: {daily[day]}")
    # Raw for the last day (plus the hour not yet whole), hourly for the days before up to a week, daily after.
    last = daily[DAYS]
    assert last["raw"] <= 24 + 1
    assert last["hour"] <= (7 - 1) * 24 + 24
    assert last["day"] <= 30
    # Bounded: once the retention is reached the storage stops growing (the data grew the whole time).
    assert daily[DAYS]["total"] <= daily[31]["total"] * 1.02
    assert daily[31]["total"] <= daily[30]["total"] * 1.05
    # And the month costs far less than keeping every raw snapshot would: under a third of 30 raw days.
    per_raw_day = daily[1]["total"]
    assert daily[DAYS]["total"] < per_raw_day * 30 / 3, (daily[DAYS]["total"], per_raw_day)
    # The statement that ran in the reading keeps its whole history at daily resolution.
    oldest = Snapshot.objects.filter(connection=stats_connection).order_by("taken_at").first()
    assert oldest.resolution == "day" and oldest.taken_at >= START + timedelta(days=DAYS - 30 - 1)
    assert oldest.queries.exists() and oldest.relations.exists()
