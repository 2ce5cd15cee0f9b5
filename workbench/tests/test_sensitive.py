"""Sensitive columns on the demo shop: an admin marks them; below admin their values are masked in the table
browser and the SQL grid; the audit log keeps a sensitive key only as a hash; the selector lists them."""

import hashlib
import json

import pytest

from audit.models import AuditEvent
from workbench import selectors
from workbench.runner import MASK

pytestmark = pytest.mark.django_db


def _mark(client, project, table, columns):
    return client.put(f"/projects/{project.pk}/tables/{table}/sensitive-columns", {"columns": columns}, format="json")


def test_admin_marks_columns_and_the_selector_lists_them(admin_client, member_client, project, orders_synced):
    response = _mark(admin_client, project, "customers", ["email"])
    assert response.status_code == 200 and response.json()["columns"] == ["email"]
    assert _mark(member_client, project, "customers", []).status_code == 403
    unknown = _mark(admin_client, project, "customers", ["phone"])
    assert unknown.status_code == 404 and "'phone'" in unknown.json()["detail"]
    assert selectors.sensitive_columns(connection=orders_synced) == {("public", "customers", "email")}
    listing = member_client.get(f"/projects/{project.pk}/sensitive-columns").json()
    assert listing == [{"schema": "public", "table": "customers", "column": "email"}]
    assert AuditEvent.objects.get(action="table.sensitive_columns").metadata["columns"] == ["email"]
    # Setting the list again replaces it.
    assert _mark(admin_client, project, "customers", []).json()["columns"] == []
    assert selectors.sensitive_columns(connection=orders_synced) == set()


def test_table_browser_masks_below_admin(admin_client, member_client, viewer_client, project, orders_synced):
    _mark(admin_client, project, "customers", ["email", "id"])
    url = f"/projects/{project.pk}/tables/customers"
    for client in (viewer_client, member_client):
        page = client.get(url, {"limit": 3}).json()
        assert [r[1] for r in page["rows"]] == [MASK] * 3 and page["masked_columns"] == ["email"]
        assert [r[0] for r in page["rows"]] == [1, 2, 3]  # the key stays: it is the row's identity
        refused = client.get(url, {"sort": "email"})
        assert refused.status_code == 403 and "'email'" in refused.json()["detail"]
        assert client.get(url, {"filter_column": "email", "filter_value": "c1@example.com"}).status_code == 403
    admin = admin_client.get(url, {"limit": 3, "sort": "email"}).json()
    assert admin["rows"][0][1] == "c10@example.com" and admin["masked_columns"] == []  # sorted as text


def test_sql_grid_masks_columns_read_from_a_sensitive_column(admin_client, member_client, project, orders_synced):
    _mark(admin_client, project, "customers", ["email"])
    sql = "SELECT o.id, c.email AS contact FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id"
    member = member_client.post(f"/projects/{project.pk}/sql/run", {"sql": sql, "page_size": 5}, format="json").json()
    assert [r[1] for r in member["rows"]] == [MASK] * 5 and [c["masked"] for c in member["columns"]] == [False, True]
    assert member["rows"][0][0] == 1
    # Sorted on the server through a wrapping SELECT: still traced to customers.email, still masked.
    page = member_client.post(f"/projects/{project.pk}/sql/history/{member['run']['id']}/page",
                              {"page_size": 5, "sort_column": 0, "sort_order": "desc"}, format="json").json()  # fmt: skip
    assert page["rows"][0][0] == 3000 and {r[1] for r in page["rows"]} == {MASK}
    export = member_client.post(f"/projects/{project.pk}/sql/export", {"sql": sql, "format": "json"}, format="json")
    assert "example.com" not in export.content.decode()
    admin = admin_client.post(f"/projects/{project.pk}/sql/run", {"sql": sql, "page_size": 5}, format="json").json()
    assert admin["rows"][0][1] == "c2@example.com" and not any(c["masked"] for c in admin["columns"])


def test_audit_keeps_a_sensitive_key_only_as_a_hash(admin_client, member_client, project, orders_writable):
    _mark(admin_client, project, "customers", ["id", "email"])
    url = f"/projects/{project.pk}/tables/customers/rows"
    response = member_client.patch(url, {"key": {"id": 7}, "values": {"email": "new@example.com"}}, format="json")
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action="table.row_update")
    assert event.metadata["key"] == {"id": "sha256:" + hashlib.sha256(b"7").hexdigest()}
    assert "example.com" not in json.dumps(event.metadata)
