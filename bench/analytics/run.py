"""What one day of analytics snapshots of the demo shop database costs, and what a month costs once rolled up.

    .venv/bin/python bench/analytics/run.py                    # the demo shop of 1,000,000 orders
    .venv/bin/python bench/analytics/run.py --orders 100000    # smaller, while developing

Builds the demo shop (the code `./dev run` uses) as a database of its own, then takes one day of snapshots:
96 real snapshots (every 15 minutes of simulated time) through the project's guarded target session, with a
shop workload of 12 statement shapes on the demo database between them. It prints the bytes that day costs in
DBooster's database, twice: the rows' data (pg_column_size) and the tables' and indexes' growth on disk
(pg_total_relation_size), beside their anchor in the same run: the demo database's own size and what keeping
the same snapshots raw for 30 days would cost. Then it replays the last day's readings (growing counters) for
33 more simulated days through the same roll-up the job runs and prints the storage at day 1, 7, 30 and 34:
it must stop growing once the retention is reached. Also the median time of a snapshot against a bare
`SELECT 1` through the same guarded session. DBooster's own tables for the run live in the database
`dbooster_bench_analytics` (DATABASE_NAME), migrated at start; the demo database is dropped at the end.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbooster.settings")
os.environ.setdefault("DEBUG", "true")  # the local targets (Unix socket) of a development machine
os.environ.setdefault("DATABASE_NAME", "dbooster_bench_analytics")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection as own_db  # noqa: E402
from psycopg import sql  # noqa: E402

from analytics import collector, selectors, services  # noqa: E402
from analytics.models import CollectorState, QueryText, Snapshot  # noqa: E402
from organizations.models import Organization  # noqa: E402
from projects.models import Project  # noqa: E402
from schema_metadata import demo_shop, target  # noqa: E402
from schema_metadata.models import DatabaseConnection  # noqa: E402

INTERVAL = timedelta(minutes=15)
START = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
TABLES = ("analytics_snapshots", "analytics_relation_sizes", "analytics_query_stats", "analytics_query_texts",
          "analytics_collector_states")  # fmt: skip
# A shop's statements: lookups, lists, reports; each run a few times between two snapshots.
WORKLOAD = [
    ("SELECT * FROM orders WHERE id = %s", lambda i: (1 + i * 7919 % 1000,)),
    ("SELECT * FROM customers WHERE id = %s", lambda i: (1 + i * 31 % 1000,)),
    ("SELECT * FROM products WHERE id = %s", lambda i: (1 + i % 50,)),
    ("SELECT id, total FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 10", lambda i: (1 + i % 90,)),
    ("SELECT count(*) FROM orders WHERE status = %s", lambda i: (("paid", "pending")[i % 2],)),
    ("SELECT * FROM order_items WHERE order_id = %s", lambda i: (1 + i * 13 % 1000,)),
    ("SELECT * FROM payments WHERE order_id = %s", lambda i: (1 + i * 17 % 1000,)),
    ("SELECT * FROM events WHERE customer_id = %s LIMIT 20", lambda i: (1 + i % 80,)),
    ("SELECT category, count(*) FROM products GROUP BY category", lambda i: ()),
    ("SELECT id FROM orders WHERE created_at > now() - %s::interval LIMIT 50", lambda i: ("1 day",)),
    ("UPDATE customers SET full_name = full_name WHERE id = %s", lambda i: (1 + i % 100,)),
    ("SELECT sum(amount) FROM payments WHERE status = %s", lambda i: ("captured",)),
]


def run_workload(url: str, interval: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for shape, (query, params) in enumerate(WORKLOAD):
            for repeat in range(1 + (interval + shape) % 3):
                conn.execute(query, params(interval * 3 + repeat) or None)


def compact() -> None:
    """Give back the space an earlier run's deleted rows left (reused pages would hide this run's growth)."""
    with own_db.cursor() as cur:
        for table in TABLES:
            cur.execute(f"VACUUM FULL {table}")


def disk_bytes() -> int:
    """DBooster's analytics tables on disk, with their indexes and TOAST (after a VACUUM: no dead rows)."""
    with own_db.cursor() as cur:
        for table in TABLES:
            cur.execute(f"VACUUM {table}")
        cur.execute("SELECT sum(pg_total_relation_size(c)) FROM unnest(%s::regclass[]) c", [list(TABLES)])
        return int(cur.fetchone()[0])


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"


def one_day(connection, url: str) -> tuple[list[float], collector.Reading]:
    """96 real snapshots 15 simulated minutes apart, the workload between them; returns their times."""
    timings = []
    for interval in range(96):
        run_workload(url, interval)
        started = time.perf_counter()
        services.snapshot_take(connection=connection, now=START + interval * INTERVAL)
        timings.append(time.perf_counter() - started)
    with target.session(connection.url) as conn:
        last = collector.read(conn, max_relations=settings.ANALYTICS_MAX_RELATIONS)
    return timings, last


