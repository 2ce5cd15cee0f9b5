"""What a data version trigger costs a write: the shared function against each table's own, side by side.

Every write to a table the pages or the dashboard count (a stored optimization, a scan's queries, a project...)
raises a data version through a statement-level trigger (`dbooster.migration_ops`). The shared function composes
its statement from the trigger's arguments and plans it at every write (EXECUTE); a table's own function names its
columns, so PostgreSQL plans it once per session. This inserts one row per statement, N statements in a loop on the
server, into three scratch tables (no trigger: the anchor; the shared function; an own function), in rotating order,
and prints the median microseconds per statement of each and the trigger's share.

    .venv/bin/python bench/api/data_versions.py            # 5 rounds of 3,000 statements
    .venv/bin/python bench/api/data_versions.py --rounds 9

Runs in DBooster's database (DATABASE_NAME, default `dbooster_bench_api`, migrated at start) inside a transaction
it rolls back: nothing is left behind.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbooster.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_NAME", "dbooster_bench_api")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from dbooster.migration_ops import data_version_function_triggers, data_version_triggers  # noqa: E402

VARIANTS = ("no trigger", "shared function", "own function")
PARENT_TABLE = "bench_dv_parent"


def make_tables(cursor) -> dict[str, str]:
    """A parent (id, organization_id) and, per variant, a child keyed through it (as a scan's queries are)."""
    cursor.execute(f"CREATE TABLE {PARENT_TABLE} (id int PRIMARY KEY, organization_id bigint)")
    cursor.execute(f"INSERT INTO {PARENT_TABLE} VALUES (1, -1)")
    tables = {}
    for n, variant in enumerate(VARIANTS):
        table = f"bench_dv_child_{n}"
        cursor.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, parent_id int, body text)")
        options = {"through": (PARENT_TABLE, "organization_id"), "name": "counts"}
        if variant != "no trigger":
            cursor.execute(data_version_triggers(table, "counts", "parent_id", **options).sql)
        if variant == "own function":
            cursor.execute(data_version_function_triggers(table, "counts", "parent_id", **options).sql)
        tables[variant] = table
    return tables


def microseconds_per_statement(cursor, table: str, statements: int) -> float:
    loop = f"""
DO $$ BEGIN
    FOR i IN 1..{statements} LOOP
        INSERT INTO {table} (parent_id, body) VALUES (1, 'a stored run');
    END LOOP;
END $$"""
    started = time.perf_counter()
    cursor.execute(loop)
    return (time.perf_counter() - started) * 1e6 / statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--statements", type=int, default=3000)
    args = parser.parse_args()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    timings = {variant: [] for variant in VARIANTS}
    with transaction.atomic(), connection.cursor() as cursor:
        tables = make_tables(cursor)
        microseconds_per_statement(cursor, tables["own function"], 100)  # compile both functions first
        microseconds_per_statement(cursor, tables["shared function"], 100)
        for round_ in range(args.rounds):
            order = VARIANTS[round_ % 3 :] + VARIANTS[: round_ % 3]
            for variant in order:
                timings[variant].append(microseconds_per_statement(cursor, tables[variant], args.statements))
        transaction.set_rollback(True)
    anchor = statistics.median(timings["no trigger"])
    print(f"one-row INSERT, {args.statements:,} statements x {args.rounds} rounds, median per statement")
    print(f"{'':<18}{'us':>8}{'trigger us':>12}{'x no trigger':>14}")
    for variant in VARIANTS:
        median = statistics.median(timings[variant])
        print(f"{variant:<18}{median:>8.1f}{median - anchor:>12.1f}{median / anchor:>14.1f}")
    print("every round (us):", {variant: [round(t, 1) for t in runs] for variant, runs in timings.items()})


if __name__ == "__main__":
    main()
