"""The DDL builder: structured changes built into DDL on the demo shop and pagila, reviewed, proposed; the DDL
it writes is run on the real database (in a transaction rolled back) to prove PostgreSQL accepts it."""

import psycopg
import pytest

from approvals.models import Proposal
from workbench.tests.test_tables_api import pagila  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _preview(client, project, change, **extra):
    return client.post(f"/projects/{project.pk}/schema-changes/preview", {"change": change, **extra}, format="json")


def _built(client, project, change, **extra) -> dict:
    response = _preview(client, project, change, **extra)
    assert response.status_code == 200, response.json()
    return response.json()


def _runs_on(url: str, statements: list[str]) -> None:
    """PostgreSQL accepts the statements (then everything is rolled back)."""
    with psycopg.connect(url) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.rollback()


def _rule_ids(body: dict) -> set[str]:
    return {f["rule"] for f in body["safety_review"]["findings"]}


def test_create_table_quotes_identifiers_and_runs(member_client, project, orders_synced, orders_database):
    change = {
        "action": "create_table",
        "table": 'Order "notes"',
        "columns": [
            {"name": "id", "type": "bigint", "nullable": False, "primary_key": True},
            {"name": "order_id", "type": "int", "nullable": False},
            {"name": "body", "type": "text", "default": "''"},
            {"name": "created_at", "type": "timestamptz", "nullable": False, "default": "now()"},
        ],
    }
    body = _built(member_client, project, change)
    assert body["kind"] == "ddl"
    assert body["statements"] == [
        'CREATE TABLE "public"."Order ""notes""" ("id" bigint NOT NULL, "order_id" integer NOT NULL, '
        '"body" text DEFAULT \'\', "created_at" timestamptz DEFAULT now() NOT NULL, PRIMARY KEY ("id"))'
    ]
    assert body["safety_review"]["statements"][0]["blocks"] == "nothing"  # a new table blocks no one
    _runs_on(orders_database, body["statements"])
    # An existing table is a conflict; a type or default that does not parse says which field.
    taken = _preview(member_client, project, {**change, "table": "orders"})
    assert taken.status_code == 409 and "public.orders" in taken.json()["detail"]
    bad_type = _preview(member_client, project, {**change, "columns": [{"name": "x", "type": "int); DROP TABLE x"}]})
    assert bad_type.status_code == 400 and bad_type.json()["detail"].startswith("change.columns[0].type:")
    bad_default = _preview(
        member_client, project, {**change, "columns": [{"name": "x", "type": "int", "default": "1) FROM orders --"}]}
    )
    assert bad_default.status_code == 400 and "change.columns[0].default" in bad_default.json()["detail"]


def test_alter_table_operations_build_reviewed_ddl_that_runs(member_client, project, orders_synced, orders_database):
    change = {
        "action": "alter_table",
        "table": "orders",
        "operations": [
            {"op": "add_column", "column": {"name": "note", "type": "varchar(200)", "default": "'none'"}},
            {"op": "rename_column", "column": "total", "new_name": "amount"},
            {"op": "alter_column_type", "column": "status", "type": "varchar(20)"},
            {"op": "drop_not_null", "column": "status"},
            {"op": "set_default", "column": "status", "default": "'new'"},
            {"op": "add_constraint", "constraint": {"type": "check", "expression": "id > 0", "not_valid": True}},
            {"op": "add_constraint", "constraint": {"type": "unique", "columns": ["customer_id", "id"]}},
            {"op": "drop_constraint", "name": "orders_customer_id_fkey"},
            {"op": "add_constraint", "constraint": {"type": "foreign_key", "columns": ["customer_id"],
                                                    "references": {"table": "customers"}, "on_delete": "cascade"}},
        ],
    }  # fmt: skip
    body = _built(member_client, project, change)
    assert body["statements"] == [
        'ALTER TABLE "public"."orders" ADD COLUMN "note" varchar(200) DEFAULT \'none\'',
        'ALTER TABLE "public"."orders" RENAME COLUMN "total" TO "amount"',
        'ALTER TABLE "public"."orders" ALTER COLUMN "status" TYPE varchar(20)',
        'ALTER TABLE "public"."orders" ALTER COLUMN "status" DROP NOT NULL',
        'ALTER TABLE "public"."orders" ALTER COLUMN "status" SET DEFAULT \'new\'',
        'ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_check" CHECK (id > 0) NOT VALID',
        'ALTER TABLE "public"."orders" VALIDATE CONSTRAINT "orders_check"',
        'ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_customer_id_id_key" UNIQUE ("customer_id", "id")',
        'ALTER TABLE "public"."orders" DROP CONSTRAINT "orders_customer_id_fkey"',
        'ALTER TABLE "public"."orders" ADD CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY ("customer_id") '
        'REFERENCES "public"."customers" ("id") ON DELETE CASCADE',
    ]
    # The review weighs each statement: the rename, the type change, the foreign key without NOT VALID.
    rules = _rule_ids(body)
    assert {"renaming-column", "changing-column-type", "foreign-key-without-not-valid"} <= rules
    assert "check-without-not-valid" not in rules  # added NOT VALID, then validated
    assert len(body["safety_review"]["statements"]) == 10
    _runs_on(orders_database, body["statements"])