def anchor_select_one(url: str, rounds: int = 20) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        with target.session(url) as conn:
            conn.execute("SELECT 1").fetchone()
        timings.append(time.perf_counter() - started)
    return timings


def replay(connection, last: collector.Reading, per_interval: dict[str, dict], days: int) -> dict[int, dict]:
    """Continue the day with its last reading, the counters growing by each statement's mean delta of the day."""
    storage = {}
    for tick in range(96, 96 + days * 96):
        reading = copy.deepcopy(last)
        grown = tick - 95
        for queryid, counters in reading.statements.items():
            for key, step in per_interval.get(queryid, {}).items():
                counters[key] += step * grown
        for key in collector.DATABASE_COUNTERS:
            reading.database[key] += 100 * grown
        at = START + tick * INTERVAL
        services.snapshot_record(connection=connection, reading=reading, texts={}, at=at)
        if tick % 4 == 3:
            services.snapshots_roll_up(connection=connection, now=at)
        if tick % 96 == 95:
            storage[tick // 96 + 1] = {**selectors.storage_bytes(connection=connection),
                                       **selectors.snapshot_counts(connection=connection)}  # fmt: skip
    return storage


def mean_deltas(last: collector.Reading) -> dict[str, dict]:
    """queryid -> its counters' mean growth per interval over the day (counted from zero at the day's start)."""
    return {q: {k: v / 96 for k, v in counters.items()} for q, counters in last.statements.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=settings.DEMO_SHOP_ORDERS)
    parser.add_argument("--month-days", type=int, default=33, help="Simulated days replayed after the real one")
    args = parser.parse_args()

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    tag = uuid.uuid4().hex[:8]
    name = f"bench_analytics_{tag}"
    org = Organization.objects.create(name=f"bench-analytics-{tag}", plan="team")
    project = Project.objects.create(organization=org, name="analytics bench")
    try:
        built = demo_shop.build(name=name, orders=args.orders, log=lambda *_: None)
        url = demo_shop.database_url(name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")
            demo_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        connection = DatabaseConnection.objects.create(project=project, name="demo", url=url, environment="production")
        print(f"demo shop: {args.orders:,} orders, {demo_bytes / 2**20:.0f} MB, built in {built['seconds']:.0f} s")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        compact()
        disk_before = disk_bytes()
        timings, last = one_day(connection, url)
        day = selectors.storage_bytes(connection=connection)
        counts_day = selectors.snapshot_counts(connection=connection)
        disk_day = disk_bytes() - disk_before
        anchor = anchor_select_one(url)
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        snapshots = Snapshot.objects.filter(connection=connection)
        relations = sum(s.relations.count() for s in snapshots) / snapshots.count()
        queries = sum(s.queries.count() for s in snapshots) / snapshots.count()
        texts = QueryText.objects.filter(connection=connection).count()
        print(f"one day = {snapshots.count()} snapshots (every {INTERVAL.seconds // 60} min): "
              f"{relations:.0f} tables and indexes, {queries:.1f} statements per snapshot, {texts} texts")  # fmt: skip
        print(f"  rows' data:   {day['total']:>10,} bytes/day  ({day['total'] / snapshots.count():,.0f} per snapshot) "
              f"{ {k: v for k, v in day.items() if k != 'total'} }")  # fmt: skip
        print(f"  on disk:      {disk_day:>10,} bytes/day  (tables + indexes, after VACUUM)")
        print(
            f"  anchor: the demo database itself is {demo_bytes:,} bytes: one day of snapshots is "
            f"{disk_day / demo_bytes:.4%} of it; 30 days kept raw would be {30 * disk_day:,} bytes on disk"
        )
        print(f"  snapshot time: median {median_ms(timings)}; anchor SELECT 1 through the same session: "
              f"{median_ms(anchor)}")  # fmt: skip
        if args.month_days:
            month = {1: {**day, **counts_day}, **replay(connection, last, mean_deltas(last), args.month_days)}
            print("a simulated month and more (the day's readings replayed, rolled up by the job's code):")
            for d in sorted(month):
                if d in (1, 7, 30, 31, max(month)):
                    m = month[d]
                    print(f"  day {d:>2}: {m['total']:>10,} bytes of rows; raw {m['raw']}, hourly {m['hour']}, "
                          f"daily {m['day']}")  # fmt: skip
            print(
                f"  on disk at day {max(month)}: {disk_bytes() - disk_before:,} bytes (tables + indexes, after VACUUM)"
            )
            final = month[max(month)]["total"]
            print(f"  bounded: day {max(month)} holds {final / day['total']:.1f}x one raw day "
                  f"(vs 30x if every raw snapshot were kept)")  # fmt: skip
    finally:
        org.delete()
        CollectorState.objects.filter(connection__project__organization__name__startswith="bench-analytics").delete()
        with psycopg.connect(**demo_shop.server_params(), dbname="postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
