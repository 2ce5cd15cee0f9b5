"""The lock the review claims for each statement is the one PostgreSQL really takes (read from pg_locks)."""

import psycopg
import pytest

from migration_safety import review
from migration_safety.locks import STRENGTH

# pg_locks' mode names -> the review's.
_MODES = {
    "AccessShareLock": "",
    "RowShareLock": "",
    "RowExclusiveLock": "",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}

STATEMENTS = [
    "CREATE INDEX orders_status_idx ON orders (status)",
    "ALTER TABLE orders ADD COLUMN note text",
    "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()",
    "ALTER TABLE orders ALTER COLUMN status SET NOT NULL",
    "ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2)",
    "ALTER TABLE orders ADD CONSTRAINT orders_c_fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID",
    "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID",
    "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey",
    "ALTER TABLE orders RENAME COLUMN status TO state",
    "ALTER TABLE orders DROP COLUMN total",
    "ALTER TABLE orders ADD CONSTRAINT orders_total_key UNIQUE (total)",
    "ALTER TABLE orders SET (fillfactor = 90)",
    "ALTER TABLE orders ALTER COLUMN status SET STATISTICS 500",
    "TRUNCATE orders CASCADE",
    "LOCK TABLE orders IN SHARE MODE",
    "CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "REFRESH MATERIALIZED VIEW order_totals",
]


def _strongest_lock_taken(conn, sql: str, table: str) -> str:
    with conn.transaction(force_rollback=True):
        conn.execute(sql)
        modes = conn.execute(
            "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' "
            "AND relation = %s::regclass",
            (table,),
        ).fetchall()
    return max((_MODES[m] for (m,) in modes), key=STRENGTH.index, default="")


@pytest.fixture
def orders_db(orders_database):
    """The seed's orders and customers (tests/targets.py), plus a materialized view over them."""
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute(
            "CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, count(*) FROM orders GROUP BY customer_id"
        )
    return orders_database


@pytest.mark.parametrize("sql", STATEMENTS)
def test_claimed_lock_is_the_lock_postgres_takes(orders_db, sql):
    claimed = review(sql).statements[0]
    table = claimed.tables[0] if claimed.tables else "orders"
    with psycopg.connect(orders_db, autocommit=True) as conn:
        taken = _strongest_lock_taken(conn, sql, table)
    assert claimed.lock == taken, f"{sql}: review says {claimed.lock or 'none'}, PostgreSQL took {taken or 'none'}"


def test_the_safer_rewrites_run_on_postgres(orders_db):
    """The multi-step rewrites the rules offer are real SQL that PostgreSQL accepts, in order."""
    findings = review(
        "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_cust_fk FOREIGN KEY (customer_id) REFERENCES customers;\n"
        "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);\n"
        "ALTER TABLE customers ADD CONSTRAINT customers_email_key2 UNIQUE (email);\n"
        "CREATE INDEX orders_total_idx ON orders (total);\n"
    ).findings
    rewrites = [f.safer for f in findings if f.rule != "missing-lock-timeout"]
    assert len(rewrites) == 5
    with psycopg.connect(orders_db, autocommit=True) as conn:
        for sql in rewrites:
            for statement in filter(None, (s.split("--")[0].strip() for s in sql.split(";\n"))):
                conn.execute(statement)
        assert conn.execute(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'status'"
        ).fetchone()[0]
        assert conn.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'orders_cust_fk'").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_total_idx'").fetchone()[0] == 1
