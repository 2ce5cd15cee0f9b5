"""SQL grid paging benchmark: a page read on the server against the whole capped result read to slice a page.

    .venv/bin/python bench/workbench/run.py                 # 300,000 rows of ~200 bytes, cap 1,000, pages of 50
    .venv/bin/python bench/workbench/run.py --rows 50000    # smaller

The anchor is how the editor read a result before: every row up to the cap reached DBooster, then one page was
cut out of it. The measured path is `runner.execute` with a page: MOVE/FETCH/MOVE on a server-side cursor, so
only the page reaches DBooster (and, to sort, the database orders the whole result first). Interleaved runs in
rotating order; prints medians, every run, rows received and the load average. The scratch database is dropped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbooster.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402

from conftest import _admin_conninfo, url_for_database  # noqa: E402
from workbench import runner  # noqa: E402

CAP = 1000
SQL = "SELECT id, label, amount FROM wide ORDER BY id"


def _case(url: str, page: runner.Page | None) -> tuple[float, int]:
    statement = runner.parse(SQL)
    started = time.perf_counter()
    result = runner.execute(url, statement, read_only=True, commit=False, row_cap=CAP,
                            statement_timeout_ms=settings.TARGET_STATEMENT_TIMEOUT_MS, page=page)  # fmt: skip
    return (time.perf_counter() - started) * 1000, len(result["rows"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    settings.TARGET_ALLOW_LOCAL = True
    name = f"bench_workbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url_for_database(name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE wide AS SELECT g AS id, repeat(md5(g::text), 6) AS label, (g * 7 %% 1000)::numeric AS amount "
                "FROM generate_series(1, %s) g",
                [args.rows],
            )
            conn.execute("ALTER TABLE wide ADD PRIMARY KEY (id)")
            conn.execute("ANALYZE wide")
        cases = {
            "anchor: whole capped result, sliced": None,
            "page 1 of 50 rows": runner.Page(number=1, size=50),
            "page 20 of 50 rows": runner.Page(number=20, size=50),
            "page 1, sorted by amount desc": runner.Page(number=1, size=50, sort_column=2, descending=True),
        }
        timings = {label: [] for label in cases}
        received = {}
        names = list(cases)
        for i in range(args.repeat):
            for label in names[i % len(names) :] + names[: i % len(names)]:
                ms, rows = _case(url, cases[label])
                timings[label].append(ms)
                received[label] = rows
        print(f"{args.rows} rows, row cap {CAP}, load average {os.getloadavg()}")
        anchor = statistics.median(timings[names[0]])
        for label in names:
            median = statistics.median(timings[label])
            runs = ", ".join(f"{t:.1f}" for t in timings[label])
            print(f"{label:40} median {median:8.1f} ms  x{median / anchor:5.2f}  rows received {received[label]:5}"
                  f"  runs [{runs}]")  # fmt: skip
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
