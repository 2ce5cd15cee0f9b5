"""The rule engine's contract: findings, locations, schema handling, errors, robustness."""

from __future__ import annotations

import pytest

from optimizer.rules import RULES, SchemaInfo, SqlSyntaxError, analyze, get_rule
from optimizer.rules.model import index_from_dict
from optimizer.tests.corpus import shared_schema


def ids(findings) -> list[str]:
    return [f.rule_id for f in findings]


def test_rule_metadata_is_complete():
    for rule in RULES:
        assert rule.severity in ("info", "warning", "critical"), rule.id
        assert rule.title and rule.explanation and rule.fix, rule.id
        assert rule.doc_url == f"/app/rules/{rule.id}/"
        assert rule.example, rule.id
        assert get_rule(rule.id) is rule
    assert sum(r.needs_schema for r in RULES) >= 10
    assert sum(not r.needs_schema for r in RULES) >= 20


def test_finding_location_points_at_the_offending_text():
    sql = "SELECT id FROM orders WHERE date_trunc('day', created_at) = '2024-01-01' AND note = NULL OFFSET 5000"
    found = {f.rule_id: f for f in analyze(sql)}

    def text(rule_id):
        loc = found[rule_id].location
        return sql[loc["start"] : loc["end"]]

    assert text("date-function-equality") == "date_trunc('day', created_at) = '2024-01-01'"
    assert text("null-comparison") == "note = NULL"
    assert text("deep-offset") == "OFFSET 5000"


@pytest.mark.parametrize(
    ("sql", "rule_id", "text"),
    [
        ("UPDATE orders SET note = 'x' WHERE NULL != coupon_code", "null-comparison", "NULL != coupon_code"),
        (
            "SELECT 1 FROM orders WHERE status NOT IN ('a', NULL) AND id = 2",
            "not-in-list-with-null",
            "status NOT IN ('a', NULL)",
        ),
        (
            "SELECT 1 FROM customers c WHERE 0 = (SELECT count(*) FROM orders o WHERE o.customer_id = c.id)",
            "count-for-existence",
            "0 = (SELECT count(*) FROM orders o WHERE o.customer_id = c.id)",
        ),
        ("SELECT id FROM jobs WHERE state = 1 FOR UPDATE", "for-update-without-nowait", "FOR UPDATE"),
        ("SELECT id FROM t ORDER BY random() LIMIT 3", "order-by-random", "random()"),
        ("SELECT o.*, c.id FROM orders o JOIN customers c ON c.id = o.customer_id", "select-star", "o.*"),
    ],
)
def test_locations_cover_the_whole_construct(sql, rule_id, text):
    (finding,) = [f for f in analyze(sql) if f.rule_id == rule_id]
    assert sql[finding.location["start"] : finding.location["end"]] == text


def test_locations_are_character_offsets_with_non_ascii_text():
    sql = "SELECT 'déjà vu', id FROM customers WHERE name = NULL"
    (finding,) = [f for f in analyze(sql) if f.rule_id == "null-comparison"]
    assert sql[finding.location["start"] : finding.location["end"]] == "name = NULL"


def test_findings_are_sorted_by_severity_then_position():
    sql = "SELECT * FROM orders WHERE status = NULL ORDER BY random()"
    findings = analyze(sql)
    order = {"critical": 0, "warning": 1, "info": 2}
    keys = [(order[f.severity], (f.location or {}).get("start", 1 << 30)) for f in findings]
    assert keys == sorted(keys)
    assert ids(findings)[0] == "null-comparison"


def test_finding_as_dict_is_json_ready():
    (finding,) = [f for f in analyze("DELETE FROM events") if f.rule_id == "delete-without-where"]
    data = finding.as_dict()
    assert data["rule_id"] == "delete-without-where" and data["severity"] == "critical"
    assert data["doc_url"] == "/app/rules/delete-without-where/"
    assert set(data) == {"rule_id", "severity", "message", "fix", "location", "doc_url"}


def test_syntax_error_is_reported_with_its_position():
    with pytest.raises(SqlSyntaxError) as exc:
        analyze("SELECT id FROM WHERE x = 1")
    assert exc.value.location is not None
    assert isinstance(exc.value, ValueError)


def test_several_statements_are_all_checked():
    found = ids(analyze("UPDATE orders SET status = 'x'; DELETE FROM events"))
    assert "update-without-where" in found and "delete-without-where" in found


@pytest.mark.parametrize(
    "sql",
    [
        "",
        "-- only a comment",
        "CREATE TABLE t (id int PRIMARY KEY)",
        "EXPLAIN ANALYZE SELECT 1",
        "SELECT",
        "VALUES (1), (2)",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
        "SELECT x.* FROM jsonb_to_recordset('[]'::jsonb) AS x(a int) LIMIT 1",
        "COPY orders TO STDOUT",
        "SELECT a FROM (VALUES (1)) v(a) WHERE a IN (SELECT 1) GROUP BY ROLLUP (a)",
        "INSERT INTO orders (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET status = excluded.status",
        "MERGE INTO orders o USING customers c ON o.customer_id = c.id WHEN MATCHED THEN DELETE",
    ],
)
def test_unusual_statements_do_not_break_the_engine(sql):
    for schema in (None, shared_schema()):
        findings = analyze(sql, schema, strict=True)
        assert all(f.rule_id in {r.id for r in RULES} for f in findings)


