"""The workbench pages render for the project's members, carry the synced schema, and are 404 to other tenants."""

import json

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
    assert b"orders_pkey" in client.get(f"/app/projects/{project.pk}/indexes/").content
    assert b"/app/projects/%d/sql/" % project.pk in client.get("/app/workbench/").content
    assert client.get(f"/app/projects/{project.pk}/tables/nope/").status_code == 404


def test_other_tenants_get_404(browser_for, other_org_user, project, orders_synced):
    client = browser_for(other_org_user)
    for path in ("sql/", "tables/", "tables/orders/", "indexes/"):
        assert client.get(f"/app/projects/{project.pk}/{path}").status_code == 404
