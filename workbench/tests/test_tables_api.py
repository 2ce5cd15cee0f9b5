"""Tables, rows and indexes on the demo shop's `orders` database and on pagila (a schema no one here wrote)."""

import json
import uuid

import psycopg
import pytest

from audit.models import AuditEvent
from schema_metadata import services as schema_services
from schema_metadata.tests.conftest import DATASETS, load_sql_file
from workbench.tests.conftest import synced

pytestmark = pytest.mark.django_db


def _get(client, project, path, **params):
    return client.get(f"/projects/{project.pk}/{path}", params)


def test_tables_list_sizes_estimates_and_keys(viewer_client, project, orders_synced):
    tables = {t["name"]: t for t in _get(viewer_client, project, "tables").json()}
    assert set(tables) == {"customers", "orders"}
    assert tables["orders"]["row_estimate"] == 3000 and tables["orders"]["size_bytes"] > 0
    assert tables["orders"]["has_primary_key"] is True


def test_rows_keyset_pages_on_the_primary_key(viewer_client, project, orders_synced):
    first = _get(viewer_client, project, "tables/orders", limit=100).json()
    assert first["columns"] == ["id", "customer_id", "status", "total"] and first["primary_key"] == ["id"]
    assert [r[0] for r in first["rows"]] == list(range(1, 101)) and first["next_after"] == [100]
    second = _get(viewer_client, project, "tables/orders", limit=100, after=json.dumps(first["next_after"])).json()
    assert [r[0] for r in second["rows"]] == list(range(101, 201))
    backwards = _get(viewer_client, project, "tables/orders", limit=3, order="desc").json()
    assert [r[0] for r in backwards["rows"]] == [3000, 2999, 2998]
    # Read-only connection: shown, not editable, and why.
    assert first["editable"] is False and "read_only=true" in first["read_only_reason"]


def test_rows_filter_and_sort_by_column(viewer_client, project, orders_synced):
    paid = _get(viewer_client, project, "tables/orders", filter_column="status", filter_op="eq", filter_value="paid",
                limit=500).json()  # fmt: skip
    assert len(paid["rows"]) == 60 and {r[2] for r in paid["rows"]} == {"paid"} and paid["has_more"] is False
    by_total = _get(viewer_client, project, "tables/orders", sort="total", order="desc", limit=2).json()
    assert [r[3] for r in by_total["rows"]] == ["3000.00", "2999.00"] and by_total["next_after"] == ["2999.00", 2999]
    assert by_total["next_offset"] is None
    page_two = _get(viewer_client, project, "tables/orders", sort="total", order="desc", limit=2,
                    after=json.dumps(by_total["next_after"])).json()  # fmt: skip
    assert [r[3] for r in page_two["rows"]] == ["2998.00", "2997.00"]
    contains = _get(viewer_client, project, "tables/customers", filter_column="email", filter_op="contains",
                    filter_value="c5_").json()  # fmt: skip
    assert contains["rows"] == []  # "_" is literal, not a wildcard: no "c5_" in "c5@", "c50@"


def _walk(client, project, table, *, limit, **params) -> list:
    """Every row, page after page, following next_after; the pages never overlap."""
    rows, after = [], None
    while True:
        query = {"limit": limit, **params, **({"after": json.dumps(after)} if after else {})}
        page = _get(client, project, f"tables/{table}", **query).json()
        assert "rows" in page, page
        assert page["next_offset"] is None
        rows += page["rows"]
        after = page["next_after"]
        if not page["has_more"]:
            return rows


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_a_column_pages_by_keyset_with_nulls(viewer_client, project, orders_synced, orders_database, order):
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("UPDATE orders SET total = NULL WHERE id % 7 = 0")  # 428 NULLs, in the middle of pages
        conn.execute("UPDATE orders SET total = 5 WHERE id % 11 = 0")  # and many ties on one value
        nulls = "NULLS LAST" if order == "asc" else "NULLS FIRST"
        expected = [r[0] for r in conn.execute(f"SELECT id FROM orders ORDER BY total {order} {nulls}, id {order}")]
    ids = [r[0] for r in _walk(viewer_client, project, "orders", limit=97, sort="total", order=order)]
    assert ids == expected
    by_status = _walk(viewer_client, project, "orders", limit=250, sort="status", order=order)
    assert sorted(r[0] for r in by_status) == list(range(1, 3001))


