"""The advisor's rules for families of real queries, each on a real planner (PostgreSQL 15 + HypoPG)."""

import psycopg
import pytest

from optimizer import advisor
from optimizer.workload import WorkloadItem, advise_workload


def _advise(url, query, **kwargs):
    with psycopg.connect(url) as conn:
        try:
            return advisor.advise(conn, query, **kwargs)
        finally:
            conn.rollback()


@pytest.mark.hypopg
def test_partial_index_for_a_constant_in_the_text_never_for_a_parameter_nor_keyed_on_its_column(hypopg_database):
    literal = _advise(hypopg_database, "SELECT id FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 20")
    [index] = literal.suggestions
    assert index.candidate.where == "status = 'pending'" and index.candidate.keys == ("created_at",)
    param = _advise(hypopg_database, "SELECT id FROM orders WHERE status = $1 ORDER BY created_at LIMIT 20")
    assert param.suggestions and all(s.candidate.where is None for s in param.suggestions)
    alone = _advise(hypopg_database, "SELECT id FROM orders WHERE status = 'pending'")
    for s in alone.suggestions:
        assert not (s.candidate.where and "status" in s.candidate.where and "status" in s.candidate.keys)


@pytest.mark.hypopg
def test_flags_and_exclusions_become_partial_predicates(hypopg_database):
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE orders ADD COLUMN flagged boolean NOT NULL DEFAULT false")
        conn.execute("UPDATE orders SET flagged = true WHERE id % 200 = 0")
        conn.execute("ANALYZE orders")
    result = _advise(hypopg_database, "SELECT id FROM orders WHERE flagged ORDER BY created_at DESC LIMIT 10")
    [index] = result.suggestions
    assert index.candidate.where == "flagged" and "flagged" not in index.candidate.keys


@pytest.mark.hypopg
def test_extending_an_existing_index_is_said_and_an_existing_index_that_serves_is_named(hypopg_database):
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.execute("CREATE INDEX orders_by_status ON orders (status)")
        conn.execute("ANALYZE orders")
    query = "SELECT id FROM orders WHERE status = $1 ORDER BY created_at DESC LIMIT 20"
    extended = _advise(hypopg_database, query)
    [index] = extended.suggestions
    assert index.candidate.keys[:2] == ("status", "created_at DESC")
    assert "extends existing index orders_by_status" in index.candidate.reason
    served = _advise(hypopg_database, "SELECT id, total FROM orders WHERE customer_id = 42")
    assert served.suggestions == []
    assert any("orders_by_customer already serves" in n for n in served.notes)


@pytest.mark.hypopg
def test_gin_and_trigram_are_estimate_only_with_a_reason_where_they_cannot_be_measured(hypopg_database):
    gin = _advise(hypopg_database, 'SELECT id FROM orders WHERE meta @> \'{"src": "ad"}\'')
    [index] = gin.suggestions
    assert index.verification == "estimate-only" and not index.verified and "USING gin" in index.sql
    assert "HypoPG cannot simulate GIN" in index.reason_unverified
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        conn.execute("DROP EXTENSION IF EXISTS pg_trgm")
    trgm = _advise(hypopg_database, "SELECT id FROM customers WHERE email ILIKE '%er12345@%'")
    [index] = trgm.suggestions
    assert index.verification == "estimate-only" and "gin_trgm_ops" in index.sql
    assert "pg_trgm extension is not installed" in index.reason_unverified


@pytest.mark.hypopg
def test_an_index_that_fits_only_the_pasted_literal_is_dropped(hypopg_database, monkeypatch):
    # What the planner does with the statement's generic form and with pg_stats' values decides; here, a planner
    # that uses the index for none of them (as for a literal that happens to be rare on a skewed column).
    real = advisor._plan_forms
    monkeypatch.setattr(advisor, "_plan_forms", lambda *args: [(kind, label, set()) for kind, label, _ in real(*args)])
    result = _advise(hypopg_database, "SELECT id, total FROM orders WHERE customer_id = 42")
    assert result.suggestions == []
    reasons = [r["reason"] for r in result.rejected if "fits only the literal" in r["reason"]]
    assert reasons and "not used for the generic plan" in reasons[0]
    assert "not used for a value outside the most common ones" in reasons[0]
    monkeypatch.setattr(advisor, "_plan_forms", real)
    kept = _advise(hypopg_database, "SELECT id, total FROM orders WHERE customer_id = 42")
    [index] = kept.suggestions
    assert "used for the generic plan" in index.candidate.reason
    assert "used for a value outside the most common ones" in index.candidate.reason


def test_wide_keys_are_capped_and_a_refused_key_falls_back_to_a_shorter_prefix():
    wide = {name: advisor.ColumnStats(name, "text", -0.5, width=600) for name in ("a", "b", "c")}
    table = advisor.TableInfo("public", "t", 1e6, 1 << 30, wide, [])
    assert advisor._capped(table, ["a", "b", "c"]) == ["a"]

    class Refusing:
        def add(self, cand):
            if len(cand.keys) > 1:
                raise psycopg.errors.ProgramLimitExceeded("index row size exceeds btree maximum")
            return advisor.HYPOPG, "<1>btree_t_a", 8192

    cand, name, _ = advisor._add_or_shorten(Refusing(), advisor.Candidate("public", "t", ("a", "b")))
    assert cand.keys == ("a",) and "shortened" in cand.reason and name == "<1>btree_t_a"


@pytest.mark.hypopg
def test_workload_rescores_across_tables_and_never_keeps_a_prefix_of_a_chosen_index(hypopg_database):
    items = [
        WorkloadItem("SELECT o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = $1", 500.0),
        WorkloadItem("SELECT id FROM orders WHERE customer_id = $1", 100.0),
        WorkloadItem("SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 5", 100.0),
    ]
    with psycopg.connect(hypopg_database) as conn:
        advice = advise_workload(conn, items, write_cost_ms_per_row=0)
    chosen = [advisor.parse_index_ddl(i["sql"]) for i in advice["indexes"]]
    tables = {c.table for c in chosen}
    assert tables == {"customers", "orders"}, advice["indexes"]
    for a in chosen:
        for b in chosen:
            if a is not b and (a.table, a.where) == (b.table, b.where):
                assert b.keys[: len(a.keys)] != a.keys, (a.keys, b.keys)
    assert all(i["serves"] for i in advice["indexes"])
