"""The health page and the analytics pages in a real browser (Debian's chromium through Playwright), on the demo
shop database after real snapshots taken by a real procrastinate worker.

Three snapshots are taken by the worker with a workload on the demo database between them; their times are
then spread 15 minutes apart (what waiting two intervals would give), so every chart has several points.
Each chart must hold a canvas with its series' colour drawn on it, the sparklines too, the table must sort, no
page may log a console error, and no page may be wider than a 390 px phone.
"""

import os
import re
import threading
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django import db
from django.conf import settings
from django.utils import timezone

from analytics import services
from analytics.models import Snapshot
from dashboard.tests.browser import CHROMIUM, LAUNCH_ARGS, small_demo_shop, wider_than_screen
from dbooster import jobs
from dbooster.testing import playwright_session, run_pending_jobs
from schema_metadata import demo_shop
from schema_metadata.models import DatabaseConnection
from tests.factories import ProjectFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "analytics"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 120_000
PASSWORD = "correct horse battery staple"
SERIES_RGB = (0x25, 0x63, 0xEB)  # the first series' colour in frontend/analytics.js
WORKLOAD = [
    ("SELECT id, total FROM orders WHERE status = %s ORDER BY created_at DESC LIMIT 20", ("pending",)),
    ("SELECT count(*) FROM order_items WHERE order_id = %s", (42,)),
    ("SELECT c.country, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY 1", ()),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]

COLOURED_PIXELS = """(node, rgb) => {
  const canvas = node.querySelector('canvas');
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2] && data[i + 3] > 200) n += 1;
  }
  return n;
}"""


@pytest.fixture
def demo_database(settings):
    with small_demo_shop(settings, orders=20_000) as name:
        yield name


def run_workload(url: str, rounds: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(rounds):
            for query, params in WORKLOAD:
                conn.execute(query, params or None).fetchall()


def snapshot_by_the_worker(connection) -> None:
    """Queue one snapshot job and run it with a real worker in its own thread (Playwright owns this one's loop)."""
    jobs.defer(services.SNAPSHOT_TASK, connection_id=connection.pk)
    outcome: dict = {}

    def work():
        try:
            outcome.update(run_pending_jobs(queues=["analytics"]))
        finally:
            db.connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome.get("succeeded", 0) >= 1 and not outcome.get("failed"), outcome


@pytest.fixture
def page():
    with playwright_session() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.errors = []
        # Console errors, script errors and failed requests; a failed request's console line says no URL, so
        # requests are checked by their response (the browser's own favicon.ico request is no page's).
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" and not
                m.text.startswith("Failed to load resource") else None)  # fmt: skip
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("response", lambda r: page.errors.append(f"{r.status} {r.url}") if r.status >= 400 and not
                r.url.endswith("/favicon.ico") else None)  # fmt: skip
        try:
            yield page
        finally:
            context.close()
            browser.close()


def fits_a_phone(page, name: str) -> None:
    """Screenshots at both sizes into test-artifacts/analytics/; at 390 px nothing sticks out, charts included."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    # The charts follow their card's width (a ResizeObserver): wait for that state, not for a time.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart][data-drawn] canvas')]"
        ".every(c => c.getBoundingClientRect().right <= window.innerWidth)"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width}px wide at 390px: {wider_than_screen(page)}"
    for chart in page.locator("[data-chart][data-drawn]").all():
        assert chart.evaluate("n => n.querySelector('canvas').getBoundingClientRect().right") <= PHONE["width"]
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def assert_charts_drawn(page, names: list[str]) -> None:
    for name in names:
        chart = page.locator(f"[data-chart={name}]")
        chart.locator("canvas").wait_for()
        assert chart.get_attribute("data-drawn"), name
        assert chart.evaluate(COLOURED_PIXELS, list(SERIES_RGB)) > 5, f"the {name} chart drew no series"


@pytest.mark.django_db(transaction=True)
def test_health_and_analytics_pages_on_the_demo_database(live_server, page, demo_database):
    from playwright.sync_api import expect

    user = UserFactory(role="member")
    project = ProjectFactory(organization=user.organization, created_by=user, name="Shop")
    connection = DatabaseConnection.objects.create(
        project=project, name="demo shop", url=demo_shop.connection_url(), environment="development",
        is_default=True,
    )  # fmt: skip
    url = demo_shop.database_url(demo_database)
    for round_ in range(3):
        run_workload(url, rounds=2 + 3 * round_)
        snapshot_by_the_worker(connection)
    now = timezone.now()
    for age, snapshot in enumerate(Snapshot.objects.filter(connection=connection).order_by("-taken_at")):
        Snapshot.objects.filter(pk=snapshot.pk).update(taken_at=now - timedelta(minutes=5 + 15 * age))
    assert Snapshot.objects.filter(connection=connection, calls__gt=0).count() == 2

    base = live_server.url
    page.goto(f"{base}/app/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/app/.*"))

    # The health page: run the checks on the demo database.
    page.goto(f"{base}/app/projects/{project.pk}/health/")
    page.get_by_role("button", name="Run the checks now").click()
    expect(page.locator("#last-run")).to_be_visible()
    expect(page.locator(".finding").first).to_be_visible()  # the demo forgets its foreign keys' indexes
    fits_a_phone(page, "health")

    # The menu and the project's page lead to the analytics page.
    page.goto(f"{base}/app/projects/{project.pk}/")
    page.locator(".actions-row").get_by_role("link", name="Analytics").click()
    page.wait_for_url(re.compile(rf".*/app/projects/{project.pk}/analytics/$"))
    assert_charts_drawn(page, ["storage", "relations", "time", "mean", "calls", "cache"])
    expect(page.locator("#collector-state")).to_contain_text("every 15 minutes")
    rows = page.locator("table.top-queries tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= len(WORKLOAD)
    sparkline = page.locator("[data-sparkline][data-drawn]").first
    assert sparkline.evaluate(COLOURED_PIXELS, list(SERIES_RGB)) > 5

    # Sorting by calls puts the most called first, again reverses.
    table = page.locator("table.top-queries")
    table.get_by_role("button", name="Calls").click()
    calls = [int(c) for c in rows.evaluate_all("rows => rows.map(r => r.dataset.calls)")]
    assert calls == sorted(calls, reverse=True) and calls[0] > calls[-1]
    table.get_by_role("button", name="Calls").click()
    assert [int(c) for c in rows.evaluate_all("rows => rows.map(r => r.dataset.calls)")] == sorted(calls)
    fits_a_phone(page, "analytics")

    # A query's own history, from its row.
    rows.first.locator("td.query-cell a").click()
    page.wait_for_url(re.compile(r".*/analytics/queries/[0-9a-f]+/.*"))
    expect(page.locator("#query-totals")).to_contain_text("calls")
    assert_charts_drawn(page, ["mean", "calls"])
    fits_a_phone(page, "query history")

    page.goto(f"{base}/app/analytics/")
    page.wait_for_url(re.compile(rf".*/app/projects/{project.pk}/analytics/$"))
    assert page.errors == [], page.errors
