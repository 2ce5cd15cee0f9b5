"""The workbench pages render for the project's members, carry the synced schema, and are 404 to other tenants."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def _config(response):
    html = response.content.decode()
    start = html.index('<script id="workbench-config" type="application/json">') + len(
        '<script id="workbench-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_editor_page_carries_tables_and_columns_for_completion(browser_for, member, viewer, project, orders_synced):
    response = browser_for(member).get(f"/app/projects/{project.pk}/sql/")
    assert response.status_code == 200
    config = _config(response)
    assert config["tables"]["orders"] == ["id", "customer_id", "status", "total"]
    assert config["canRun"] is True and b"build/workbench.js" in response.content
    assert b'id="run"' in response.content
    viewer_page = browser_for(viewer).get(f"/app/projects/{project.pk}/sql/")
    assert viewer_page.status_code == 200 and b'id="run"' not in viewer_page.content


def test_table_index_and_home_pages(browser_for, member, project, orders_synced):
    client = browser_for(member)
    assert b"public.orders" in client.get(f"/app/projects/{project.pk}/tables/").content
    table = client.get(f"/app/projects/{project.pk}/tables/orders/")
    assert table.status_code == 200 and _config(table)["primaryKey"] == ["id"]
    assert _config(table)["editable"] is False  # the connection is read-only
    indexes = client.get(f"/app/projects/{project.pk}/indexes/").content.decode()
    assert "orders_pkey" in indexes and "No index suggestion yet" in indexes
    assert b"/app/projects/%d/sql/" % project.pk in client.get("/app/workbench/").content
    assert client.get(f"/app/projects/{project.pk}/tables/nope/").status_code == 404


def test_other_tenants_get_404(browser_for, other_org_user, project, orders_synced):
    client = browser_for(other_org_user)
    for path in ("sql/", "tables/", "tables/orders/", "indexes/", "schema-changes/new/"):
        assert client.get(f"/app/projects/{project.pk}/{path}").status_code == 404


def test_explain_and_optimize_buttons_open_the_pages_with_the_statement(browser_for, member, project, orders_synced):
    client = browser_for(member)
    query = "SELECT * FROM orders WHERE status = 'paid'"
    explain = client.get(f"/app/projects/{project.pk}/explain/", {"query": query})
    optimize = client.get("/app/optimize/", {"project": project.pk, "query": query})
    for response in (explain, optimize):
        assert response.status_code == 200
        assert "SELECT * FROM orders WHERE status = &#x27;paid&#x27;" in response.content.decode()


def test_advisor_suggestions_beside_the_index_list(browser_for, member, project, orders_synced):
    from optimizer.models import OptimizationRun, Suggestion

    run = OptimizationRun.objects.create(project=project, organization=project.organization, query="SELECT 1")
    Suggestion.objects.create(run=run, kind="index", sql="CREATE INDEX ON orders (status)", speedup=12.5)
    Suggestion.objects.create(run=run, kind="index", sql="CREATE INDEX ON orders (total)", dropped=True)
    page = browser_for(member).get(f"/app/projects/{project.pk}/indexes/").content.decode()
    assert "CREATE INDEX ON orders (status)" in page and "12.5× faster" in page
    assert "CREATE INDEX ON orders (total)" not in page


def test_builder_page_offers_the_synced_tables_and_indexes(browser_for, member, viewer, project, orders_synced):
    page = browser_for(member).get(f"/app/projects/{project.pk}/schema-changes/new/", {"action": "drop_index"})
    assert page.status_code == 200
    config = _config(page)
    assert {"schema": "public", "name": "orders", "columns": ["id", "customer_id", "status", "total"]} in config[
        "tables"
    ]
    assert {"schema": "public", "name": "orders_pkey", "table": "orders"} in config["indexes"]
    assert config["initial"]["action"] == "drop_index" and config["canPropose"] is True
    assert b'id="builder-propose"' in page.content
    viewer_page = browser_for(viewer).get(f"/app/projects/{project.pk}/schema-changes/new/")
    assert viewer_page.status_code == 200 and b'id="builder-propose"' not in viewer_page.content
    indexes = browser_for(member).get(f"/app/projects/{project.pk}/indexes/").content.decode()
    links = set(re.findall(r"action=(\w+)&(?:amp;)?name=(\w+)", indexes))
    assert {("rename_index", "orders_pkey"), ("drop_index", "customers_email_key")} <= links
    assert ("drop_index", "orders_pkey") not in links  # a primary key's index goes with its constraint


def test_table_page_lets_an_admin_mark_sensitive_columns(browser_for, admin_user, viewer, project, orders_synced):
    from workbench.models import SensitiveColumn

    SensitiveColumn.objects.create(
        connection=orders_synced, schema_name="public", table_name="customers", column_name="email"
    )
    admin_page = browser_for(admin_user).get(f"/app/projects/{project.pk}/tables/customers/").content.decode()
    assert 'id="sensitive-form"' in admin_page and 'value="email" checked' in admin_page
    viewer_page = browser_for(viewer).get(f"/app/projects/{project.pk}/tables/customers/").content.decode()
    assert 'id="sensitive-form"' not in viewer_page and "masked for your role): email" in viewer_page
