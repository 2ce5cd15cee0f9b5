"""The account pages with a Django test client: verify, resend, forgotten password, profile, sessions,
and the verified-address guard on the pages that invite, connect or run."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts import services
from accounts.models import SignInSession, User
from accounts.tests.mail import code_in, deliver_account_emails, last_mail_to, token_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FACTORY_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another quite long passphrase 77"


def page_sign_up(client, email="page@example.com"):
    response = client.post(
        "/app/signup/",
        {"email": email, "password1": "a fine long password", "password2": "a fine long password"},
    )
    deliver_account_emails()
    return response


def test_sign_up_with_a_taken_address_looks_exactly_like_a_new_one():
    UserFactory(email="taken@example.com")
    new, taken = Client(), Client()
    new_response = page_sign_up(new, "fresh@example.com")
    taken_response = page_sign_up(taken, "taken@example.com")
    assert new_response.status_code == taken_response.status_code == 302
    assert new_response["Location"].replace("fresh", "X") == taken_response["Location"].replace("taken", "X")
    assert "_auth_user_id" not in new.session and "_auth_user_id" not in taken.session
    assert last_mail_to("taken@example.com").subject == "You already have a DBooster account"


def test_verify_page_takes_the_code_and_signs_in(client):
    page_sign_up(client)
    code = code_in(last_mail_to("page@example.com"))
    wrong = client.post("/app/verify/", {"email": "page@example.com", "code": "x" + code[1:]})
    assert wrong.status_code == 400 and "This code is wrong" in wrong.content.decode()
    done = client.post("/app/verify/", {"email": "page@example.com", "code": code, "next": "/app/profile/"})
    assert done.status_code == 302 and done["Location"] == "/app/profile/"
    assert int(client.session["_auth_user_id"]) == User.objects.get(email="page@example.com").pk
    assert "is verified." in client.get("/app/profile/").content.decode()


def test_verify_link_asks_for_a_click_then_verifies(client):
    page_sign_up(client)
    token = token_in(last_mail_to("page@example.com"))
    shown = client.get(f"/app/verify/?token={token}")
    assert shown.status_code == 200 and "Confirm my address" in shown.content.decode()
    assert not User.objects.get(email="page@example.com").email_verified  # a GET (mail scanners) changes nothing
    assert client.post("/app/verify/", {"token": token}).status_code == 302
    assert User.objects.get(email="page@example.com").email_verified


def test_resend_page_answers_the_same_and_mails_a_new_code(client):
    page_sign_up(client)
    for email in ("page@example.com", "nobody@example.com"):
        response = client.post("/app/verify/resend/", {"email": email}, follow=True)
        assert f"If {email} is waiting to be verified" in response.content.decode()
    assert [m.to for m in deliver_account_emails()] == [["page@example.com"]]


def test_forgot_and_reset_pages_with_the_code(client):
    user = UserFactory(email="forgot@example.com")
    for email in ("forgot@example.com", "unknown@example.com"):
        response = client.post("/app/forgot-password/", {"email": email})
        assert response.status_code == 302 and response["Location"].startswith("/app/reset-password/?email=")
    deliver_account_emails()
    code = code_in(last_mail_to("forgot@example.com"))
    weak = client.post(
        "/app/reset-password/",
        {"email": "forgot@example.com", "code": code, "new_password1": "password", "new_password2": "password"},
    )
    assert weak.status_code == 400 and "too common" in weak.content.decode()
    done = client.post(
        "/app/reset-password/",
        {"email": "forgot@example.com", "code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/app/login/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_profile_page_changes_name_and_password_and_keeps_this_browser_signed_in(browser_for, member):
    client = browser_for(member)
    saved = client.post(
        "/app/profile/", {"action": "profile", "full_name": "Renamed", "picture": "", "email": member.email}
    )
    assert saved.status_code == 302
    member.refresh_from_db()
    assert member.full_name == "Renamed"
    weak = client.post(
        "/app/profile/",
        {"action": "password", "current_password": FACTORY_PASSWORD, "new_password1": "1234", "new_password2": "1234"},
    )
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    wrong = client.post(
        "/app/profile/",
        {
            "action": "password",
            "current_password": "nope",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.content.decode()
    changed = client.post(
        "/app/profile/",
        {
            "action": "password",
            "current_password": FACTORY_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert client.get("/app/profile/").status_code == 200  # still signed in


def test_profile_page_email_change_goes_to_the_code_page(browser_for, member):
    response = browser_for(member).post(
        "/app/profile/", {"action": "profile", "full_name": "", "picture": "", "email": "moved@example.com"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/app/verify/?email=moved%40example.com")
    deliver_account_emails()
    assert code_in(last_mail_to("moved@example.com"))


def test_profile_page_delete_follows_the_last_admin_rule(browser_for, admin_user, member):
    refused = browser_for(admin_user).post("/app/profile/", {"action": "delete", "password": FACTORY_PASSWORD})
    assert refused.status_code == 409 and "last admin" in refused.content.decode()
    done = browser_for(member).post("/app/profile/", {"action": "delete", "password": FACTORY_PASSWORD})
    assert done.status_code == 302 and not User.objects.filter(pk=member.pk).exists()


def listed_sessions(client) -> list[str]:
    return sorted(re.findall(r'name="revoke" value="(\d+)"', client.get("/app/sessions/").content.decode()))


def test_sessions_page_lists_and_revokes(browser_for, member):
    services.token_pair(member)
    services.token_pair(member)
    client = browser_for(member)
    sessions = list(SignInSession.objects.filter(user=member))
    assert listed_sessions(client) == sorted(str(s.pk) for s in sessions)
    client.post("/app/sessions/", {"revoke": str(sessions[0].pk)})
    assert listed_sessions(client) == [str(sessions[1].pk)]
    client.post("/app/sessions/", {"revoke": "all"})
    assert "No API sessions are active." in client.get("/app/sessions/").content.decode()


def test_pages_that_invite_or_run_need_a_verified_address(browser_for, org, project):
    unverified = UserFactory(organization=org, role="admin", email_verified_at=None)
    client = browser_for(unverified)
    invite = client.post("/app/organization/invitations/", {"email": "x@example.com", "role": "member"})
    assert invite.status_code == 403 and "Verify your e-mail address" in invite.content.decode()
    explain = client.post(f"/app/projects/{project.id}/explain/", {"query": "SELECT 1"})
    assert explain.status_code == 403 and "/app/verify/" in explain.content.decode()
    assert client.get(f"/app/projects/{project.id}/explain/").status_code == 200  # reading stays open
