"""Candidate generation from a query's shape (no database): the index shapes the issue asks for."""

import psycopg
import pytest

from optimizer import advisor
from optimizer.advisor import ColumnStats, ExistingIndex, TableInfo, generate_candidates
from optimizer.query_shape import param_count, select_shapes, tables_of


def _orders(**kwargs) -> dict:
    columns = {
        "id": ColumnStats("id", "bigint", -1),
        "customer_id": ColumnStats("customer_id", "bigint", 20000),
        "status": ColumnStats("status", "text", 4),
        "created_at": ColumnStats("created_at", "timestamptz", -0.9),
        "total": ColumnStats("total", "numeric", 1000),
        "meta": ColumnStats("meta", "jsonb", None),
        "email": ColumnStats("email", "text", -1),
        "country": ColumnStats("country", "text", 30),
    }
    info = TableInfo("public", "orders", kwargs.get("rows", 100000), 10**7, columns, kwargs.get("indexes", []))
    return {(None, "orders"): info}


def _ddls(sql, **kwargs):
    cands, skipped = generate_candidates(sql, _orders(**kwargs), trgm_available=True)
    return [c.ddl(concurrently=False) for c in cands], skipped


def test_equality_then_range_then_sort_with_direction():
    ddls, _ = _ddls("SELECT id FROM orders WHERE created_at > $1 AND customer_id = $2 ORDER BY created_at DESC")
    assert any("(customer_id, created_at)" in d for d in ddls)
    assert any("(customer_id, created_at DESC)" in d for d in ddls)


def test_partial_expression_include_gin():
    ddls, _ = _ddls("SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at")
    assert any(d.endswith("(created_at) WHERE status = 'pending'") for d in ddls)
    assert any("INCLUDE (total, id)" in d or "INCLUDE (id, total)" in d for d in ddls)
    ddls, _ = _ddls("SELECT id FROM orders WHERE lower(email) = 'a@b.c'")
    assert any("((lower(email)))" in d for d in ddls)
    ddls, _ = _ddls("SELECT id FROM orders WHERE email ILIKE '%x%'")
    assert any("USING gin (email gin_trgm_ops)" in d for d in ddls)
    ddls, _ = _ddls("""SELECT id FROM orders WHERE meta @> '{"a": 1}'""")
    assert any("USING gin (meta jsonb_path_ops)" in d for d in ddls)
    # SELECT * cannot be covered: no INCLUDE candidates.
    ddls, _ = _ddls("SELECT * FROM orders WHERE customer_id = 1")
    assert not any("INCLUDE" in d for d in ddls)


def test_only_the_lowest_cardinality_constant_moves_into_a_partial_predicate():
    # `country = 'US'` varies between calls of the same query; `status = 'failed'` is the fixed part.
    ddls, _ = _ddls("SELECT count(*) FROM orders WHERE status = 'failed' AND country = 'US'")
    partial = [d for d in ddls if " WHERE " in d]
    assert any(d.endswith("(country) WHERE status = 'failed'") for d in partial), partial
    assert not any("country = 'US'" in d for d in partial), partial


def test_existing_prefix_and_tiny_tables_are_skipped():
    existing = [ExistingIndex("orders_cust_status", "btree", ["customer_id", "status"], [], None)]
    ddls, skipped = _ddls("SELECT * FROM orders WHERE customer_id = 1", indexes=existing)
    assert not any(d.endswith("(customer_id)") for d in ddls)
    assert any("orders_cust_status" in s["reason"] for s in skipped)
    ddls, skipped = _ddls("SELECT * FROM orders WHERE customer_id = 1", rows=50)
    assert ddls == [] and skipped and all("tiny" in s["reason"] for s in skipped)


def test_shapes_of_subqueries_joins_and_parameters():
    sql = (
        "SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id "
        "WHERE EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.amount > 5)"
    )
    shapes = select_shapes(sql)
    assert {rel for s in shapes for rel in s.relations.values()} == {
        (None, "customers"),
        (None, "orders"),
        (None, "payments"),
    }
    inner = next(s for s in shapes if "p" in s.relations)
    assert [(p.column, p.kind) for p in inner.predicates] == [("order_id", "eq"), ("amount", "range")]
    assert tables_of(sql)[0] == (None, "customers")
    assert param_count("SELECT $2, $1") == 2


@pytest.mark.django_db
def test_generic_plans_survive_psycopg_auto_prepare(shop_database):
    # psycopg prepares a statement it sees five times; an EXPLAIN of $n must never be prepared.
    with psycopg.connect(shop_database) as conn:
        for _ in range(8):
            plan = advisor.explain_json(conn, "SELECT * FROM orders WHERE customer_id = $1")
            assert plan["Plan"]["Total Cost"] > 0


def test_candidates_that_give_the_order_by_are_marked():
    cands, _ = generate_candidates("SELECT id FROM orders WHERE customer_id = 1 ORDER BY created_at DESC", _orders())
    ordered = [c for c in cands if c.provides_order]
    assert ordered and all(c.keys[-1] == "created_at DESC" for c in ordered)
    assert any(not c.provides_order and c.keys == ("customer_id",) for c in cands)


def test_plan_shape_reads_what_the_planner_resolved():
    """A VERBOSE plan of a CTE with ORDER BY 1: every column qualified, flags and exclusions kept as predicates."""
    from optimizer.query_shape import plan_relations, plan_shape

    scan = {
        "Node Type": "Seq Scan",
        "Relation Name": "orders",
        "Schema": "public",
        "Alias": "orders",
        "Output": ["orders.id", "orders.starred"],
        "Filter": "((NOT orders.starred) AND (orders.status <> 'removed'::text) AND (orders.tags && '{a}'::text[]) "
        "AND (orders.customer_id = ANY ('{1,2}'::integer[])) AND ((orders.region)::text = 'EU'::text) "
        "AND (orders.created_at >= (now() - '1 day'::interval)) AND ((orders.meta ->> 'a'::text) = 'b'::text) "
        "AND (orders.id = (SubPlan 1)))",
    }
    plan = {
        "Plan": {
            "Node Type": "Limit",
            "Plans": [{"Node Type": "Sort", "Sort Key": ["orders.id DESC"], "Plans": [scan]}],
        }
    }
    [rel] = plan_relations(plan)
    assert (rel.alias, rel.schema, rel.name) == ("orders", "public", "orders")
    shape = plan_shape(plan, {"orders": ("public", "orders")})
    kinds = {(p.column, p.kind, p.partial_sql, p.expression) for p in shape.predicates}
    assert ("starred", "bool", "NOT starred", None) in kinds
    assert ("status", "ne", "status <> 'removed'", None) in kinds
    assert ("tags", "jsonb", None, None) in kinds
    assert ("customer_id", "eq", None, None) in kinds
    assert ("region", "eq", None, None) in kinds  # the planner's cast to text does not hide the column
    assert ("created_at", "range", None, None) in kinds
    assert any(p.expression == "meta ->> 'a'" for p in shape.predicates)  # EXPLAIN's ::text casts dropped
    assert [(s.column, s.descending) for s in shape.order_by] == [("id", True)] and shape.has_limit