def test_unknown_table_and_column_are_404_naming_them(viewer_client, project, orders_synced):
    response = _get(viewer_client, project, "tables/nope")
    assert response.status_code == 404 and "'nope'" in response.json()["detail"]
    response = _get(viewer_client, project, "tables/orders", sort="colour")
    assert response.status_code == 404 and "'colour'" in response.json()["detail"]
    response = _get(viewer_client, project, "tables/orders", filter_column='x"; DROP TABLE orders; --')
    assert response.status_code == 404


def test_table_schema_columns_constraints_and_foreign_keys(viewer_client, project, orders_synced):
    schema = _get(viewer_client, project, "tables/orders/schema").json()
    assert [c["name"] for c in schema["columns"]] == ["id", "customer_id", "status", "total"]
    assert {c["type"] for c in schema["constraints"]} - {"not_null"} == {
        "primary_key",
        "foreign_key",
    }  # 18 lists NOT NULL
    assert schema["foreign_keys_out"][0]["referred_table"] == "public.customers"
    customers = _get(viewer_client, project, "tables/customers/schema").json()
    assert [fk["table"] for fk in customers["foreign_keys_in"]] == ["public.orders"]
    assert {i["name"] for i in customers["indexes"]} == {"customers_pkey", "customers_email_key"}


def test_row_insert_update_delete_audited_with_the_key_only(member_client, project, orders_writable, orders_database):
    url = f"/projects/{project.pk}/tables/customers/rows"
    created = member_client.post(url, {"values": {"email": "new@example.com"}}, format="json")
    assert created.status_code == 201, created.json()
    key = created.json()["key"]
    assert key == {"id": 51}
    changed = member_client.patch(url, {"key": key, "values": {"email": "changed@example.com"}}, format="json")
    assert changed.status_code == 200
    with psycopg.connect(orders_database) as conn:
        assert conn.execute("SELECT email FROM customers WHERE id = 51").fetchone() == ("changed@example.com",)
    missing = member_client.patch(url, {"key": {"id": 999}, "values": {"email": "x@example.com"}}, format="json")
    assert missing.status_code == 404
    # A delete the foreign key refuses changes nothing.
    refused = member_client.delete(url, {"key": {"id": 1}}, format="json")
    assert refused.status_code in (400, 422) and refused.json()["detail"]
    assert member_client.delete(url, {"key": key}, format="json").status_code == 200
    with psycopg.connect(orders_database) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (50,)
    events = AuditEvent.objects.filter(action__startswith="table.row_").order_by("id")
    assert [e.action for e in events] == ["table.row_insert", "table.row_update", "table.row_delete"]
    assert all(e.metadata["key"] == {"id": "51"} for e in events)
    assert not any("example.com" in json.dumps(e.metadata) for e in events)


def test_row_writes_refused_on_read_only_and_without_a_primary_key(
    member_client, project, orders_synced, orders_database
):
    url = f"/projects/{project.pk}/tables/customers/rows"
    response = member_client.post(url, {"values": {"email": "x@example.com"}}, format="json")
    assert response.status_code == 403 and "read_only=true" in response.json()["detail"]
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE events_log (at timestamptz, what text)")
    orders_synced.read_only = False
    orders_synced.save()
    synced(orders_synced)
    response = member_client.post(
        f"/projects/{project.pk}/tables/events_log/rows", {"values": {"what": "x"}}, format="json"
    )
    assert response.status_code == 409 and "no primary key" in response.json()["detail"]
    rows = _get(member_client, project, "tables/events_log").json()
    assert rows["editable"] is False and "no primary key" in rows["read_only_reason"]