def test_schema_rules_are_silent_for_tables_the_schema_does_not_know():
    sql = "SELECT id FROM mystery WHERE lower(name) = 'x' AND code = 5 ORDER BY created_at LIMIT 5"
    found = analyze(sql, shared_schema())
    assert not [f for f in found if get_rule(f.rule_id).needs_schema]


def test_schema_rules_use_the_schema_when_present():
    sql = "SELECT id FROM customers WHERE lower(name) = 'x'"
    assert "case-insensitive-without-expression-index" not in ids(analyze(sql))
    assert "case-insensitive-without-expression-index" in ids(analyze(sql, shared_schema()))


def test_expression_index_written_as_catalog_text_is_recognised():
    # pg_get_indexdef spells the index `lower((email)::text)`; the query says lower(email)
    schema = SchemaInfo.from_dict(
        {
            "tables": {
                "people": {
                    "columns": {"email": {"type": "character varying(200)"}},
                    "indexes": [{"name": "people_lower_email", "expressions": ["lower((email)::text)"]}],
                }
            }
        }
    )
    assert "case-insensitive-without-expression-index" not in ids(
        analyze("SELECT 1 FROM people WHERE lower(email) = 'a@b.c'", schema)
    )
    assert "case-insensitive-without-expression-index" in ids(
        analyze("SELECT 1 FROM people WHERE upper(email) = 'A@B.C'", schema)
    )


def _people(index: dict) -> SchemaInfo:
    return SchemaInfo.from_dict(
        {"tables": {"people": {"row_estimate": 100_000, "columns": {"name": {"type": "text"}}, "indexes": [index]}}}
    )


@pytest.mark.parametrize(
    ("index", "prefix_ok", "infix_ok"),
    [
        # key list only (what pg_get_indexdef per key gives): the operator class is unknown, so silent for
        # prefixes; no B-tree can serve an infix pattern whatever its operator class
        ({"name": "i", "columns": ["name"]}, True, False),
        (
            {"name": "i", "columns": ["name"], "definition": "CREATE INDEX i ON public.people USING btree (name)"},
            False,
            False,
        ),
        ({"name": "i", "columns": ["name text_pattern_ops"]}, True, False),
        ({"name": "i", "columns": ["name"], "opclasses": ["text_pattern_ops"]}, True, False),
        ({"name": "i", "columns": ["name"], "method": "gin"}, True, True),
        (
            {
                "name": "i",
                "columns": ["name"],
                "definition": "CREATE INDEX i ON public.people USING gin (name gin_trgm_ops)",
            },
            True,
            True,
        ),
        (
            {
                "name": "i",
                "columns": ["name"],
                "definition": "CREATE INDEX i ON public.people (name varchar_pattern_ops)",
            },
            True,
            False,
        ),
    ],
)
def test_like_rule_reads_operator_classes(index, prefix_ok, infix_ok):
    schema = _people(index)
    prefix = ids(analyze("SELECT 1 FROM people WHERE name LIKE 'ab%'", schema))
    infix = ids(analyze("SELECT 1 FROM people WHERE name LIKE '%ab%'", schema))
    assert ("like-without-pattern-index" not in prefix) == prefix_ok
    assert ("like-without-pattern-index" not in infix) == infix_ok


def test_index_definition_fills_columns_expressions_and_method():
    info = index_from_dict(
        {"name": "x", "definition": "CREATE UNIQUE INDEX x ON public.t USING btree (a, lower((b)::text) DESC)"}
    )
    assert info.columns == ["a"] and info.unique and info.method == "btree"
    assert info.expressions and "lower" in info.expressions[0]


def test_implicit_cast_severity_depends_on_what_happens():
    schema = shared_schema()

    def severity(sql):
        (f,) = [f for f in analyze(sql, schema) if f.rule_id == "implicit-cast-column-type"]
        return f.severity

    assert severity("SELECT 1 FROM customers WHERE phone = 5550100") == "critical"  # fails at run time
    assert severity("SELECT 1 FROM orders WHERE customer_id = 42.0") == "warning"  # index lost
    assert severity("SELECT 1 FROM orders WHERE customer_id = '42'") == "info"  # works, fragile
    assert severity("SELECT 1 FROM orders WHERE customer_id = 'abc'") == "critical"


def test_not_in_nullable_names_the_column():
    (f,) = [
        f
        for f in analyze(
            "SELECT id FROM products WHERE id NOT IN (SELECT product_id FROM order_items)", shared_schema()
        )
        if f.rule_id == "not-in-nullable-subquery"
    ]
    assert "order_items.product_id" in f.message and f.severity == "critical"


