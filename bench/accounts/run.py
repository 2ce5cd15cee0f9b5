"""Accounts benchmarks: /openapi.json built per request vs once per process, and the cost of a rate-limit hit
in the shared PostgreSQL store next to a bare `SELECT 1` round trip on the same connection.

    DEBUG=true .venv/bin/python bench/accounts/run.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbooster.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402

from dbooster import ratelimit, schema_view  # noqa: E402


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def row(name: str, samples: list[float], anchor: float | None = None) -> None:
    p50 = statistics.median(samples)
    ratio = f"{anchor / p50:8.1f}x" if anchor else " (anchor)"
    print(f"{name:<44} p50 {p50:9.3f} ms   max {max(samples):9.3f} ms  {ratio}")


def main() -> None:
    client = Client()
    print("== /openapi.json (in-process client, rendered JSON)")
    uncached = timed(lambda: SchemaGenerator().get_schema(request=None, public=True), 5)
    schema_view._forget_documents()
    cold = timed(lambda: client.get("/openapi.json"), 1)
    warm = timed(lambda: client.get("/openapi.json"), 20)
    row("generate the document (before: every request)", uncached)
    row("first request of a process (builds it)", cold, statistics.median(uncached))
    row("later requests (served from memory)", warm, statistics.median(uncached))

    print("== rate-limit hit in the shared store (PostgreSQL upsert) vs SELECT 1")

    def select_one():
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()

    anchor = timed(select_one, 500)
    hits = timed(lambda: ratelimit.hit("rl:bench:key", 60), 500)
    row("SELECT 1 round trip", anchor)
    row("ratelimit.hit (one atomic upsert)", hits)
    print(f"hit / SELECT 1 = {statistics.median(hits) / statistics.median(anchor):.2f}")


if __name__ == "__main__":
    main()
