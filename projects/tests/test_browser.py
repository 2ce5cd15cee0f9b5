"""A real browser (Debian's chromium through Playwright) signs up, creates a project and sees it listed."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.tests.mail import run_pending_jobs_beside_an_event_loop
from conftest import BROWSER_WAIT_MS
from dbooster.testing import playwright_session

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
# live server's fixtures would otherwise refuse to run next to it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


def signed_in_page(live_server, user, *, timeout_ms: int = BROWSER_WAIT_MS):
    """A chromium page already signed in as `user` (the session cookie of a forced login): a generator for fixtures."""
    client = Client()
    client.force_login(user)
    with playwright_session() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 800})
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": live_server.url}]
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def page():
    with playwright_session() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 720})
        page = context.new_page()
        page.set_default_timeout(BROWSER_WAIT_MS)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_sign_up_create_project_and_see_it_listed(live_server, page):
    from playwright.sync_api import expect

    # The sign-in page: provider buttons (disabled here: no client ids in tests) and the e-mail form.
    page.goto(f"{live_server.url}/app/login/")
    expect(page.locator(".provider-google")).to_have_attribute("aria-disabled", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sign-in.png"), full_page=True)
    page.get_by_role("link", name="Create an account").click()

    page.wait_for_url(re.compile(r".*/app/signup/\?next=.*"))
    page.get_by_label("Email").fill("browser.user@example.com")
    page.get_by_label("Full name (optional)").fill("Browser User")
    page.get_by_label("Password", exact=True).fill("a fine long password")
    page.get_by_label("Password again").fill("a fine long password")
    page.get_by_label("Organization name (optional)").fill("Browser Org")
    page.get_by_role("button", name="Sign up").click()

    # The address is verified with the code the worker mailed (accounts/tests/test_browser.py covers more).
    page.wait_for_url(re.compile(r".*/app/verify/\?.*"))
    run_pending_jobs_beside_an_event_loop()
    code = re.search(r"code is:\s*(\d{6})", mail.outbox[-1].body).group(1)
    page.get_by_label("Code from the e-mail").fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url(f"{live_server.url}/app/")
    expect(page.get_by_text("browser.user@example.com is verified")).to_be_visible()

    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name").fill("בדיקות שאילתות")
    page.get_by_label("Description").fill("Slow checkout queries")
    page.get_by_role("button", name="Create project").click()

    page.wait_for_url(f"{live_server.url}/app/projects/")
    row = page.locator("table.projects tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("בדיקות שאילתות")
    expect(row.first).to_contain_text("Slow checkout queries")

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "projects-list.png"
    screenshot.unlink(missing_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.exists() and screenshot.stat().st_size > 1000

    # The same page on a phone-sized screen: nothing wider than the viewport.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390, scroll_width
    page.screenshot(path=str(ARTIFACTS / "projects-list-phone.png"), full_page=True)

    # The organization page: the new user is its admin and can invite.
    page.set_viewport_size({"width": 1000, "height": 720})
    page.get_by_role("link", name="Organization").click()
    page.get_by_label("E-mail").fill("teammate@example.com")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to teammate@example.com.")).to_be_visible()
    expect(page.locator("table.invitations")).to_contain_text("teammate@example.com")
    page.screenshot(path=str(ARTIFACTS / "organization.png"), full_page=True)
