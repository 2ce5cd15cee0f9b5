"""Fixtures of the dashboard's browser tests: a small demo shop database and a chromium page."""

import os
import uuid

import psycopg
import pytest
from psycopg import sql

from dashboard.tests.browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, WAIT_MS
from dbooster.testing import playwright_session
from schema_metadata import demo_shop

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread


@pytest.fixture
def demo_database(settings):
    """A small demo shop (built by the same code as the real one) that the demo button connects to."""
    name = f"test_demo_shop_{uuid.uuid4().hex[:8]}"
    demo_shop.build(name=name, orders=30_000, log=lambda *_: None)
    settings.DEMO_SHOP_DATABASE = name
    settings.TARGET_ALLOW_LOCAL = True
    yield name
    with psycopg.connect(**demo_shop.server_params(), dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def page():
    with playwright_session() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        try:
            yield page
        finally:
            context.close()
            browser.close()
