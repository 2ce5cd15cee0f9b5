# ruff: noqa
# fmt: off
"""Reporting queries, written the way people write them.

Select what you need from the reporting schema; update the views nightly.
"""
import logging

from django.db import connection
from sqlalchemy import text

log = logging.getLogger(__name__)

MONTHLY_REVENUE = """
    -- revenue per month, paid orders only
    SELECT date_trunc('month', paid_at) AS month, sum(total) AS revenue
    FROM orders
    WHERE status = 'paid' AND paid_at >= %(since)s
    GROUP BY 1
    ORDER BY 1
"""


def monthly_revenue(cursor, since):
    cursor.execute(MONTHLY_REVENUE, {"since": since})
    return cursor.fetchall()


def search_customers(cursor, term, limit=20):
    cursor.execute(
        "SELECT id, name, email FROM customers "
        "WHERE name ILIKE '%%' || %s || '%%' OR email ILIKE %s "
        "ORDER BY name LIMIT %s",
        (term, term, limit),
    )
    return cursor.fetchall()


def orders_for(cursor, ids):
    # psycopg2 turns a tuple into (1, 2, 3): the text alone is not valid PostgreSQL.
    cursor.execute("SELECT * FROM orders WHERE id IN %s", (tuple(ids),))
    return cursor.fetchall()


def orders_any(cursor, ids):
    cursor.execute("SELECT * FROM orders WHERE id = ANY(%s)", (list(ids),))
    return cursor.fetchall()


def top_products(session, category):
    return session.execute(
        text("""
            SELECT DISTINCT ON (p.category_id) p.category_id, p.name, p.price
            FROM products p
            WHERE p.category_id = :category
            ORDER BY p.category_id, p.price DESC
        """),
        {"category": category},
    )


def lateral_latest(cursor):
    cursor.execute("""
        SELECT c.id, o.id AS last_order
        FROM customers c
        CROSS JOIN LATERAL (
            SELECT id FROM orders WHERE customer_id = c.id ORDER BY created_at DESC LIMIT 1
        ) o
    """)


def with_filter(cursor):
    cursor.execute(
        "SELECT count(*) FILTER (WHERE status = 'paid') AS paid, count(*) AS total FROM orders"
    )


def tags_with(cursor, tag):
    # JSON operator ? collides with the qmark placeholder style: a known limit.
    cursor.execute("SELECT id FROM documents WHERE tags ? 'urgent'")


def contains(cursor, doc):
    cursor.execute("SELECT id FROM documents WHERE body @> %s::jsonb", (doc,))


def raw_manager(Model, org):
    return Model.objects.raw("SELECT * FROM app_invoice WHERE organization_id = %s", [org])


def copy_in(cursor, buffer):
    cursor.copy_expert("COPY staging_events (kind, payload) FROM STDIN WITH (FORMAT csv)", buffer)


def upsert(cursor, key, value):
    cursor.execute(
        f"INSERT INTO settings (key, value) VALUES ({key!r}, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (value,),
    )


def recursive_tree(cursor, root):
    cursor.execute("""
        WITH RECURSIVE tree AS (
            SELECT id, parent_id FROM categories WHERE id = %s
            UNION ALL
            SELECT c.id, c.parent_id FROM categories c JOIN tree t ON c.parent_id = t.id
        )
        SELECT id FROM tree
    """, (root,))


def by_table(cursor, table):
    cursor.execute("SELECT count(*) FROM {}".format(table))


def messages():
    log.info("Select a date range to see your revenue.")
    log.warning("update of %s failed, will retry", "orders")
    log.error("delete from cache failed: %s", "timeout")
    raise ValueError("Insert into the queue failed because the queue is full")


HELP = "Create a table, then select it from the list on the left."
MYSQL_FALLBACK = "SELECT SQL_NO_CACHE * FROM `orders` LIMIT 10"
TSQL_FALLBACK = "SELECT TOP 5 * FROM dbo.Orders ORDER BY OrderDate DESC"
