"""E-mail verification, forgotten password, password change, profile, account deletion and sessions (API).

Codes and links are read from the mails the real task renders (locmem outbox), as a user would.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import EmailCode, SignInSession, User
from accounts.tests.mail import code_in, deliver_account_emails, last_mail_to, token_in
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"
NEW_PASSWORD = "another quite long passphrase 77"
FACTORY_PASSWORD = "correct horse battery staple"


def post(client, path, body):
    return client.post(path, body, format="json")


def sign_up(client, email="ada@example.com", **extra):
    response = post(client, "/auth/signup", {"email": email, "password": PASSWORD, **extra})
    assert response.status_code == 202, response.content
    deliver_account_emails()
    return response


def bearer(tokens) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client


# --- sign-up and verification ---------------------------------------------------------------------


def test_signup_takes_ai_db_assistants_name_and_mails_a_code_and_a_link(api_client):
    sign_up(api_client, name="Ada Lovelace")
    user = User.objects.get(email="ada@example.com")
    assert user.full_name == "Ada Lovelace" and not user.email_verified
    message = last_mail_to("ada@example.com")
    assert message.subject == "Your DBooster verification code"
    html, mime = message.alternatives[0]
    assert mime == "text/html" and code_in(message) in html and token_in(message) in html
    assert "/app/verify/?token=" in message.body


def test_code_verifies_the_address_and_signs_in(api_client):
    sign_up(api_client)
    code = code_in(last_mail_to("ada@example.com"))
    response = post(api_client, "/auth/verify", {"email": "ADA@example.com", "code": code})
    assert response.status_code == 200, response.content
    me = bearer(response.json()).get("/users/me").json()
    assert me["email"] == "ada@example.com" and me["email_verified"] is True
    again = post(api_client, "/auth/verify", {"email": "ada@example.com", "code": code})
    assert again.status_code == 400 and again.json()["code"] == "wrong_code"  # spent


def test_link_token_verifies_too_and_only_once(api_client):
    sign_up(api_client)
    token = token_in(last_mail_to("ada@example.com"))
    assert post(api_client, "/auth/verify", {"token": token}).status_code == 200
    assert User.objects.get(email="ada@example.com").email_verified
    again = post(api_client, "/auth/verify", {"token": token})
    assert again.status_code == 400 and again.json()["code"] == "invalid_link"


def test_codes_are_stored_hashed_and_the_queued_job_holds_them_encrypted(api_client):
    post(api_client, "/auth/signup", {"email": "ada@example.com", "password": PASSWORD})
    with connection.cursor() as cur:
        cur.execute("SELECT args::text FROM procrastinate_jobs WHERE task_name = 'accounts.send_account_email'")
        job_args = cur.fetchone()[0]
    deliver_account_emails()
    message = last_mail_to("ada@example.com")
    code, token = code_in(message), token_in(message)
    row = EmailCode.objects.get()
    assert code not in (row.code_hash, job_args) and token not in (row.token_hash, job_args)
    assert f'"{code}"' not in job_args


def test_wrong_and_expired_codes_are_400_saying_which(api_client):
    sign_up(api_client)
    code = code_in(last_mail_to("ada@example.com"))
    wrong = post(
        api_client, "/auth/verify", {"email": "ada@example.com", "code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_code" and "wrong" in wrong.json()["detail"]
    EmailCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = post(api_client, "/auth/verify", {"email": "ada@example.com", "code": code})
    assert (
        expired.status_code == 400
        and expired.json()["code"] == "code_expired"
        and "expired" in expired.json()["detail"]
    )


def test_a_code_locks_after_too_many_wrong_tries_even_for_the_right_code(api_client, settings):
    settings.EMAIL_CODE_MAX_ATTEMPTS = 3
    sign_up(api_client)
    code = code_in(last_mail_to("ada@example.com"))
    wrong = "000000" if code != "000000" else "111111"
    statuses = [
        post(api_client, "/auth/verify", {"email": "ada@example.com", "code": wrong}).status_code for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    locked = post(api_client, "/auth/verify", {"email": "ada@example.com", "code": code})
    assert locked.status_code == 429 and locked.json()["code"] == "too_many_tries"
    assert not User.objects.get(email="ada@example.com").email_verified
    # A new code starts afresh.
    assert post(api_client, "/auth/resend-code", {"email": "ada@example.com"}).status_code == 200
    deliver_account_emails()
    fresh = code_in(last_mail_to("ada@example.com"))
    assert post(api_client, "/auth/verify", {"email": "ada@example.com", "code": fresh}).status_code == 200


def test_an_unknown_address_answers_like_a_known_one_wrong_then_locked(api_client, settings):
    settings.EMAIL_CODE_MAX_ATTEMPTS = 3
    sign_up(api_client)
    for email in ("ada@example.com", "nobody@example.com"):
        answers = [post(api_client, "/auth/verify", {"email": email, "code": "999999"}) for _ in range(3)]
        assert [(a.status_code, a.json()["code"]) for a in answers] == [
            (400, "wrong_code"),
            (400, "wrong_code"),
            (429, "too_many_tries"),
        ], email


def test_resend_answers_the_same_for_any_address_and_retires_the_old_code(api_client):
    sign_up(api_client)
    old = code_in(last_mail_to("ada@example.com"))
    known = post(api_client, "/auth/resend-code", {"email": "ada@example.com"})
    unknown = post(api_client, "/auth/resend-code", {"email": "nobody@example.com"})
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.json()["detail"].replace("ada@", "X@") == unknown.json()["detail"].replace("nobody@", "X@")
    sent = deliver_account_emails()
    assert [m.to for m in sent] == [["ada@example.com"]]
    new = code_in(sent[0])
    if new != old:
        assert post(api_client, "/auth/verify", {"email": "ada@example.com", "code": old}).status_code == 400
    assert post(api_client, "/auth/verify", {"email": "ada@example.com", "code": new}).status_code == 200


def test_verify_needs_a_code_or_a_token(api_client):
    response = post(api_client, "/auth/verify", {"email": "ada@example.com"})
    assert response.status_code == 400 and response.json()["code"] == "code_required"


# --- the verified-address guard --------------------------------------------------------------------


@pytest.fixture
def unverified_admin(org):
    return UserFactory(organization=org, role="admin", email_verified_at=None)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/organizations/current/invitations", {"email": "new@example.com", "role": "member"}),
        ("POST", "/projects/{project}/connections", {"name": "db", "url": "postgresql://u@db.example.com/x"}),
        ("POST", "/query/explain", {"query": "SELECT 1", "project": "{project}"}),
        ("POST", "/query/optimize", {"query": "SELECT 1"}),
        ("POST", "/repos/scan", {"repo_url": "https://github.com/a/b", "project": "{project}"}),
        ("POST", "/metadata/sync", {"project": "{project}"}),
    ],
)
def test_unverified_users_cannot_invite_connect_or_run(
    client_for, unverified_admin, admin_user, project, method, path, body
):
    path = path.format(project=project.id)
    body = {k: (project.id if v == "{project}" else v) for k, v in body.items()}
    response = client_for(unverified_admin).generic(
        method, path, data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "email_not_verified"
    assert "/auth/verify" in response.json()["detail"]
    # The same request by a verified admin gets past the guard (whatever the endpoint answers next).
    verified = client_for(admin_user).generic(method, path, data=json.dumps(body), content_type="application/json")
    assert verified.json().get("code") != "email_not_verified"


def test_unverified_users_still_read(client_for, unverified_admin, project):
    client = client_for(unverified_admin)
    assert client.get("/organizations/current/invitations").status_code == 200
    assert client.get(f"/projects/{project.id}/connections").status_code == 200


def test_the_guard_lifts_once_the_code_is_entered(api_client):
    sign_up(api_client)
    tokens = post(api_client, "/auth/login", {"email": "ada@example.com", "password": PASSWORD}).json()
    invite = {"email": "bob@example.com", "role": "member"}
    assert bearer(tokens).post("/organizations/current/invitations", invite, format="json").status_code == 403
    code = code_in(last_mail_to("ada@example.com"))
    fresh = post(api_client, "/auth/verify", {"email": "ada@example.com", "code": code}).json()
    assert bearer(fresh).post("/organizations/current/invitations", invite, format="json").status_code == 201


def test_existing_users_were_marked_verified_by_the_migration():
    from importlib import import_module

    from django.apps import apps as global_apps

    migration = import_module("accounts.migrations.0004_email_verification_sessions")
    user = UserFactory(email_verified_at=None)
    migration.mark_existing_users_verified(global_apps, None)
    user.refresh_from_db()
    assert user.email_verified_at == user.created_at


# --- forgotten password ----------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses(api_client):
    UserFactory(email="known@example.com")
    known = post(api_client, "/auth/forgot-password", {"email": "known@example.com"})
    unknown = post(api_client, "/auth/forgot-password", {"email": "unknown@example.com"})
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.json()["detail"].replace("known@", "X@") == unknown.json()["detail"].replace("unknown@", "X@")
    assert [m.to for m in deliver_account_emails()] == [["known@example.com"]]


def test_reset_with_the_code_sets_the_password_and_revokes_every_refresh_token(api_client, client_for):
    user = UserFactory(email="known@example.com")
    old = post(api_client, "/auth/login", {"email": "known@example.com", "password": FACTORY_PASSWORD}).json()
    post(api_client, "/auth/forgot-password", {"email": "known@example.com"})
    deliver_account_emails()
    code = code_in(last_mail_to("known@example.com"))
    weak = post(
        api_client,
        "/auth/forgot-password/verify",
        {"email": "known@example.com", "code": code, "new_password": "12345678"},
    )
    assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
    assert "too common" in weak.json()["detail"] and weak.json()["errors"]["new_password"]
    done = post(
        api_client,
        "/auth/forgot-password/verify",
        {"email": "known@example.com", "code": code, "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 200, done.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert post(api_client, "/auth/refresh", {"refresh_token": old["refresh_token"]}).status_code == 401
    assert post(api_client, "/auth/login", {"email": "known@example.com", "password": NEW_PASSWORD}).status_code == 200


def test_reset_with_the_link_token(api_client):
    user = UserFactory(email="known@example.com")
    post(api_client, "/auth/forgot-password", {"email": "known@example.com"})
    deliver_account_emails()
    token = token_in(last_mail_to("known@example.com"))
    assert (
        post(api_client, "/auth/forgot-password/verify", {"token": token, "new_password": NEW_PASSWORD}).status_code
        == 200
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    again = post(api_client, "/auth/forgot-password/verify", {"token": token, "new_password": NEW_PASSWORD + "x"})
    assert again.status_code == 400 and again.json()["code"] == "invalid_link"


def test_a_verification_code_does_not_reset_a_password(api_client):
    sign_up(api_client)
    code = code_in(last_mail_to("ada@example.com"))
    response = post(
        api_client,
        "/auth/forgot-password/verify",
        {"email": "ada@example.com", "code": code, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 400 and response.json()["code"] == "wrong_code"


# --- password change, validation ---------------------------------------------------------------------


def test_password_change_checks_the_current_one_and_the_validators(client_for, member):
    client = client_for(member)
    wrong = post(client, "/users/me/password", {"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_password"
    weak = post(client, "/users/me/password", {"current_password": FACTORY_PASSWORD, "new_password": "password"})
    assert weak.status_code == 400 and weak.json()["code"] == "weak_password"
    assert any("too common" in m for m in weak.json()["errors"]["new_password"])
    ok = post(client, "/users/me/password", {"current_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD})
    assert ok.status_code == 200
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_password_change_ends_the_other_sessions_but_not_this_one(api_client, member):
    login = {"email": member.email, "password": FACTORY_PASSWORD}
    here = post(api_client, "/auth/login", login).json()
    elsewhere = post(api_client, "/auth/login", login).json()
    response = post(
        bearer(here), "/users/me/password", {"current_password": FACTORY_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert post(api_client, "/auth/refresh", {"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    assert post(api_client, "/auth/refresh", {"refresh_token": here["refresh_token"]}).status_code == 200


def test_password_check_returns_the_validators_messages(api_client):
    weak = post(api_client, "/auth/password/check", {"password": "ada@example", "email": "ada@example.com"})
    assert weak.status_code == 200 and weak.json()["valid"] is False
    assert any("too similar" in m for m in weak.json()["messages"])
    assert post(api_client, "/auth/password/check", {"password": PASSWORD}).json() == {"valid": True, "messages": []}


# --- profile and deletion ------------------------------------------------------------------------------


def test_patch_me_changes_name_and_picture(client_for, member):
    response = client_for(member).patch(
        "/users/me", {"full_name": "Bob B.", "picture": "https://img.example/b.png"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["full_name"], response.json()["picture"]) == ("Bob B.", "https://img.example/b.png")
    bad = client_for(member).patch("/users/me", {"picture": "not a url"}, format="json")
    assert bad.status_code == 400 and "picture" in bad.json()["errors"]


def test_email_change_waits_for_the_code_sent_to_the_new_address(client_for, member):
    old_email = member.email
    response = client_for(member).patch("/users/me", {"email": "New@Example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == old_email and response.json()["pending_email"] == "new@example.com"
    deliver_account_emails()
    code = code_in(last_mail_to("new@example.com"))
    assert post(APIClient(), "/auth/verify", {"email": "new@example.com", "code": code}).status_code == 200
    member.refresh_from_db()
    assert (member.email, member.pending_email, member.email_verified) == ("new@example.com", None, True)


def test_email_change_to_a_taken_address_answers_the_same_and_tells_its_owner(client_for, member):
    UserFactory(email="taken@example.com")
    free = client_for(member).patch("/users/me", {"email": "free@example.com"}, format="json")
    taken = client_for(member).patch("/users/me", {"email": "taken@example.com"}, format="json")
    assert (free.status_code, taken.status_code) == (200, 200)
    assert taken.json()["pending_email"] == "taken@example.com"
    sent = deliver_account_emails()
    assert [(m.to, m.subject) for m in sent][-1] == (
        ["taken@example.com"],
        "This address already has a DBooster account",
    )
    assert "code is" not in sent[-1].body
    member.refresh_from_db()
    assert member.email != "taken@example.com"


def test_delete_me_respects_the_last_admin_rule(client_for, admin_user, member):
    body = {"password": FACTORY_PASSWORD}
    refused = client_for(admin_user).delete("/users/me", body, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "last_admin"
    assert client_for(member).delete("/users/me", {"password": "wrong"}, format="json").status_code == 400
    assert client_for(member).delete("/users/me", body, format="json").status_code == 204
    assert not User.objects.filter(pk=member.pk).exists()
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_delete_me_as_the_only_member_removes_the_empty_organization(client_for):
    org = OrganizationFactory(plan="free")
    alone = UserFactory(organization=org, role="admin")
    assert client_for(alone).delete("/users/me", {"password": FACTORY_PASSWORD}, format="json").status_code == 204
    assert not type(org).objects.filter(pk=org.pk).exists()


# --- sessions --------------------------------------------------------------------------------------------


def test_sessions_list_where_and_when_and_revoke_one_or_all(member):
    login = {"email": member.email, "password": FACTORY_PASSWORD}
    laptop = APIClient(HTTP_USER_AGENT="Laptop Firefox", REMOTE_ADDR="10.1.2.3")
    phone = APIClient(HTTP_USER_AGENT="Phone Safari", REMOTE_ADDR="10.9.9.9")
    laptop_tokens = post(laptop, "/auth/login", login).json()
    phone_tokens = post(phone, "/auth/login", login).json()
    post(phone, "/auth/refresh", {"refresh_token": phone_tokens["refresh_token"]})

    listed = bearer(laptop_tokens).get("/users/me/sessions").json()
    by_agent = {s["user_agent"]: s for s in listed}
    assert set(by_agent) == {"Laptop Firefox", "Phone Safari"}
    assert by_agent["Laptop Firefox"]["ip_address"] == "10.1.2.3" and by_agent["Laptop Firefox"]["current"] is True
    assert by_agent["Phone Safari"]["current"] is False
    assert by_agent["Phone Safari"]["last_used_at"] >= by_agent["Phone Safari"]["created_at"]

    # The phone's session survived its rotation; ending it blacklists its current refresh token.
    phone_session = by_agent["Phone Safari"]["id"]
    assert bearer(laptop_tokens).delete(f"/users/me/sessions/{phone_session}").status_code == 204
    rotated = SignInSession.objects.get(pk=phone_session)
    assert rotated.revoked_at is not None
    listed = bearer(laptop_tokens).get("/users/me/sessions").json()
    assert [s["user_agent"] for s in listed] == ["Laptop Firefox"]

    assert bearer(laptop_tokens).delete("/users/me/sessions").status_code == 204
    assert post(laptop, "/auth/refresh", {"refresh_token": laptop_tokens["refresh_token"]}).status_code == 401


def test_a_revoked_sessions_access_token_stops_at_once_without_a_query_more(member):
    login = {"email": member.email, "password": FACTORY_PASSWORD}
    laptop = post(APIClient(), "/auth/login", login).json()
    phone = post(APIClient(), "/auth/login", login).json()
    refreshed = post(APIClient(), "/auth/refresh", {"refresh_token": phone["refresh_token"]}).json()
    with CaptureQueriesContext(connection) as reads:
        assert bearer(phone).get("/users/me").status_code == 200
    assert len(reads) == 1  # the user, their organization and their session's state: one query

    phone_session = SignInSession.objects.filter(user=member).latest("pk").pk
    assert bearer(laptop).delete(f"/users/me/sessions/{phone_session}").status_code == 204
    # Both the first access token and the one its refresh gave belong to the ended session.
    for tokens in (phone, refreshed):
        refused = bearer(tokens).get("/users/me")
        assert refused.status_code == 401 and refused.json()["code"] == "session_revoked", refused.content
    assert bearer(laptop).get("/users/me").status_code == 200

    assert bearer(laptop).delete("/users/me/sessions").status_code == 204
    assert bearer(laptop).get("/users/me").status_code == 401


def test_logout_ends_the_sessions_access_tokens_too(member):
    tokens = post(APIClient(), "/auth/login", {"email": member.email, "password": FACTORY_PASSWORD}).json()
    assert post(bearer(tokens), "/auth/logout", {"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert bearer(tokens).get("/users/me").json()["code"] == "session_revoked"


def test_another_users_session_is_a_404(client_for, member, admin_user):
    theirs = post(APIClient(), "/auth/login", {"email": admin_user.email, "password": FACTORY_PASSWORD}).json()
    session = SignInSession.objects.filter(user=admin_user).latest("pk")
    response = client_for(member).delete(f"/users/me/sessions/{session.pk}")
    assert response.status_code == 404 and response.json()["code"] == "session_not_found"
    assert post(APIClient(), "/auth/refresh", {"refresh_token": theirs["refresh_token"]}).status_code == 200


def test_a_verified_provider_address_counts_as_verified():
    from accounts import services

    user = UserFactory(email="grace@example.com", email_verified_at=None)
    services.provider_email_verified(user=user, verified_emails=["other@example.com"])
    assert not user.email_verified
    services.provider_email_verified(user=user, verified_emails=["Grace@Example.com"])
    user.refresh_from_db()
    assert user.email_verified


def test_no_mail_leaves_when_the_signup_fails(api_client):
    response = post(api_client, "/auth/signup", {"email": "weak@example.com", "password": "123"})
    assert response.status_code == 400
    assert deliver_account_emails() == [] and mail.outbox == []
