"""The index advisor, measured by real planners: HypoPG on PostgreSQL 15, the sandbox on the embedded server."""

import psycopg
import pytest

from optimizer import advisor
from optimizer.workload import WorkloadItem, advise_workload

PENDING = "SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at DESC LIMIT 20"
BY_CUSTOMER = "SELECT id, total FROM orders WHERE customer_id = 42 AND created_at > '2024-01-02'"


def _advise(url, query, **kwargs):
    with psycopg.connect(url) as conn:
        try:
            return advisor.advise(conn, query, **kwargs)
        finally:
            conn.rollback()


def _index_names(url):
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}


@pytest.mark.hypopg
def test_hypopg_partial_index_for_a_constant_predicate_with_sort(hypopg_database):
    result = _advise(hypopg_database, PENDING)
    assert result.mode == "hypopg"
    [best] = [s for s in result.suggestions if s.candidate.table == "orders"]
    assert best.verification == "hypopg" and best.verified
    assert "WHERE status = 'pending'" in best.sql and "created_at DESC" in best.sql
    assert best.sql.startswith("CREATE INDEX CONCURRENTLY")
    # The planner used the hypothetical index (HypoPG names it "<oid>btree_...").
    assert best.used_as.startswith("<") and best.used_as in advisor.plan_indexes(best.plan_after)
    assert best.cost_after < best.cost_before * 0.8
    # Nothing hypothetical survives the advice.
    with psycopg.connect(hypopg_database) as conn:
        assert conn.execute("SELECT count(*) FROM hypopg_list_indexes").fetchone()[0] == 0


@pytest.mark.hypopg
def test_hypopg_equality_before_range_and_expression_index(hypopg_database):
    result = _advise(hypopg_database, BY_CUSTOMER)
    keys = result.suggestions[0].candidate.keys
    assert keys[:2] == ("customer_id", "created_at")
    lower = _advise(hypopg_database, "SELECT id FROM customers WHERE lower(email) = 'user5@example.com'")
    assert any("(lower(email))" in s.sql for s in lower.suggestions)


@pytest.mark.hypopg
def test_hypopg_skips_what_an_existing_index_covers_and_tiny_tables(hypopg_database):
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        conn.execute("CREATE INDEX orders_customer_created ON orders (customer_id, created_at, status)")
        conn.execute("ANALYZE orders")
    result = _advise(hypopg_database, "SELECT * FROM orders WHERE customer_id = 42")
    assert not result.suggestions
    assert any("already served by index orders_customer_created" in r["reason"] for r in result.rejected)
    tiny = _advise(hypopg_database, "SELECT * FROM countries WHERE name = 'Israel'")
    assert not tiny.suggestions
    assert any("tiny" in r["reason"] for r in tiny.rejected)


@pytest.mark.hypopg
def test_hypopg_keeps_only_candidates_with_a_clear_gain(hypopg_database):
    # Almost every row is 'paid': an index on status cannot help, so nothing is suggested.
    result = _advise(hypopg_database, "SELECT count(*) FROM orders WHERE status = 'paid'")
    assert result.suggestions == []
    # With an impossible margin, even the good candidate is refused.
    strict = _advise(hypopg_database, BY_CUSTOMER, min_gain=0.9999)
    assert strict.suggestions == []
    assert any("under" in r["reason"] for r in strict.rejected)


@pytest.mark.hypopg
def test_hypopg_generic_plan_for_parameters_on_15(hypopg_database):
    result = _advise(hypopg_database, "SELECT * FROM orders WHERE customer_id = $1")
    assert result.suggestions and result.suggestions[0].candidate.keys == ("customer_id",)


