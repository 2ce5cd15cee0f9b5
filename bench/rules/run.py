"""Rule engine speed and corpus accuracy.

    .venv/bin/python bench/rules/run.py [--repeat N]

Prints analyze() and rewrite() timings (median and p95, ms) on typical queries with and without schema, and
the corpus figures: must-fire cases caught (recall) and must-not cases left alone (precision on the negatives).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from optimizer.rewrites import rewrite  # noqa: E402
from optimizer.rules import RULES, analyze  # noqa: E402
from optimizer.tests.corpus import load_corpus, shared_schema  # noqa: E402

TYPICAL = [
    'SELECT "orders"."id", "orders"."status" FROM "orders" WHERE "orders"."customer_id" = 5 '
    'ORDER BY "orders"."created_at" DESC LIMIT 21',
    "SELECT o.id, c.email, sum(i.quantity * i.unit_price) AS amount FROM orders o JOIN customers c ON c.id = "
    "o.customer_id JOIN order_items i ON i.order_id = o.id WHERE o.created_at >= $1 AND o.status IN ('paid', "
    "'shipped') GROUP BY o.id, c.email ORDER BY amount DESC LIMIT 10",
    "SELECT * FROM customers c WHERE c.id NOT IN (SELECT customer_id FROM orders WHERE date_trunc('day', "
    "created_at) = '2024-01-01') AND (SELECT count(*) FROM events e WHERE e.customer_id = c.id) > 0 "
    "ORDER BY c.created_at LIMIT 50 OFFSET 5000",
    "WITH paid AS (SELECT customer_id, sum(total) t FROM orders WHERE status = 'paid' GROUP BY customer_id) "
    "SELECT c.email, p.t, (SELECT max(o.created_at) FROM orders o WHERE o.customer_id = c.id) AS last_order "
    "FROM paid p JOIN customers c ON c.id = p.customer_id WHERE lower(c.name) LIKE 'a%' OR c.phone = '555' "
    "ORDER BY p.t DESC LIMIT 10",
]


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    schema = shared_schema()
    print(f"{len(RULES)} rules ({sum(r.needs_schema for r in RULES)} read the schema)")
    print(f"{'query':<6} {'chars':>6} {'analyze ms (med/p95)':>22} {'+schema':>16} {'rewrite ms':>16}")
    for i, sql in enumerate(TYPICAL, 1):
        plain = timed(lambda sql=sql: analyze(sql), args.repeat)
        with_schema = timed(lambda sql=sql: analyze(sql, schema), args.repeat)
        rewrites = timed(lambda sql=sql: rewrite(sql, schema), args.repeat)
        print(
            f"q{i:<5} {len(sql):>6} {plain[0]:>12.2f}/{plain[1]:<8.2f} {with_schema[0]:>7.2f}/{with_schema[1]:<8.2f}"
            f" {rewrites[0]:>7.2f}/{rewrites[1]:<8.2f}"
        )
    corpus = load_corpus()
    caught = total_fire = clean = total_clean = 0
    for rule_id, cases in corpus.items():
        for sql in cases["fire"]:
            total_fire += 1
            caught += any(f.rule_id == rule_id for f in analyze(sql, schema))
        for sql in cases["no_fire"]:
            total_clean += 1
            clean += not any(f.rule_id == rule_id for f in analyze(sql, schema))
    print(f"corpus: {caught}/{total_fire} must-fire cases caught, {clean}/{total_clean} must-not cases left alone")


if __name__ == "__main__":
    main()
