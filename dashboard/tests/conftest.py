"""Fixtures of the dashboard's browser tests: a small demo shop database and a chromium page."""

import os

import pytest

from dashboard.tests.browser import CHROMIUM, DESKTOP, LAUNCH_ARGS, WAIT_MS, small_demo_shop
from dbooster.testing import playwright_session

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread


@pytest.fixture
def demo_database(settings):
    with small_demo_shop(settings, orders=30_000) as name:
        yield name


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