@pytest.mark.hypopg
def test_workload_one_set_under_a_budget(hypopg_database):
    items = [
        WorkloadItem("SELECT * FROM orders WHERE customer_id = $1", total_time_ms=5000),
        WorkloadItem(BY_CUSTOMER, total_time_ms=1000),
        WorkloadItem(PENDING, total_time_ms=3000),
        WorkloadItem("SELECT id FROM customers WHERE lower(email) = 'user5@example.com'", total_time_ms=50),
    ]
    with psycopg.connect(hypopg_database) as conn:
        full = advise_workload(conn, items, budget_bytes=1 << 30, max_indexes=5)
        conn.rollback()
        one = advise_workload(conn, items, budget_bytes=1 << 30, max_indexes=1)
        conn.rollback()
    assert full["verification"] == "hypopg"
    orders_index = next(i for i in full["indexes"] if "customer_id" in i["sql"])
    assert set(orders_index["serves"]) >= {0, 1}, "one index on customer_id serves both customer queries"
    assert full["budget"]["count"] == len(full["indexes"]) <= 5
    assert full["budget"]["bytes_used"] == sum(i["size_bytes"] for i in full["indexes"])
    assert 0 < full["estimated_gain"] <= 1
    assert one["budget"]["count"] == 1 and "customer_id" in one["indexes"][0]["sql"]
    # A byte budget smaller than the customer index leaves it out.
    with psycopg.connect(hypopg_database) as conn:
        small = advise_workload(conn, items, budget_bytes=orders_index["size_bytes"] // 4, max_indexes=5)
    assert all("customer_id" not in i["sql"] for i in small["indexes"])
    assert small["budget"]["bytes_used"] <= orders_index["size_bytes"] // 4


@pytest.mark.django_db
def test_sandbox_measures_gin_trigram_and_rolls_back(shop_database):
    with psycopg.connect(shop_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    before = _index_names(shop_database)
    result = _advise(shop_database, "SELECT id FROM customers WHERE email ILIKE '%er777%'", allow_sandbox=True)
    assert result.mode == "sandbox"
    [gin] = result.suggestions
    assert "USING gin (email gin_trgm_ops)" in gin.sql and gin.verification == "sandbox" and gin.verified
    assert gin.used_as.startswith("dbooster_") and gin.size_bytes > 0
    assert _index_names(shop_database) == before, "the sandboxed index was rolled back"


@pytest.mark.django_db
def test_sandbox_jsonb_containment_and_partial_index(shop_database):
    jsonb = _advise(shop_database, """SELECT count(*) FROM orders WHERE meta @> '{"src": "ad"}'""", allow_sandbox=True)
    assert jsonb.suggestions and "USING gin" in jsonb.suggestions[0].sql
    pending = _advise(shop_database, PENDING, allow_sandbox=True)
    assert pending.suggestions[0].verification == "sandbox"
    assert "WHERE status = 'pending'" in pending.suggestions[0].sql


@pytest.mark.django_db
def test_without_hypopg_or_sandbox_it_is_estimate_only(shop_database):
    result = _advise(shop_database, BY_CUSTOMER, allow_sandbox=False)
    assert result.mode == "estimate-only"
    assert result.suggestions and all(s.verification == "estimate-only" for s in result.suggestions)
    assert not any(s.verified for s in result.suggestions)
    assert result.notes


@pytest.mark.django_db
def test_without_hypopg_or_sandbox_an_unselective_btree_is_proposed_estimate_only_with_its_reason(shop_database):
    # orders.status has three values, so the statement's generic form keeps a third of the table: nothing can say
    # here whether the planner would use an index for the rare 'pending', so it is proposed unverified, with why.
    result = _advise(shop_database, "SELECT id, total FROM orders WHERE status = 'pending'", allow_sandbox=False)
    [index] = result.suggestions
    assert index.verification == "estimate-only" and not index.verified
    assert index.candidate.keys == ("status",) and index.candidate.where is None
    assert "HypoPG is not installed" in index.reason_unverified
    assert "generic form keeps about 33% of the rows" in index.reason_unverified
    assert "status = 'pending'" in index.reason_unverified


def test_parse_index_ddl_round_trip():
    cand = advisor.parse_index_ddl("CREATE INDEX ix ON public.orders (customer_id, created_at DESC) WHERE status = 'x'")
    assert cand.table == "orders" and cand.keys == ("customer_id", "created_at DESC")
    assert cand.ddl(concurrently=False).endswith("(customer_id, created_at DESC) WHERE status = 'x'")
    assert advisor.parse_index_ddl("DROP TABLE orders") is None
    assert advisor.parse_index_ddl("not sql at all") is None


@pytest.mark.hypopg
def test_workload_weighs_write_cost_on_busy_tables(hypopg_database):
    items = [WorkloadItem("SELECT * FROM orders WHERE customer_id = $1", total_time_ms=5000)]
    with psycopg.connect(hypopg_database) as conn:
        cheap_writes = advise_workload(conn, items, write_cost_ms_per_row=0.0001)
        conn.rollback()
        # orders took 100,000 inserts: at 1 ms per written row, no read saving pays for another index.
        busy = advise_workload(conn, items, write_cost_ms_per_row=1.0)
        conn.rollback()
    assert cheap_writes["indexes"] and cheap_writes["indexes"][0]["write_cost_ms"] == pytest.approx(10.0)
    assert busy["indexes"] == []
