"""A real browser (Debian's chromium through Playwright) opens the report from the project page: the prose the fake
model wrote around pagila's facts, the priorities, the size, the slowest queries with their advice as code, and
no raw backtick anywhere on the page."""

import json
import os

import psycopg
import pytest

from projects.tests.test_browser import ARTIFACTS, pytestmark, signed_in_page  # noqa: F401

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls must run beside it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def report_page(live_server, viewer):
    yield from signed_in_page(live_server, viewer)


@pytest.mark.django_db(transaction=True)
def test_the_report_page(live_server, report_page, project, pagila, fake_openai):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with psycopg.connect(pagila.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT count(*) FROM rental r JOIN inventory i ON i.inventory_id = r.inventory_id")
    fake_openai.text(
        json.dumps(
            {
                "size": "The database pagila is described below, table by table.",
                "health": "The checks below are what DBooster found.",
                "queries": "These statements take the most time per call.",
                "first": "Follow the list from the top.",
            }
        )
    )
    page = report_page
    page.goto(f"{live_server.url}/app/projects/{project.pk}/")
    page.get_by_role("link", name="Report").click()
    expect(page.locator("#written-by")).to_contain_text("Prose written by the AI model")
    expect(page.locator("#section-size .prose")).to_have_text("The database pagila is described below, table by table.")
    expect(page.locator("#section-size table")).to_contain_text("public.")
    expect(page.locator("#section-queries")).to_be_visible()
    expect(page.locator("#section-first")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "assistant-report.png"), full_page=True)
    assert "`" not in page.locator("main").inner_text()
