"""A real browser (Debian's chromium through Playwright): sign-up with e-mail verification, and the forgotten
password flow, reading the mails the real worker sent (locmem outbox) and following their code and link."""

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.mail import code_in, link_in, run_pending_jobs_beside_an_event_loop
from projects.tests.test_browser import ARTIFACTS, page  # noqa: F401  (the chromium page fixture)
from projects.tests.test_browser import pytestmark as browser_marks
from tests.factories import UserFactory

pytestmark = browser_marks

NEW_PASSWORD = "a fresh long passphrase 31"


def mail_to(address: str):
    # Jobs another test left queued may run here too: what counts is that none failed and this mail went out.
    outcome = run_pending_jobs_beside_an_event_loop()
    assert outcome.get("succeeded", 0) >= 1 and set(outcome) == {"succeeded"}, outcome
    messages = [m for m in mail.outbox if address in m.to]
    assert messages, [m.to for m in mail.outbox]
    return messages[-1]


@pytest.mark.django_db(transaction=True)
def test_sign_up_shows_password_rules_then_verifies_with_the_mailed_code(live_server, page):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/app/signup/")
    page.get_by_label("Email").fill("new.person@example.com")
    page.get_by_label("Full name (optional)").fill("New Person")
    # Django's validators answer while typing, before anything is sent.
    page.get_by_label("Password", exact=True).fill("password")
    expect(page.locator(".password-check")).to_contain_text("This password is too common.")
    page.get_by_label("Password", exact=True).fill("a fine long password")
    expect(page.locator(".password-check")).to_contain_text("This password is fine.")
    page.get_by_label("Password again").fill("a fine long password")
    page.get_by_role("button", name="Sign up").click()

    page.wait_for_url(re.compile(r".*/app/verify/\?email=new.person%40example.com.*"))
    expect(page.get_by_text("we sent a code and a link to verify new.person@example.com")).to_be_visible()
    assert not User.objects.get(email="new.person@example.com").email_verified

    message = mail_to("new.person@example.com")
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    code = code_in(message)
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("Code from the e-mail").fill(wrong)
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This code is wrong")

    page.get_by_label("Code from the e-mail").fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url(f"{live_server.url}/app/projects/")
    expect(page.get_by_text("new.person@example.com is verified")).to_be_visible()
    assert User.objects.get(email="new.person@example.com").email_verified

    page.goto(f"{live_server.url}/app/profile/")
    expect(page.get_by_text("new.person@example.com is verified.")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_forgotten_password_by_the_mailed_link_then_sign_in_with_the_new_one(live_server, page):  # noqa: F811
    from playwright.sync_api import expect

    UserFactory(email="forgetful@example.com")
    page.goto(f"{live_server.url}/app/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url(re.compile(r".*/app/reset-password/\?email=.*"))
    expect(page.get_by_text("If an account uses forgetful@example.com")).to_be_visible()

    link = link_in(mail_to("forgetful@example.com"))
    assert link.startswith("http://localhost:8000/app/reset-password/?token=")
    page.goto(live_server.url + link.removeprefix("http://localhost:8000"))
    page.get_by_label("New password", exact=True).fill("12345678")
    expect(page.locator(".password-check")).to_contain_text("entirely numeric")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    page.wait_for_url(re.compile(r".*/app/login/.*"))
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/app/")
    expect(page.get_by_role("link", name="forgetful@example.com")).to_be_visible()
