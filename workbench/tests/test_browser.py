"""A real browser (Debian's chromium through Playwright) uses the SQL editor and the table browser.

The editor: run with Ctrl+Enter, an error shown at its position, history with re-run, a snippet saved; the
table browser: keyset pages and a cell edited in place. Both fit a 390 px wide phone screen.
"""

import os
import re

import psycopg
import pytest
from django.conf import settings
from django.test import Client

from projects.tests.test_browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, pytestmark, signed_in_page  # noqa: F401
from workbench.tests.conftest import synced

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls must run beside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def page(live_server, member):
    yield from signed_in_page(live_server, member)


@pytest.fixture
def admin_page(live_server, admin_user):
    yield from signed_in_page(live_server, admin_user)


def _type_statement(page, text):
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_editor_and_table_browser(live_server, page, project, orders_connection, orders_database):
    from playwright.sync_api import expect

    orders_connection.read_only = False
    orders_connection.save()
    synced(orders_connection)
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/app/projects/{project.pk}/sql/")
    expect(page.locator(".cm-editor")).to_be_visible()
    # Syntax highlighting comes from CodeMirror's SQL language, completion from the synced metadata.
    _type_statement(page, "SELECT id, status FROM orders WHERE id < 4 ORDER BY id")
    expect(page.locator(".cm-content .tok-keyword, .cm-content [class*='ͼ']").first).to_be_visible()
    page.keyboard.press("Control+Enter")
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#run-status")).to_contain_text("3 rows")
    page.locator("table.results th", has_text="id").click()
    page.locator("table.results th", has_text="id").click()  # descending
    expect(rows.first.locator("td").first).to_have_text("3")

    # Pages of a large result come from the server one at a time, sorted there too.
    _type_statement(page, "SELECT id, total FROM orders ORDER BY id")
    page.keyboard.press("Control+Enter")
    expect(rows).to_have_count(50)
    expect(page.locator("#run-status")).to_contain_text("first 1000 rows only")
    page.locator("#grid-next").click()
    expect(rows.first.locator("td").first).to_have_text("51")
    expect(page.locator(".grid-page")).to_contain_text("Page 2 of 20")
    page.locator("table.results th", has_text="total").click()
    page.locator("table.results th", has_text="total").click()  # descending, over the whole result
    expect(rows.first.locator("td").nth(1)).to_have_text("3000.00")
    expect(page.locator(".grid-page")).to_contain_text("Page 1 of 20")

    # An error, shown at its position in the statement.
    _type_statement(page, "SELECT *\nFORM orders")
    page.keyboard.press("Control+Enter")
    error = page.locator("#run-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("line 2, column 1")
    expect(error).to_have_attribute("data-position", "10")
    expect(page.locator(".cm-lintRange-error")).to_have_count(1)

    # History beside the editor: both runs, newest first; re-run the first.
    history = page.locator("#history li")
    expect(history).to_have_count(3)  # pages and sorts are not runs
    expect(history.first).to_have_class(re.compile("history-error"))
    history.nth(2).get_by_role("button", name="Re-run").click()
    expect(rows).to_have_count(3)
    expect(history).to_have_count(4)

    # Save as snippet, then load it back.
    page.get_by_label("Snippet name").fill("three orders")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#snippets")).to_contain_text("three orders")
    _type_statement(page, "SELECT 1")
    page.locator("#snippets").get_by_role("button", name="three orders").click()
    expect(page.locator(".cm-content")).to_contain_text("WHERE id < 4")
    page.screenshot(path=str(ARTIFACTS / "sql-editor.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 800})
    assert _fits_the_screen(page)
    page.set_viewport_size({"width": 1100, "height": 800})

    # The table browser: keyset pages of orders.
    page.goto(f"{live_server.url}/app/projects/{project.pk}/tables/orders/")
    grid = page.locator("#rows table.results tbody tr")
    expect(grid).to_have_count(50)
    expect(grid.first.locator("td").first).to_have_text("1")
    page.locator("#page-next").click()
    expect(grid.first.locator("td").first).to_have_text("51")

    # Edit a customer's e-mail in place.
    page.goto(f"{live_server.url}/app/projects/{project.pk}/tables/customers/")
    first_email = page.locator("#rows table.results tbody tr").first.locator("td").nth(1)
    expect(first_email).to_have_text("c1@example.com")
    first_email.dblclick()
    page.get_by_label("Edit email").fill("edited@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#table-status")).to_contain_text('Saved row {"id":1}')
    with psycopg.connect(orders_database) as conn:
        assert conn.execute("SELECT email FROM customers WHERE id = 1").fetchone() == ("edited@example.com",)
    page.set_viewport_size({"width": 390, "height": 800})
    assert _fits_the_screen(page)
    page.screenshot(path=str(ARTIFACTS / "table-browser.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_schema_change_builder(live_server, page, project, orders_connection):
    """From the table page to a proposal: the form builds the DDL, the review follows it, Propose submits it;
    an index is created from the index page through the same builder."""
    from playwright.sync_api import expect

    from approvals.models import Proposal

    synced(orders_connection)
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/app/projects/{project.pk}/tables/orders/")
    page.locator("#change-table").click()
    expect(page.get_by_label("Change", exact=True)).to_have_value("alter_table")
    expect(page.get_by_label("Table", exact=True)).to_have_value("orders")
    page.get_by_label("Operation").select_option("rename_column")
    page.get_by_label("Column", exact=True).select_option("total")
    page.get_by_label("New name").fill("amount")
    preview = page.locator("#builder-sql")
    expect(preview).to_have_text('ALTER TABLE "public"."orders" RENAME COLUMN "total" TO "amount";')
    expect(page.locator("#builder-review")).to_contain_text("renaming-column")
    # An unknown column typed into a second operation is named at once.
    page.get_by_role("button", name="Add operation").click()
    second = page.locator(".builder-operation").nth(1)
    second.get_by_label("Operation").select_option("add_constraint")
    second.get_by_label("Constraint type").select_option("check")
    second.get_by_label("Check expression").fill("amount >= 0")
    second.get_by_label("Not valid").check()
    expect(preview).to_contain_text('ADD CONSTRAINT "orders_check" CHECK (amount >= 0) NOT VALID;')
    expect(preview).to_contain_text('VALIDATE CONSTRAINT "orders_check";')
    second.get_by_label("Check expression").fill("amount >= 0; DROP TABLE orders")
    expect(page.locator("#builder-error")).to_contain_text("change.operations[1].constraint.expression")
    second.get_by_role("button", name="Remove operation").click()
    expect(page.locator("#builder-error")).to_be_hidden()
    page.get_by_label("Reason").fill("amount says what it is")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#builder-proposal")).to_be_visible()
    proposal = Proposal.objects.get()
    assert proposal.sql == 'ALTER TABLE "public"."orders" RENAME COLUMN "total" TO "amount";'
    assert "renaming-column" in {f["rule"] for f in proposal.safety_review["findings"]}
    page.screenshot(path=str(ARTIFACTS / "schema-builder.png"), full_page=True)

    page.goto(f"{live_server.url}/app/projects/{project.pk}/indexes/")
    page.locator("#create-index").click()
    page.get_by_label("Table", exact=True).select_option("orders")
    page.get_by_label("Index columns").fill("status")
    expect(preview).to_have_text(
        'CREATE INDEX CONCURRENTLY "orders_status_idx" ON "public"."orders" USING btree ("status");'
    )
    page.get_by_label("Reason").fill("status filters")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#builder-proposal")).to_be_visible()
    assert Proposal.objects.order_by("-id").first().kind == "index"
    page.set_viewport_size({"width": 390, "height": 800})
    assert _fits_the_screen(page)


@pytest.mark.django_db(transaction=True)
def test_admin_marks_a_sensitive_column_and_it_is_masked_below_admin(
    live_server, admin_page, member, project, orders_connection
):
    """The admin ticks email on the table page; a member then sees it masked there and in the SQL grid."""
    from playwright.sync_api import expect

    orders_connection.read_only = False
    orders_connection.save()
    synced(orders_connection)
    admin_page.goto(f"{live_server.url}/app/projects/{project.pk}/tables/customers/")
    cells = admin_page.locator("#rows table.results tbody tr").first.locator("td")
    expect(cells.nth(1)).to_have_text("c1@example.com")
    admin_page.locator("#sensitive-form").get_by_label("email").check()
    admin_page.get_by_role("button", name="Save sensitive columns").click()
    expect(admin_page.locator("#sensitive-status")).to_have_text("Sensitive: email.")
    admin_page.reload()
    expect(cells.nth(1)).to_have_text("c1@example.com")  # admins see the values

    # The member, in a second context of the same browser.
    client = Client()
    client.force_login(member)
    context = admin_page.context.browser.new_context(viewport={"width": 1100, "height": 800})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server.url}/app/projects/{project.pk}/tables/customers/")
    member_cells = page.locator("#rows table.results tbody tr").first.locator("td")
    expect(member_cells.nth(1)).to_have_text("••••••")
    expect(page.locator("#sensitive-form")).to_have_count(0)
    member_cells.nth(1).dblclick()
    expect(page.get_by_label("Edit email")).to_have_count(0)  # a masked value is not edited in place
    page.goto(f"{live_server.url}/app/projects/{project.pk}/sql/")
    _type_statement(page, "SELECT id, email FROM customers ORDER BY id")
    page.keyboard.press("Control+Enter")
    first = page.locator("table.results tbody tr").first.locator("td")
    expect(first.nth(0)).to_have_text("1")
    expect(first.nth(1)).to_have_text("••••••")