def test_union_tagged_branches_are_a_warning():
    (f,) = [
        f
        for f in analyze("SELECT id, 'a' FROM orders UNION SELECT id, 'b' FROM events")
        if f.rule_id == "union-without-all"
    ]
    assert f.severity == "warning"
    (g,) = [f for f in analyze("SELECT id FROM orders UNION SELECT id FROM events") if f.rule_id == "union-without-all"]
    assert g.severity == "info"


def test_unqualified_column_resolution_uses_the_schema_for_joins():
    # `order_id` is only in order_items: the schema tells the engine which side of the join it belongs to
    sql = "SELECT o.id FROM orders o JOIN order_items ON order_id = o.id"
    assert "unindexed-foreign-key-join" in ids(analyze(sql, shared_schema()))


def test_rules_subset_can_be_selected():
    only = [get_rule("select-star")]
    assert ids(analyze("SELECT * FROM orders WHERE status = NULL", rules=only)) == ["select-star"]


# What an ORM or a careful engineer writes against the shared schema: no warning or critical finding allowed.
WELL_WRITTEN = [
    'SELECT "orders"."id", "orders"."status" FROM "orders" WHERE "orders"."customer_id" = 5 '
    'ORDER BY "orders"."created_at" DESC LIMIT 21',
    'SELECT COUNT(*) AS "__count" FROM "orders" WHERE "orders"."status" = \'paid\'',
    'INSERT INTO "orders" ("customer_id", "status", "total", "created_at") VALUES (1, \'new\', 10, now()) '
    'RETURNING "orders"."id"',
    'UPDATE "orders" SET "status" = \'paid\' WHERE "orders"."id" = 5',
    'SELECT "orders"."id" FROM "orders" INNER JOIN "customers" ON ("orders"."customer_id" = "customers"."id") '
    'WHERE "customers"."email" = \'x@example.com\'',
    'SELECT 1 AS "a" FROM "orders" WHERE "orders"."id" = 5 LIMIT 1',
    'SELECT "order_items"."id", "order_items"."order_id" FROM "order_items" WHERE "order_items"."product_id" IN (1, 2, 3)',
    "SELECT id, status FROM orders WHERE id = 42 LIMIT 21",
    "SELECT date_trunc('day', created_at) AS day, count(*) FROM orders WHERE created_at >= now() - interval '30 days' "
    "GROUP BY 1 ORDER BY 1",
    "SELECT c.id, c.email FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) "
    "ORDER BY c.id LIMIT 100",
    "SELECT id FROM events WHERE customer_id = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT 50",
    "WITH paid AS (SELECT customer_id, sum(total) AS t FROM orders WHERE status = 'paid' GROUP BY customer_id) "
    "SELECT c.email, p.t FROM paid p JOIN customers c ON c.id = p.customer_id ORDER BY p.t DESC LIMIT 10",
    "SELECT p.id, p.name FROM products p WHERE p.category_id = $1 AND p.price BETWEEN $2 AND $3 ORDER BY p.price LIMIT 20",
    "UPDATE orders SET status = 'shipped', shipped_at = now() WHERE id = ANY($1)",
    "DELETE FROM events WHERE created_at < now() - interval '90 days'",
    "SELECT id FROM customers WHERE lower(email) = lower($1)",
    "SELECT c.country, count(*) FROM customers c GROUP BY c.country HAVING count(*) > 10",
    "SELECT id, total FROM orders WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT 50",
    "SELECT p.id, i.order_id, i.quantity FROM products p JOIN order_items i ON i.product_id = p.id WHERE p.id = $1",
    "SELECT id FROM customers WHERE name ILIKE '%ann%' ORDER BY id LIMIT 20",
    "SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
    "INSERT INTO events (customer_id, kind, created_at) SELECT id, 'welcome', now() FROM customers WHERE created_at > $1",
    "SELECT e.kind, count(*) FROM events e WHERE e.created_at >= $1 AND e.created_at < $2 GROUP BY e.kind",
]


@pytest.mark.parametrize("sql", WELL_WRITTEN)
def test_well_written_queries_get_no_warnings(sql):
    noisy = [f for f in analyze(sql, shared_schema(), strict=True) if f.severity != "info"]
    assert not noisy, [(f.rule_id, f.message) for f in noisy]


def test_a_failing_rule_is_skipped_not_fatal(caplog):
    from optimizer.rules import Rule

    def broken(ctx):
        raise RuntimeError("boom")

    rules = [Rule("broken", "Broken", "info", "x", "y", broken), get_rule("null-comparison")]
    assert ids(analyze("SELECT 1 FROM t WHERE a = NULL", rules=rules)) == ["null-comparison"]
    assert "broken" in caplog.text
    with pytest.raises(RuntimeError):
        analyze("SELECT 1", rules=rules, strict=True)


def test_schema_table_names_are_normalised():
    schema = SchemaInfo.from_dict({"tables": {"public.Shipments": {"columns": {"Ref": {"type": "text"}}}}})
    assert "shipments" in schema.tables and "ref" in schema.tables["shipments"].columns
    found = ids(analyze("SELECT 1 FROM public.shipments WHERE ref = 42", schema))
    assert "implicit-cast-column-type" in found
