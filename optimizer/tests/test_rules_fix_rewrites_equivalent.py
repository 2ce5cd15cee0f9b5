"""The statements the rules' fixes show in place of the user's query return the same rows, on PostgreSQL.

distinct-with-join (EXISTS), having-without-aggregate (WHERE), count-for-existence (EXISTS), correlated-
subquery-filter (a join to the aggregate per key), union-without-all (UNION ALL where the branches are tagged
and keyed), order-by-in-subquery (inner ORDER BY dropped), cte-multi-reference (NOT MATERIALIZED) and
non-equi-join (a range containment in place of BETWEEN) are each run side by side with the original on data
with duplicates, NULLs, parents without children and children without parents. Each pair is compared as a
multiset of rows, and the original must return rows (a query that matches nothing would prove nothing).
"""

from __future__ import annotations

import re
from collections import Counter

import psycopg
import pytest

from optimizer.rules import analyze
from optimizer.tests.corpus import shared_schema

SETUP = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text, name text, phone text, country char(2),
                        legacy_ref text, vip boolean, created_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text, total numeric(12,2) NOT NULL,
                     created_at timestamptz NOT NULL, shipped_at timestamptz, note text, coupon_code text);
CREATE TABLE products (id bigint PRIMARY KEY, sku text UNIQUE, name text, category_id int, price numeric, active bool);
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint, product_id bigint, quantity int,
                          unit_price numeric, order_ref text);
CREATE TABLE events (id bigint PRIMARY KEY, customer_id bigint, kind text, payload jsonb, created_at timestamptz);
CREATE TABLE promotions (id int PRIMARY KEY, name text NOT NULL, starts_at timestamptz NOT NULL,
                         ends_at timestamptz NOT NULL);
INSERT INTO customers
SELECT g, 'c' || (g % 40) || '@example.com', 'name ' || (g % 7), NULL, (ARRAY['FR', 'DE', NULL])[1 + g % 3],
       NULL, g % 5 = 0, timestamptz '2023-01-01' + g * interval '1 day'
FROM generate_series(1, 200) g;
INSERT INTO orders
SELECT g, 1 + (g * 7) % 150, (ARRAY['paid', 'new', 'cancelled', NULL])[1 + g % 4], (g * 37) % 500,
       timestamptz '2023-06-01' + g * interval '5 hours', NULL, NULL, NULL
FROM generate_series(1, 900) g;
INSERT INTO products SELECT g, 'sku' || g, 'p' || g, g % 9, g * 3, g % 4 <> 0 FROM generate_series(1, 80) g;
INSERT INTO order_items
SELECT g, 1 + (g * 13) % 950, 1 + (g * 11) % 70, 1 + g % 15, (g * 7) % 120, NULL FROM generate_series(1, 3000) g;
INSERT INTO events SELECT g, 1 + g % 130, 'k' || g % 3, '{}', now() FROM generate_series(1, 300) g;
INSERT INTO promotions
SELECT g, 'promo ' || g, timestamptz '2023-06-01' + g * interval '9 days',
       timestamptz '2023-06-01' + g * interval '9 days' + (g % 4) * interval '2 days'
FROM generate_series(1, 25) g;
ANALYZE;
"""

REWRITTEN = [
    ("distinct-with-join", "SELECT DISTINCT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id"),
    (
        "distinct-with-join",
        "SELECT DISTINCT c.email FROM customers c, orders o WHERE o.customer_id = c.id AND o.total > 100",
    ),
    (
        "distinct-with-join",
        "SELECT DISTINCT p.id, p.sku FROM products p JOIN order_items i ON i.product_id = p.id WHERE i.quantity > 10",
    ),
    (
        "having-without-aggregate",
        "SELECT customer_id, count(*) FROM orders GROUP BY customer_id HAVING customer_id > 100",
    ),
    (
        "having-without-aggregate",
        "SELECT status, sum(total) FROM orders GROUP BY status HAVING status <> 'cancelled'",
    ),
    (
        "count-for-existence",
        "SELECT id FROM customers c WHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) > 0",
    ),
    (
        "count-for-existence",
        "SELECT id FROM customers c WHERE 0 = (SELECT count(*) FROM orders o WHERE o.customer_id = c.id)",
    ),
    ("count-for-existence", "SELECT count(*) > 0 FROM orders WHERE status = 'paid'"),
    (
        "count-for-existence",
        "SELECT id FROM products p WHERE (SELECT count(i.id) FROM order_items i WHERE i.product_id = p.id) = 0",
    ),
    (
        "correlated-subquery-filter",
        "SELECT o.id FROM orders o WHERE o.total > (SELECT avg(o2.total) FROM orders o2 "
        "WHERE o2.customer_id = o.customer_id)",
    ),
    (
        "correlated-subquery-filter",
        "SELECT c.id FROM customers c WHERE (SELECT max(o.created_at) FROM orders o WHERE o.customer_id = c.id) "
        "< timestamptz '2023-11-20'",
    ),
    ("union-without-all", "SELECT id, 'order' AS kind FROM orders UNION SELECT id, 'event' FROM events"),
    (
        "order-by-in-subquery",
        "SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders ORDER BY created_at)",
    ),
    (
        "order-by-in-subquery",
        "SELECT s.customer_id, count(*) FROM (SELECT customer_id FROM orders ORDER BY total) s GROUP BY s.customer_id",
    ),
    (
        "cte-multi-reference",
        "WITH t AS (SELECT customer_id, sum(total) AS s FROM orders GROUP BY customer_id) "
        "SELECT * FROM t WHERE s > (SELECT avg(s) FROM t)",
    ),
]


@pytest.fixture
def shop(scratch_database):
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(SETUP)
    return scratch_database


def _shown_statement(rule_id: str, sql: str) -> str:
    [finding] = [f for f in analyze(sql, shared_schema(), strict=True) if f.rule_id == rule_id]
    statements = [s for s in re.findall(r"`([^`]+)`", finding.fix) if re.match(r"(SELECT|WITH)\b", s)]
    assert statements, finding.fix
    return statements[0]


def _rows(conn, sql: str) -> Counter:
    return Counter(tuple(row) for row in conn.execute(sql).fetchall())


@pytest.mark.parametrize(("rule_id", "sql"), REWRITTEN, ids=[f"{r}-{i}" for i, (r, _) in enumerate(REWRITTEN)])
def test_the_statement_a_fix_shows_returns_the_same_rows(shop, rule_id, sql):
    rewritten = _shown_statement(rule_id, sql)
    assert rewritten.split() != sql.split()
    with psycopg.connect(shop) as conn:
        original = _rows(conn, sql)
        assert original, sql
        assert _rows(conn, rewritten) == original, rewritten


def test_the_range_join_matches_between(shop):
    sql = "SELECT o.id, p.name FROM orders o JOIN promotions p ON o.created_at BETWEEN p.starts_at AND p.ends_at"
    [finding] = [f for f in analyze(sql, shared_schema(), strict=True) if f.rule_id == "non-equi-join"]
    index, condition = re.findall(r"`([^`]+)`", finding.fix)[1:3]
    with psycopg.connect(shop) as conn:
        conn.execute(index.replace(" CONCURRENTLY", ""))  # inside the test's transaction
        original = _rows(conn, sql)
        assert original
        assert _rows(conn, sql.replace("o.created_at BETWEEN p.starts_at AND p.ends_at", condition)) == original
        conn.execute("SET enable_seqscan = off")
        ranged = sql.replace("o.created_at BETWEEN p.starts_at AND p.ends_at", condition)
        plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {ranged}"))
        assert "promotions_tstzrange_idx" in plan, plan