def test_indexes_list_scans_unused_and_duplicates(viewer_client, project, orders_synced, orders_database):
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("CREATE INDEX orders_status ON orders (status)")
        conn.execute("CREATE INDEX orders_status_total ON orders (status, total)")
        conn.execute("SELECT * FROM customers WHERE id = 3")
    synced(orders_synced)
    listing = _get(viewer_client, project, "indexes").json()
    by_name = {i["name"]: i for i in listing["indexes"]}
    assert by_name["orders_status"]["duplicate_of"] == "orders_status_total"
    assert by_name["orders_status_total"]["duplicate_of"] is None
    assert by_name["orders_status"]["unused"] is True and by_name["orders_pkey"]["unused"] is False
    assert by_name["orders_status"]["valid"] is True and by_name["orders_status"]["size_bytes"] > 0
    detail = _get(viewer_client, project, "indexes/orders_status").json()
    assert detail["table"] == "orders" and "btree (status)" in detail["definition"]
    assert _get(viewer_client, project, "indexes/nope").status_code == 404


@pytest.fixture
def pagila(project, settings):
    settings.TARGET_ALLOW_LOCAL = True
    from conftest import _admin_conninfo, url_for_database

    name = f"scratch_pagila_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url_for_database(name)
    try:
        load_sql_file(url, DATASETS / "pagila.sql")
        connection = schema_services.connection_create(project=project, name="pagila", url=url, read_only=False)
        yield synced(connection)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.xdist_group("pg_datasets")
def test_pagila_editor_tables_and_indexes(member_client, project, pagila):
    c = pagila.pk
    run = member_client.post(
        f"/projects/{project.pk}/sql/run",
        {"sql": "SELECT film_id, title, rating, special_features, fulltext, last_update FROM film ORDER BY film_id",
         "connection": c, "row_cap": 100, "page_size": 50},
        format="json",
    ).json()  # fmt: skip
    assert [col["type"] for col in run["columns"]] == [
        "int4",
        "text",
        "mpaa_rating",
        "_text",
        "tsvector",
        "timestamptz",
    ]
    assert run["truncated"] is True and len(run["rows"]) == 50 and run["rows"][0][1] == "ACADEMY DINOSAUR"
    tables = {t["name"]: t for t in _get(member_client, project, "tables", connection=c).json()}
    assert tables["film"]["row_estimate"] == 1000 and tables["payment"]["kind"] == "partitioned"
    # film_actor: a two-column primary key, paged by keyset on both.
    first = _get(member_client, project, "tables/film_actor", connection=c, limit=30).json()
    assert first["primary_key"] == ["actor_id", "film_id"] and first["editable"] is True
    after = _get(member_client, project, "tables/film_actor", connection=c, limit=30,
                 after=json.dumps(first["next_after"])).json()  # fmt: skip
    keys = [tuple(r[:2]) for r in first["rows"] + after["rows"]]
    assert keys == sorted(keys) and len(set(keys)) == 60
    # film.original_language_id is NULL in every row of pagila: the key alone orders them, both ways.
    for order in ("asc", "desc"):
        films = _walk(member_client, project, "film", limit=90, sort="original_language_id", order=order, connection=c)
        ids = [r[0] for r in films]
        assert ids == sorted(ids, reverse=order == "desc") and len(ids) == 1000
    # Sorted by the second column of a two-column key: the first one breaks the ties.
    by_update = _walk(member_client, project, "film_actor", limit=500, sort="film_id", order="desc", connection=c)
    assert [(r[1], r[0]) for r in by_update] == sorted(((r[1], r[0]) for r in by_update), reverse=True)
    assert len(by_update) == 5462
    schema = _get(member_client, project, "tables/film/schema", connection=c).json()
    assert {fk["table"] for fk in schema["foreign_keys_in"]} >= {"public.film_actor", "public.inventory"}
    assert any(con["type"] == "foreign_key" for con in schema["constraints"])
    indexes = _get(member_client, project, "indexes", connection=c).json()["indexes"]
    assert any(i["name"] == "film_fulltext_idx" and "gist" in i["definition"] for i in indexes)
    updated = member_client.patch(f"/projects/{project.pk}/tables/actor/rows",
                                  {"connection": c, "key": {"actor_id": 1}, "values": {"first_name": "PENNY"}},
                                  format="json")  # fmt: skip
    assert updated.status_code == 200, updated.json()
