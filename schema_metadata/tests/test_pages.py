"""The pages: connection form with its test button, the schema browser, the explain page's plan tree."""

import re

import pytest
from django.test import Client

from schema_metadata import services
from schema_metadata.models import DatabaseConnection, QueryAnalysis
from schema_metadata.tests.conftest import run_sql

pytestmark = pytest.mark.django_db


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_nav_and_databases_page(admin_user, shop_connection):
    page = _browser(admin_user).get("/app/databases/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/app/databases/"' in html and "shop" in html and "postgresql://postgres@/" in html
    assert shop_connection.url not in html  # masked only


def test_add_connection_then_test_it(admin_user, project, local_targets, shop_url):
    browser = _browser(admin_user)
    form = browser.get(f"/app/projects/{project.pk}/connections/new/")
    assert form.status_code == 200 and 'type="password"' in form.content.decode()
    created = browser.post(
        f"/app/projects/{project.pk}/connections/new/",
        {"name": "shop", "url": shop_url, "environment": "development", "allow_analyze": "on", "read_only": "on"},
    )
    connection = DatabaseConnection.objects.get(project=project)
    assert (
        created.status_code == 302 and created["Location"] == f"/app/projects/{project.pk}/connections/{connection.pk}/"
    )
    page = browser.get(created["Location"]).content.decode()
    assert "Test connection" in page and shop_url not in page
    tested = browser.post(f"/app/projects/{project.pk}/connections/{connection.pk}/test/").content.decode()
    assert 'data-test="ok"' in tested and "PostgreSQL 18" in tested and "pg_trgm" in tested


def test_refused_connection_shows_the_reason(admin_user, project):
    response = _browser(admin_user).post(
        f"/app/projects/{project.pk}/connections/new/",
        {"name": "meta", "url": "postgresql://u:p@169.254.169.254/db", "environment": "development"},
    )
    assert response.status_code == 403
    assert "link-local and cloud metadata" in response.content.decode()
    assert not DatabaseConnection.objects.exists()


def test_failed_test_shows_the_database_message(admin_user, project, shop_connection):
    shop_connection.url = shop_connection.url.replace("/scratch_", "/missing_")
    shop_connection.save()
    page = _browser(admin_user).post(f"/app/projects/{project.pk}/connections/{shop_connection.pk}/test/")
    html = page.content.decode()
    assert 'data-test="error"' in html and "does not exist" in html


def test_viewer_sees_no_settings_and_cannot_edit(viewer, project, shop_connection):
    browser = _browser(viewer)
    page = browser.get(f"/app/projects/{project.pk}/connections/{shop_connection.pk}/").content.decode()
    assert "Test connection" not in page and "Delete connection" not in page
    assert browser.post(f"/app/projects/{project.pk}/connections/{shop_connection.pk}/delete/").status_code == 403
    assert browser.get(f"/app/projects/{project.pk}/connections/new/").status_code == 403


def test_other_tenant_gets_404(other_org_user, project, shop_connection):
    browser = _browser(other_org_user)
    assert browser.get(f"/app/projects/{project.pk}/connections/{shop_connection.pk}/").status_code == 404
    assert browser.get(f"/app/projects/{project.pk}/schema/").status_code == 404
    assert browser.post(f"/app/projects/{project.pk}/explain/", {"query": "SELECT 1"}).status_code == 404


def test_schema_browser(member, project, shop_connection):
    services.sync_execute(sync_id=services.sync_request(project=project, defer=False).pk)
    run_sql(
        shop_connection.url,
        "ALTER TABLE orders ADD COLUMN note text; CREATE INDEX orders_status_idx ON orders (status)",
    )
    services.sync_execute(sync_id=services.sync_request(project=project, defer=False).pk)
    browser = _browser(member)
    page = browser.get(f"/app/projects/{project.pk}/schema/").content.decode()
    assert "customers" in page and "orders" in page and "20,000" in page  # row counts read with separators
    drift = page[page.index('id="drift"') :]
    assert "public.orders.note" in drift and "public.orders_status_idx" in drift
    detail = browser.get(f"/app/projects/{project.pk}/schema/?schema=public&table=orders").content.decode()
    table = detail[detail.index('id="table-detail"') :]
    assert "customer_id" in table and "customers.id" in table and "numeric(10,2)" in table
    assert (
        "orders_status_idx" in table and "CREATE INDEX orders_status_idx ON public.orders USING btree (status)" in table
    )
    assert "no index" in table  # the foreign key on customer_id


def test_explain_page_draws_the_tree(member, project, shop_connection):
    browser = _browser(member)
    assert browser.get(f"/app/projects/{project.pk}/explain/").status_code == 200
    query = "SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid' ORDER BY o.total"
    response = browser.post(
        f"/app/projects/{project.pk}/explain/",
        {"query": query, "connection": shop_connection.pk, "analyze": "on", "buffers": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    result = html[html.index('id="result"') :]
    assert '<span class="badge ok">analyzed</span>' in result
    levels = [int(x) for x in re.findall(r'aria-level="(\d+)"', result)]
    assert len(levels) >= 4 and levels[0] == 1 and max(levels) >= 3
    widths = [float(w) for w in re.findall(r'<span style="width: ([\d.]+)%"></span>', result)]
    assert len(widths) == len(levels) and 90 <= sum(widths) <= 101
    assert re.search(r"200 actual of [\d,]+ estimated", result)
    # The warning sits inside the Seq Scan node it concerns.
    node = re.search(r'<li role="treeitem"[^>]*class="plan-node has-warning"[^>]*>(.*?)</li>', result, re.S).group(1)
    assert "Seq Scan on orders" in node and 'data-warning="seq_scan_filter"' in node
    analysis = QueryAnalysis.objects.get()
    assert analysis.user == member
    again = browser.get(f"/app/analyses/{analysis.pk}/").content.decode()
    assert "Seq Scan on orders" in again


def test_explain_page_error_is_shown(member, project, shop_connection):
    response = _browser(member).post(f"/app/projects/{project.pk}/explain/", {"query": "SELECT 1; DROP TABLE orders"})
    assert response.status_code == 400 and "exactly one statement" in response.content.decode()
    assert run_sql(shop_connection.url, "SELECT count(*) FROM orders") == [(20000,)]


def test_explain_page_without_analyze_permission(member, project, shop_connection):
    shop_connection.allow_analyze = False
    shop_connection.save()
    response = _browser(member).post(
        f"/app/projects/{project.pk}/explain/", {"query": "SELECT * FROM orders", "analyze": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "estimated only" in html and "% of cost" in html
