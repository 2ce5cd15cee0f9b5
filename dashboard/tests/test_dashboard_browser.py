"""The dashboard (home) and the health page in a real browser (Debian's chromium through Playwright), on the demo
shop database: content checked, screenshots at 1366x900 and 390x844, no page wider than its viewport.

The demo database gets one problem on purpose (an index that another one covers), the health checks run from
the page's button, a query is optimized from the optimize page: the home page then shows the counts, the worst
health finding and the query with the most time to save, all made by the real code.
"""

import re

import psycopg
import pytest
from psycopg import sql

from dashboard.tests.browser import HAS_CHROMIUM, WAIT_MS, check_both_sizes
from schema_metadata import demo_shop
from schema_metadata import services as schema_services

QUERY = "SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at DESC LIMIT 20"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAS_CHROMIUM, reason="/usr/bin/chromium is not installed (apt-get install chromium)"),
]


def covered_index_on(database: str) -> None:
    with psycopg.connect(**demo_shop.server_params(), dbname=database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE INDEX dashboard_test_customer ON orders (customer_id)"))
        conn.execute(sql.SQL("CREATE INDEX dashboard_test_customer_status ON orders (customer_id, status)"))


def sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/app/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/app/$"))


@pytest.mark.django_db(transaction=True)
def test_dashboard_and_health_pages_on_the_demo_database(live_server, page, demo_database, admin_user, project):
    from playwright.sync_api import expect

    base = live_server.url
    connection = schema_services.demo_connection_create(project=project, actor=admin_user)
    sync = schema_services.sync_request(project=project, actor=admin_user, defer=False)
    schema_services.sync_execute(sync_id=sync.pk)
    covered_index_on(demo_database)
    sign_in(page, base, admin_user)

    # Health from the menu: the current project's page; nothing run yet, then the checks run from its button.
    page.get_by_role("navigation").get_by_role("link", name="Health", exact=True).click()
    page.wait_for_url(f"{base}/app/projects/{project.pk}/health/")
    expect(page.locator("main")).to_contain_text("No run yet")
    page.get_by_role("button", name="Run the checks now").click()
    page.wait_for_url(re.compile(rf".*/app/projects/{project.pk}/health/\?connection={connection.pk}$"))
    expect(page.locator("#last-run")).to_contain_text("checks ran")
    duplicate = page.locator(".finding[data-check=duplicate_indexes]")
    expect(duplicate).to_have_count(1)
    expect(duplicate).to_contain_text("dashboard_test_customer")
    expect(duplicate.get_by_role("button", name="Propose this fix")).to_be_visible()
    check_both_sizes(page, "30-health")

    # A query optimized on the demo database: a measured index suggestion, time to save.
    page.goto(f"{base}/app/optimize/?project={project.pk}")
    page.locator("#optimize-form textarea").fill(QUERY)
    page.get_by_label("Ask the AI").uncheck()
    page.get_by_role("button", name="Optimize").click()
    page.wait_for_url(re.compile(r".*/app/optimize/\d+/$"), timeout=WAIT_MS)

    # Home: the counts across projects, the worst finding, the query with the most time to save.
    page.get_by_role("link", name="Home", exact=True).click()
    counts = page.locator("#dashboard-counts")
    expect(counts.locator("[data-count=projects] dd")).to_have_text("1")
    expect(counts.locator("[data-count=connections] dd")).to_have_text("1")
    assert int(counts.locator("[data-count=open_findings] dd").text_content()) >= 2  # the finding and the suggestion
    worst = page.locator("#worst-findings")
    expect(worst.locator("li").first).to_have_attribute("data-severity", re.compile("critical|warning"))
    expect(worst).to_contain_text("dashboard_test_customer")
    expect(page.locator("#time-to-save li").first).to_contain_text("orders")
    expect(page.locator("#time-to-save li").first).to_contain_text("to save")
    check_both_sizes(page, "31-home-dashboard")

    # The project page: its database with its synced size and its last health run, linked.
    page.goto(f"{base}/app/projects/{project.pk}/")
    databases = page.locator("#project-connections")
    expect(databases).to_contain_text("Demo shop database")
    expect(databases).to_contain_text("with their indexes")
    expect(databases.get_by_role("link", name=re.compile(r"\d+ critical, \d+ warnings?"))).to_be_visible()
    expect(page.locator(".actions-row").get_by_role("link", name="Health")).to_be_visible()
    check_both_sizes(page, "32-project-databases")
