"""A sandboxed index PostgreSQL hides from the transaction that built it (pg_index.indcheckxmin).

On a busy server a transaction is always open somewhere; a table updated since it began has HOT chains whose
older versions that transaction may still see, and an index built over them is hidden from every plan in the
building transaction. The advisor must say so, never measure the hidden index as useless and drop it in silence.
Here an open transaction that holds a transaction id makes that state certain, not a matter of timing."""

import psycopg
import pytest

from optimizer import advisor
from optimizer.tests.conftest import vacuum_away_dead_rows
from optimizer.workload import WorkloadItem, advise_workload

# fillfactor 50 leaves room on every page, so each UPDATE below is a HOT update (same page, no indexed column).
ITEMS_SQL = """
CREATE TABLE items (id bigint PRIMARY KEY, kind int NOT NULL, price int NOT NULL)
    WITH (fillfactor = 50, autovacuum_enabled = off);
INSERT INTO items SELECT g, g % 5000, g % 97 FROM generate_series(1, 50000) g;
ANALYZE items;
"""
BY_KIND = "SELECT id, price FROM items WHERE kind = 42"


@pytest.fixture
def updated_under_an_open_transaction(scratch_database):
    """Items updated while another session's transaction (which holds an id) is still open."""
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(ITEMS_SQL)
    with psycopg.connect(scratch_database) as open_elsewhere:
        open_elsewhere.execute("SELECT pg_current_xact_id()")
        with psycopg.connect(scratch_database, autocommit=True) as conn:
            conn.execute("UPDATE items SET price = price + 1 WHERE id % 10 = 0")
        yield scratch_database
        open_elsewhere.rollback()


def test_the_index_is_hidden_from_the_building_transaction(updated_under_an_open_transaction):
    """The premise, checked on PostgreSQL itself: built in the transaction, flagged, and never planned."""
    with psycopg.connect(updated_under_an_open_transaction) as conn:
        conn.execute("CREATE INDEX items_kind ON items (kind)")
        flagged = conn.execute("SELECT indcheckxmin FROM pg_index WHERE indexrelid = 'items_kind'::regclass")
        assert flagged.fetchone()[0] is True
        plan = advisor.explain_json(conn, BY_KIND)
        assert "items_kind" not in advisor.plan_indexes(plan)
        conn.rollback()


def test_advice_labels_a_hidden_index_estimate_only_with_the_reason(updated_under_an_open_transaction):
    with psycopg.connect(updated_under_an_open_transaction) as conn:
        result = advisor.advise(conn, BY_KIND, allow_sandbox=True)
        conn.rollback()
    [index] = result.suggestions
    assert index.candidate.keys[0] == "kind" and not index.verified
    assert index.verification == advisor.ESTIMATE_ONLY
    assert "indcheckxmin" in index.reason_unverified and "HypoPG" in index.reason_unverified
    assert not any(r["reason"] == "the planner does not use it" for r in result.rejected), result.rejected


def test_workload_reports_a_hidden_index_as_not_measured(updated_under_an_open_transaction):
    items = [WorkloadItem(BY_KIND.replace("42", "$1"), total_time_ms=400.0)]
    with psycopg.connect(updated_under_an_open_transaction) as conn:
        advice = advise_workload(conn, items, allow_sandbox=True, write_cost_ms_per_row=0)
        conn.rollback()
    assert advice["indexes"] == []
    failed = {n["sql"]: n["error"] for n in advice["not_measured"]}
    assert failed and all(" ON public.items (kind" in sql for sql in failed), failed
    assert all("indcheckxmin" in error for error in failed.values()), failed
    for sql, error in failed.items():
        assert f"Not measured, so not chosen: {sql} ({error})." in advice["notes"]


def test_without_the_open_transaction_the_same_index_is_measured(scratch_database):
    """The same table and update with nothing open elsewhere: the index is built visible, measured and chosen."""
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(ITEMS_SQL)
        conn.execute("UPDATE items SET price = price + 1 WHERE id % 10 = 0")
        vacuum_away_dead_rows(conn, "items")  # what autovacuum does in time; nothing open holds the old versions
    with psycopg.connect(scratch_database) as conn:
        result = advisor.advise(conn, BY_KIND, allow_sandbox=True)
        conn.rollback()
    [index] = result.suggestions
    assert index.verification == advisor.SANDBOX and index.verified
    assert index.cost_after < index.cost_before
