"""A new user's first session in a real browser (Debian's chromium through Playwright), checked at each step.

Sign up, create a project, use the demo shop database, sync it, explain a query, optimize it, submit the
index, approve it, apply it and measure again; on the way the plan view, the pasted-plan page, the
comparison, the home page and the setup page of an unconfigured provider. Every page is screenshotted at
1366x900 and 390x844 into test-artifacts/first-session/ and must be no wider than its viewport.

Background jobs (the schema sync, the apply) run with a real procrastinate worker while the page is open:
the page must notice by itself that they finished. No assertion depends on how long anything takes: the
waits are for states, with generous time-outs.
"""

import json
import os
import re
import threading
from pathlib import Path

import pytest
from django import db
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboard.tests.browser import CHROMIUM, DESKTOP, PHONE, WAIT_MS, check_both_sizes
from dbooster.testing import run_pending_jobs

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

QUERY = "SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at DESC LIMIT 20"
TEXT_PLAN = Path(__file__).resolve().parents[2] / "schema_metadata" / "tests" / "plans" / "pg18" / "join_group_sort.txt"
TEXT_PLAN_PG15 = TEXT_PLAN.parents[1] / "pg15" / "join_group_sort.txt"
EMAIL = "a.very.long.first.name.and.surname@an-unusually-long-company-domain.example.com"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


def run_jobs(queue: str) -> dict:
    """Run the queued jobs with a real worker in its own thread (Playwright owns this thread's event loop)."""
    outcome: dict = {}

    def work():
        try:
            outcome.update(run_pending_jobs(queues=[queue]))
        finally:
            db.connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return outcome


def no_submit_navigation(page, selector: str) -> None:
    """Keep the form from leaving the page so what it shows while waiting can be read."""
    page.eval_on_selector(selector, "form => form.addEventListener('submit', e => e.preventDefault())")


