"""The demo shop database: built by SQL, skewed, missing its indexes, idempotent, wired into seed_demo."""

import io
import uuid

import psycopg
import pytest
from django.core.management import call_command

from schema_metadata import demo_shop
from schema_metadata.explain import explain
from schema_metadata.models import DatabaseConnection, SchemaMetadata
from schema_metadata.tests.conftest import drop_database


@pytest.fixture
def demo_name():
    name = f"scratch_demo_{uuid.uuid4().hex[:10]}"
    yield name
    drop_database(demo_shop.database_url(name))
    demo_shop.drop_owner_role(name)


def _rows(name, sql):
    with psycopg.connect(demo_shop.database_url(name)) as conn:
        return conn.execute(sql).fetchall()


def test_build_small_scale(demo_name, local_targets):
    out = io.StringIO()
    call_command("demo_shop", database=demo_name, orders=20000, stdout=out)
    assert "20,000 orders" in out.getvalue()
    counts = dict(_rows(demo_name, """
        SELECT 'orders', count(*) FROM orders UNION ALL SELECT 'customers', count(*) FROM customers
        UNION ALL SELECT 'items', count(*) FROM order_items UNION ALL SELECT 'payments', count(*) FROM payments
        UNION ALL SELECT 'events', count(*) FROM events UNION ALL SELECT 'products', count(*) FROM products
    """))  # fmt: skip
    assert counts["orders"] == 20000 and counts["customers"] == 2000 and counts["items"] == 50000
    assert counts["events"] == 10000 and counts["products"] == 200 and 0 < counts["payments"] < 20000
    statuses = dict(_rows(demo_name, "SELECT status, count(*) FROM orders GROUP BY 1"))
    assert statuses["delivered"] > 0.8 * 20000
    assert 0 < statuses["paid"] < 0.03 * 20000 and 0 < statuses["pending"] < 0.03 * 20000
    # Skewed customers: the busiest has far more orders than the average 10.
    assert _rows(demo_name, "SELECT max(n) FROM (SELECT count(*) n FROM orders GROUP BY customer_id) s")[0][0] > 50
    assert _rows(demo_name, "SELECT payload ? 'device' FROM events LIMIT 1") == [(True,)]
    indexed = {
        (table, column)
        for table, column in _rows(
            demo_name,
            """SELECT c.relname, a.attname FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
               JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]""",
        )
    }
    for forgotten in [("orders", "status"), ("orders", "customer_id"), ("order_items", "order_id"),
                      ("order_items", "product_id"), ("payments", "order_id"), ("events", "customer_id")]:  # fmt: skip
        assert forgotten not in indexed
    assert ("orders", "id") in indexed and ("customers", "email") in indexed
    assert _rows(demo_name, "SELECT reltuples FROM pg_class WHERE relname = 'orders'")[0][0] == 20000  # ANALYZEd

    result = explain(demo_shop.database_url(demo_name), "SELECT * FROM orders WHERE status = 'paid'",
                     analyze=True, buffers=True)  # fmt: skip
    assert result["analyzed"] and result["summary"]["actual_rows"] == statuses["paid"]
    assert [w["kind"] for w in result["summary"]["warnings"]] == ["seq_scan_filter"]

    again = io.StringIO()
    call_command("demo_shop", database=demo_name, orders=20000, stdout=again)
    assert "already there" in again.getvalue()
    assert _rows(demo_name, "SELECT count(*) FROM orders")[0][0] == 20000


def test_half_built_database_is_rebuilt(demo_name):
    with psycopg.connect(**demo_shop.server_params(), dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{demo_name}"')
    call_command("demo_shop", database=demo_name, orders=1000, stdout=io.StringIO())
    assert _rows(demo_name, "SELECT count(*) FROM orders")[0][0] == 1000


def test_skip_flag(demo_name):
    out = io.StringIO()
    call_command("demo_shop", database=demo_name, orders=1000, skip=True, stdout=out)
    assert "Skipping" in out.getvalue()
    with psycopg.connect(**demo_shop.server_params(), dbname="postgres") as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [demo_name]).fetchone() is None


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_connection(demo_name, local_targets, client_for):
    local_targets.DEMO_SHOP_DATABASE = demo_name
    local_targets.DEMO_SHOP_ORDERS = 20000
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    connection = DatabaseConnection.objects.get(name="Demo shop database")
    assert connection.is_default and connection.allow_analyze and connection.environment == "development"
    assert connection.project.name == "Demo shop"
    assert DatabaseConnection.objects.count() == 1
    assert SchemaMetadata.objects.filter(connection=connection, table_name="orders", column_name="status").exists()
    user = connection.created_by
    response = client_for(user).post(
        "/query/explain",
        {"query": "SELECT * FROM orders WHERE status = 'paid'", "project": connection.project_id},
        format="json",
    )
    assert response.status_code == 200 and response.json()["analyzed"] is True
    # Reached through its own unprivileged role, which owns the demo database and nothing else.
    assert psycopg.conninfo.conninfo_to_dict(connection.url)["user"] == demo_shop.owner_role(demo_name)
    with psycopg.connect(connection.url, autocommit=True) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        assert conn.execute("SELECT pg_has_role('pg_signal_backend', 'MEMBER')").fetchone() == (False,)
        owner = "SELECT pg_get_userbyid(datdba) = current_user FROM pg_database WHERE datname = current_database()"
        assert conn.execute(owner).fetchone() == (True,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_read_file('postgresql.conf')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("COPY (SELECT 1) TO PROGRAM 'true'")
    test = client_for(user).post(f"/projects/{connection.project_id}/connections/{connection.pk}/test").json()
    assert test["superuser"] is False and test["can_signal_backends"] is False and test["role_warnings"] == []


@pytest.mark.django_db
def test_seed_demo_can_skip_the_database(demo_name, settings):
    settings.DEMO_SHOP_DATABASE = demo_name
    call_command("seed_demo", skip_demo_db=True, stdout=io.StringIO())
    assert not DatabaseConnection.objects.exists()