def test_unknown_names_are_404_naming_them(member_client, project, orders_synced):
    def detail(change, status):
        response = _preview(member_client, project, change)
        assert response.status_code == status, response.json()
        return response.json()["detail"]

    assert "'nope'" in detail({"action": "drop_table", "table": "nope"}, 404)
    alter = {"action": "alter_table", "table": "orders"}
    assert "'colour'" in detail({**alter, "operations": [{"op": "set_not_null", "column": "colour"}]}, 404)
    assert "'orders_nope'" in detail({**alter, "operations": [{"op": "drop_constraint", "name": "orders_nope"}]}, 404)
    fk = {"type": "foreign_key", "columns": ["customer_id"], "references": {"table": "clients"}}
    assert "'clients'" in detail({**alter, "operations": [{"op": "add_constraint", "constraint": fk}]}, 404)
    assert "'nope_idx'" in detail({"action": "drop_index", "name": "nope_idx"}, 404)
    assert "already has a column 'status'" in detail(
        {**alter, "operations": [{"op": "add_column", "column": {"name": "status", "type": "text"}}]}, 409
    )
    # A bad spec says what is wrong, and where.
    assert "change.action" in detail({"action": "truncate"}, 400)
    assert "change.operations[0].op" in detail({**alter, "operations": [{"op": "explode"}]}, 400)
    assert "change.operations" in detail({**alter, "operations": []}, 400)
    assert "63 bytes" in detail({"action": "rename_table", "table": "orders", "new_name": "x" * 64}, 400)
    both = member_client.post(
        f"/projects/{project.pk}/schema-changes/preview",
        {"sql": "DROP TABLE orders", "change": {"action": "drop_table", "table": "orders"}},
        format="json",
    )
    assert both.status_code == 400 and both.json()["code"] == "sql_or_change"


def test_built_change_becomes_a_proposal_with_its_review(member_client, project, orders_synced):
    change = {"action": "alter_table", "table": "customers",
              "operations": [{"op": "rename_column", "column": "email", "new_name": "e-mail"}]}  # fmt: skip
    response = member_client.post(
        f"/projects/{project.pk}/schema-changes", {"change": change, "reason": "naming"}, format="json"
    )
    assert response.status_code == 201, response.json()
    proposal = Proposal.objects.get(pk=response.json()["id"])
    assert (
        proposal.kind == "ddl" and proposal.sql == 'ALTER TABLE "public"."customers" RENAME COLUMN "email" TO "e-mail";'
    )
    assert "renaming-column" in {f["rule"] for f in proposal.safety_review["findings"]}
    # Text DDL still previews the same way.
    text = member_client.post(
        f"/projects/{project.pk}/schema-changes/preview", {"sql": "DROP TABLE customers"}, format="json"
    ).json()
    assert text["statements"] == ["DROP TABLE customers"] and "dropping-table" in _rule_ids(text)


def test_indexes_created_renamed_and_dropped_through_proposals(member_client, project, orders_synced, orders_database):
    create = {"action": "create_index", "table": "orders", "columns": ["status", "total"], "where": "total > 100"}
    body = _built(member_client, project, create)
    assert body["kind"] == "index"
    assert body["statements"] == [
        'CREATE INDEX CONCURRENTLY "orders_status_total_idx" ON "public"."orders" USING btree ("status", "total") '
        "WHERE total > 100"
    ]
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute(body["statements"][0])
        conn.execute('DROP INDEX "orders_status_total_idx"')
    proposed = member_client.post(
        f"/projects/{project.pk}/schema-changes", {"change": create, "reason": "status filter"}, format="json"
    )
    assert proposed.status_code == 201 and Proposal.objects.get(pk=proposed.json()["id"]).kind == "index"
    rename = _built(member_client, project, {"action": "rename_index", "name": "customers_email_key", "new_name": "x"})
    assert rename["statements"] == ['ALTER INDEX "public"."customers_email_key" RENAME TO "x"']
    drop = _built(member_client, project, {"action": "drop_index", "name": "customers_email_key"})
    assert drop["statements"] == ['DROP INDEX "public"."customers_email_key"']
    assert "require-concurrent-index-deletion" in _rule_ids(drop)
    taken = _preview(member_client, project, {"action": "rename_index", "name": "orders_pkey", "new_name": "orders"})
    assert taken.status_code == 409
    _runs_on(orders_database, rename["statements"])


@pytest.mark.xdist_group("pg_datasets")
def test_pagila_builder_on_a_schema_nobody_here_wrote(member_client, project, pagila):  # noqa: F811
    c = pagila.pk
    change = {
        "action": "alter_table",
        "table": "film",
        "operations": [
            {"op": "add_column", "column": {"name": "director_id", "type": "int"}},
            {"op": "add_constraint", "constraint": {"type": "foreign_key", "columns": ["director_id"],
                                                    "references": {"table": "actor"}, "not_valid": True}},
            {"op": "set_not_null", "column": "release_year"},
        ],
    }  # fmt: skip
    body = _built(member_client, project, change, connection=c)
    assert body["statements"][1] == (
        'ALTER TABLE "public"."film" ADD CONSTRAINT "film_director_id_fkey" FOREIGN KEY ("director_id") '
        'REFERENCES "public"."actor" ("actor_id") NOT VALID'
    )
    rules = _rule_ids(body)
    assert "setting-column-not-null" in rules and "foreign-key-without-not-valid" not in rules
    film = body["safety_review"]["statements"][0]
    assert film["tables"] == ["film"] or film["tables"] == ["public.film"]
    _runs_on(pagila.url, body["statements"])
    # film_actor's two-column key is referred to whole.
    fk = {"type": "foreign_key", "columns": ["actor_id", "film_id"], "references": {"table": "film_actor"}}
    ddl = _built(member_client, project, {"action": "alter_table", "table": "rental", "operations": [
        {"op": "add_column", "column": {"name": "actor_id", "type": "smallint"}},
        {"op": "add_column", "column": {"name": "film_id", "type": "smallint"}},
        {"op": "add_constraint", "constraint": fk},
    ]}, connection=c)  # fmt: skip
    assert 'REFERENCES "public"."film_actor" ("actor_id", "film_id")' in ddl["statements"][2]
    _runs_on(pagila.url, ddl["statements"])
