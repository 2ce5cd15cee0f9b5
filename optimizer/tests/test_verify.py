"""Result equivalence on a real database: same rows pass, different rows are caught, nothing is guessed."""

import psycopg
import pytest

from optimizer.verify import DIFFERENT, SAME, UNVERIFIED, compare_results

ORIGINAL = "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)"
SAME_ROWS = "SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"


@pytest.fixture
def conn(shop_database):
    with psycopg.connect(shop_database) as c:
        c.execute("BEGIN READ ONLY")
        yield c
        c.rollback()


@pytest.mark.django_db
def test_equivalent_rewrite_is_verified(conn):
    outcome = compare_results(conn, ORIGINAL, SAME_ROWS)
    assert outcome.outcome == SAME and outcome.verified


@pytest.mark.django_db
def test_different_rows_or_columns_are_caught(conn):
    wrong = compare_results(conn, ORIGINAL, "SELECT c.id FROM customers c WHERE c.id > 19990")
    assert wrong.outcome == DIFFERENT and not wrong.verified
    cols = compare_results(conn, "SELECT id, email FROM customers", "SELECT id FROM customers")
    assert cols.outcome == DIFFERENT and "columns" in cols.reason
    # Duplicates matter: a multiset, not a set.
    dup = compare_results(conn, "SELECT country FROM customers", "SELECT DISTINCT country FROM customers")
    assert dup.outcome == DIFFERENT


@pytest.mark.django_db
def test_past_the_row_cap_the_server_compares_hashes(conn):
    same = compare_results(conn, "SELECT id, total FROM orders", "SELECT id, total FROM orders ORDER BY id", row_cap=10)
    assert same.outcome == SAME and "server-side" in same.reason and same.rows_compared == 100000
    other = compare_results(conn, "SELECT id FROM orders", "SELECT id + 0 * 1 FROM orders WHERE id > 1", row_cap=10)
    assert other.outcome == DIFFERENT


@pytest.mark.django_db
def test_what_cannot_be_compared_is_never_verified(conn):
    assert compare_results(conn, "SELECT random()", "SELECT random()").outcome == UNVERIFIED
    assert compare_results(conn, "SELECT id FROM orders LIMIT 5", "SELECT id FROM orders LIMIT 5").outcome == UNVERIFIED
    assert compare_results(conn, "SELECT 1", "SELEC 1").outcome == UNVERIFIED
    failed = compare_results(conn, "SELECT id FROM customers", "SELECT nope FROM customers")
    assert failed.outcome == UNVERIFIED and "nope" in failed.reason
    # The transaction is still usable after a failed comparison.
    assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.django_db
def test_a_comparison_past_the_timeout_is_unverified_not_a_hang(conn):
    conn.execute("SET LOCAL statement_timeout = '100ms'")
    slow = "SELECT count(*) FROM orders a, orders b WHERE a.id % 7 = b.id % 11"
    outcome = compare_results(conn, slow, slow + " AND true")
    assert outcome.outcome == UNVERIFIED and "statement timeout" in outcome.reason
    assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.django_db
def test_rows_are_compared_read_only(conn):
    # The caller's transaction is READ ONLY: a "rewrite" (say, from the AI) that writes is refused by the server.
    writes = "WITH gone AS (DELETE FROM countries RETURNING code) SELECT code FROM gone"
    outcome = compare_results(conn, "SELECT code FROM countries", writes)
    assert outcome.outcome == UNVERIFIED and "read-only" in outcome.reason
    assert conn.execute("SELECT count(*) FROM countries").fetchone() == (3,)