@pytest.mark.django_db(transaction=True)
def test_first_session_from_sign_up_to_a_measured_index(live_server, page, demo_database):
    from playwright.sync_api import expect

    base = live_server.url

    # Sign up: the sign-in page says Google is not set up and links to what the operator must do.
    page.goto(f"{base}/app/login/")
    expect(page.locator(".provider-google")).to_have_attribute("aria-disabled", "true")
    expect(page.locator(".providers")).not_to_contain_text("GOOGLE_CLIENT_ID")
    check_both_sizes(page, "01-sign-in")
    page.goto(f"{base}/app/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill("a fine long password")
    page.get_by_label("Password again").fill("a fine long password")
    page.get_by_label("Organization name (optional)").fill("First Session Org")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".msg.success")).to_contain_text("Check your inbox")
    # Verifying the address by its e-mailed code is the accounts tests' subject; here it is taken as done.
    get_user_model().objects.filter(email=EMAIL).update(email_verified_at=timezone.now())
    page.goto(f"{base}/app/")
    if "/login/" in page.url:
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password", exact=True).fill("a fine long password")
        page.locator("form button[type=submit]").last.click()
        page.goto(f"{base}/app/")
    expect(page.get_by_role("link", name="Create a project")).to_be_visible()
    check_both_sizes(page, "02-home-empty")

    # The phone's navigation is a menu; every area is in it.
    page.set_viewport_size(PHONE)
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    for area in ("Home", "Projects", "Databases", "Explain", "Optimize", "Repositories", "Approvals", "Audit"):
        expect(nav.get_by_role("link", name=area, exact=True)).to_be_visible()
    page.set_viewport_size(DESKTOP)

    # A project, and its page with the checklist: connecting a database is the step to take.
    page.get_by_role("link", name="Create a project").click()
    page.get_by_label("Name").fill("Shop")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"{base}/app/projects/")
    page.get_by_role("link", name="Shop", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/projects/\d+/$"))
    project_url = page.url
    expect(page.locator("[data-step=connect]")).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator("[data-step=connect]")).to_have_attribute("data-done", "no")
    check_both_sizes(page, "03-project-checklist")

    # Use the demo shop database: one button, no URL to type.
    page.locator("[data-step=connect]").get_by_role("link", name="Add a connection").click()
    check_both_sizes(page, "04-new-connection")
    page.get_by_role("button", name="Use the demo shop database").click()
    expect(page.locator(".msg.success")).to_contain_text("Connected to the demo shop")
    check_both_sizes(page, "05-demo-connection")

    # Sync: the page follows the worker by itself (no reload from here), and never offers a second sync.
    page.get_by_role("button", name="Sync schema").click()
    running = page.locator("[data-poll]")
    expect(running).to_have_count(1)
    check_both_sizes(page, "06-sync-running")
    assert run_jobs("schema_sync") == {"succeeded": 1}
    expect(page.locator("[data-sync] .badge").first).to_have_text("succeeded", timeout=WAIT_MS)
    expect(page.locator("[data-poll]")).to_have_count(0)
    expect(page.locator("[data-sync]").first).to_contain_text("tables")
    check_both_sizes(page, "07-schema-synced")

    # Explain from the menu: the current project's page. The button shows it is working.
    page.get_by_role("navigation").get_by_role("link", name="Explain", exact=True).click()
    page.wait_for_url(re.compile(r".*/app/projects/\d+/explain/$"))
    page.get_by_label("Query").fill(QUERY)
    no_submit_navigation(page, "form[data-busy]")
    page.get_by_role("button", name="Explain", exact=True).click()
    expect(page.locator("[data-busy-status]")).to_contain_text("Running EXPLAIN")
    expect(page.locator("form[data-busy] button[type=submit]")).to_be_disabled()
    page.reload()
    page.get_by_label("Query").fill(QUERY)
    page.get_by_role("button", name="Explain", exact=True).click()
    result = page.locator("#result")
    expect(result.locator(".hotspots li[data-hotspot]").first).to_be_visible()
    expect(result.locator(".hotspots")).to_contain_text("orders")  # the scan of orders is where time goes
    first_node = result.locator(".plan-node").first
    for stat in ("self", "inclusive", "rows", "loops", "buffers"):
        expect(first_node.locator(f"[data-stat={stat}]")).to_be_visible()
    expect(result.locator("[data-stat=rows]").first).to_contain_text("actual of")
    result.locator("details.raw-plan summary").click()
    raw = json.loads(result.locator("#raw-plan-main").text_content())
    assert raw[0]["Plan"]["Node Type"] and "Execution Time" in raw[0]
    result.get_by_role("button", name="Copy JSON").click()
    expect(result.locator("[data-copy-status]")).not_to_be_empty()
    check_both_sizes(page, "08-explain-result")

    # Every result leads on: optimize this query, with the query and connection filled in.
    result.get_by_role("link", name="Optimize this query").click()
    page.wait_for_url(re.compile(r".*/app/optimize/\?.*"))
    expect(page.locator("#optimize-form textarea")).to_have_value(QUERY)
    page.get_by_label("Ask the AI").uncheck()
    check_both_sizes(page, "09-optimize-form")
    page.get_by_role("button", name="Optimize").click()
    page.wait_for_url(re.compile(r".*/app/optimize/\d+/$"), timeout=WAIT_MS)
    suggestion = page.locator(".suggestion[data-kind=index]").first
    expect(suggestion).to_contain_text("orders")
    check_both_sizes(page, "10-optimize-result")

    # Suggestion -> approval -> apply, the apply followed live, then measure again.
    suggestion.get_by_role("button", name="Submit for approval").click()
    page.wait_for_url(re.compile(r".*/app/approvals/\d+/$"))
    check_both_sizes(page, "11-proposal")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("button", name="Apply now")).to_be_visible()
    page.get_by_role("button", name="Apply now").click()
    expect(page.locator("#applying[data-poll]")).to_be_visible()
    expect(page.get_by_role("button", name="Apply now")).to_have_count(0)
    check_both_sizes(page, "12-applying")
    assert run_jobs("apply") == {"succeeded": 1}
    expect(page.locator("#measure")).to_be_visible(timeout=WAIT_MS)
    check_both_sizes(page, "13-applied")
    page.get_by_role("button", name="Measure again").click()
    page.wait_for_url(re.compile(r".*/measure/$"))
    expect(page.locator("table.compare-totals")).to_contain_text("faster")
    expect(page.locator("table.compare-nodes tbody tr").first).to_be_visible()
    check_both_sizes(page, "14-measured-again")

    # The two runs of the query side by side from the analysis page.
    page.get_by_role("link", name="Open this analysis").click()
    page.get_by_role("link", name=re.compile(r"\d{4}-\d\d-\d\d")).first.click()
    page.wait_for_url(re.compile(r".*/app/analyses/compare/\?before=\d+&after=\d+$"))
    expect(page.locator("table.compare-nodes tbody tr[data-change=changed]").first).to_be_visible()
    check_both_sizes(page, "15-compare-analyses")

    # A plan pasted as psql printed it, compared with another server's plan of the same query.
    page.goto(f"{base}/app/plans/")
    page.get_by_label("Plan", exact=True).fill(TEXT_PLAN.read_text())
    page.get_by_label("Second plan of the same query (optional)").fill(TEXT_PLAN_PG15.read_text())
    page.get_by_role("button", name="Analyse").click()
    expect(page.locator("#result .hotspots li").first).to_be_visible()
    expect(page.locator("#comparison table.compare-nodes tbody tr")).not_to_have_count(0)
    check_both_sizes(page, "16-pasted-plan")

    # Home: measured queries, the checklist's progress, what to do next.
    page.goto(f"{base}/app/")
    expect(page.locator("#measured-title")).to_be_visible()
    expect(page.locator(".stat-list").first).to_contain_text("orders")
    for step in ("connect", "sync", "optimize"):
        expect(page.locator(f"[data-step={step}]")).to_have_attribute("data-done", "yes")
    expect(page.locator("[data-step=scan]")).to_have_attribute("data-done", "no")
    check_both_sizes(page, "17-home")
    page.goto(project_url)
    check_both_sizes(page, "18-project")

    # The audit log fits a 1366 px screen without scrolling sideways inside its table.
    page.goto(f"{base}/app/audit/")
    table = page.locator("table.audit")
    expect(table.locator("tbody tr").first).to_be_visible()
    assert page.evaluate("document.querySelector('table.audit').scrollWidth") <= page.evaluate(
        "document.querySelector('table.audit').parentElement.clientWidth"
    )
    expect(table).not_to_contain_text("True")
    check_both_sizes(page, "19-audit")

    # An unconfigured provider: a page in words for the user, no setting names.
    page.goto(f"{base}/app/setup/google/")
    expect(page.locator("[data-service=google]")).to_contain_text("not set up")
    expect(page.locator("main")).not_to_contain_text("GOOGLE_CLIENT_ID")
    check_both_sizes(page, "20-setup-google")
    for path, name in (("/app/approvals/", "21-approvals"), ("/app/databases/", "22-databases"),
                       ("/app/billing/", "23-billing"), ("/app/repositories/", "24-repositories"),
                       ("/app/notifications/", "25-notifications"), ("/app/organization/", "26-organization"),
                       ("/app/rules/", "27-rules"), ("/app/workload/", "28-workload")):  # fmt: skip
        page.goto(f"{base}{path}")
        check_both_sizes(page, name)
    expect(page.locator("main")).not_to_contain_text("GITHUB_CLIENT_ID")
