"""Sign-in with Google and GitHub end to end: our views, allauth, and fake providers over HTTP."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import OAuthExchangeCode, User
from accounts.oauth import provider_status
from accounts.services import oauth_code_issue
from accounts.tests.fakes import (
    GITHUB_CLIENT_ID,
    GOOGLE_CLIENT_ID,
    follow_to_frontend,
    google_id_token,
    provider_callback,
    start_sign_in,
)
from organizations.models import Organization
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def exchange(code):
    return APIClient().post("/auth/token", {"code": code}, format="json")


def me(access_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client.get("/users/me").json()


def google_sign_in(browser, fake_google, *, sub="1057", email="grace@example.com", **profile):
    query = start_sign_in(browser, "google")
    fake_google.grants()
    fake_google.knows(sub=sub, email=email, **profile)
    return follow_to_frontend(
        browser, provider_callback(browser, "google", code="google-auth-code", state=query["state"])
    )


def github_sign_in(browser, fake_github, *, access_token="gho_first", **profile):
    query = start_sign_in(browser, "github")
    fake_github.grants(access_token)
    fake_github.knows(**profile)
    return follow_to_frontend(browser, provider_callback(browser, "github", code="gh-auth-code", state=query["state"]))


def raw_github_token(user_id):
    with connection.cursor() as cur:
        cur.execute("SELECT github_token FROM users WHERE id = %s", [user_id])
        return cur.fetchone()[0]


# --- Starting the flow -------------------------------------------------------


def test_start_redirects_to_google_with_state_and_our_callback(oauth_apps, browser):
    query = start_sign_in(browser, "google")
    assert query["_url"] == "https://accounts.google.com/o/oauth2/v2/auth"
    assert query["client_id"] == GOOGLE_CLIENT_ID
    assert query["redirect_uri"] == "http://testserver/accounts/google/login/callback/"
    assert query["response_type"] == "code"
    assert set(query["scope"].split()) == {"profile", "email"}
    assert len(query["state"]) >= 12


def test_start_redirects_to_github(oauth_apps, browser):
    query = start_sign_in(browser, "github")
    assert query["_url"] == "https://github.com/login/oauth/authorize"
    assert query["client_id"] == GITHUB_CLIENT_ID
    assert "repo" in query["scope"].split()


@pytest.mark.parametrize(("provider", "names"), [("google", "GOOGLE_CLIENT_ID"), ("github", "GITHUB_CLIENT_ID")])
def test_unconfigured_provider_is_503_naming_the_settings(no_oauth_apps, browser, provider, names):
    response = browser.get(f"/auth/{provider}")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "provider_not_configured"
    assert names in body["detail"] and names.replace("_ID", "_SECRET") in body["detail"]
    assert body["settings"] == [names, names.replace("_ID", "_SECRET")]


def test_provider_status_for_the_sign_in_page(no_oauth_apps, settings):
    statuses = {s["id"]: s for s in provider_status()}
    assert set(statuses) == {"google", "github"}
    assert statuses["google"]["configured"] is False
    # The sign-in page tells people it is unavailable; the names of settings are for the operator's page.
    assert statuses["google"]["hint"] == "Google sign-in is not set up on this server."
    assert "GOOGLE_CLIENT_ID" not in statuses["google"]["hint"]
    assert statuses["github"]["name"] == "GitHub"
    settings.SOCIALACCOUNT_PROVIDERS = {
        **no_oauth_apps,
        "github": {**no_oauth_apps["github"], "APPS": [{"client_id": "x", "secret": "y", "key": ""}]},
    }
    statuses = {s["id"]: s for s in provider_status()}
    assert statuses["github"] == {
        "id": "github",
        "name": "GitHub",
        "configured": True,
        "hint": "",
        "setup_url": "/app/setup/github/",
        "start_url": "/auth/github",
    }
    assert statuses["google"]["configured"] is False


# --- Google ------------------------------------------------------------------


def test_first_google_sign_in_creates_the_seed_user_and_hands_the_front_end_a_code(oauth_apps, browser, fake_google):
    landing = google_sign_in(browser, fake_google, sub="1057", email="Grace@Example.com", name="Grace Hopper")
    assert set(landing) == {"code"}, "tokens never travel in the URL"

    # allauth's real client called the token endpoint with our app's credentials and the code.
    token_call = fake_google.http.calls[0].request
    form = parse_qs(token_call.body)
    assert form["code"] == ["google-auth-code"]
    assert form["client_id"] == [GOOGLE_CLIENT_ID]
    assert form["client_secret"] == ["google-secret"]
    assert fake_google.http.calls[1].request.headers["Authorization"] == "Bearer ya29.google-access"

    user = User.objects.get()
    assert user.email == "grace@example.com"
    assert user.google_id == "1057"
    assert user.full_name == "Grace Hopper"
    assert user.picture == "https://lh3.example/photo.jpg"
    assert not user.has_usable_password()
    assert user.role == "admin" and user.organization is not None

    tokens = exchange(landing["code"])
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access_token", "refresh_token", "token_type"}
    assert tokens.json()["token_type"] == "bearer"
    profile = me(tokens.json()["access_token"])
    assert profile["google_id"] == "1057" and profile["email"] == "grace@example.com"

    # Single use.
    again = exchange(landing["code"])
    assert again.status_code == 400
    assert again.json()["code"] == "code_used"


def test_repeat_google_sign_in_is_the_same_user(oauth_apps, browser, fake_google):
    first = google_sign_in(browser, fake_google, sub="1057", email="grace@example.com")
    assert exchange(first["code"]).status_code == 200
    # The second time Google answers with an id_token instead of needing the userinfo call.
    query = start_sign_in(browser, "google")
    fake_google.grants(id_token=google_id_token(sub="1057", email="grace@example.com", name="Grace H."))
    second = follow_to_frontend(browser, provider_callback(browser, "google", code="code-2", state=query["state"]))
    assert User.objects.count() == 1
    assert Organization.objects.count() == 1
    assert "code" in second, second
    tokens = exchange(second["code"])
    assert tokens.status_code == 200
    assert me(tokens.json()["access_token"])["google_id"] == "1057"
    assert User.objects.get().full_name == "Grace Hopper", "a name the user has is kept"


def test_google_sign_in_joins_an_email_signup_account_and_locks_its_unverified_password(
    oauth_apps, browser, fake_google
):
    # Someone signed up with this address and a password, without proving they own it.
    existing = UserFactory(email="grace@example.com", full_name=None, picture=None)
    assert existing.has_usable_password()
    landing = google_sign_in(browser, fake_google, sub="77", email="grace@example.com")
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.google_id == "77"
    assert existing.picture == "https://lh3.example/photo.jpg"
    assert not existing.has_usable_password(), "whoever chose the password cannot reach Google's user's account"
    assert me(exchange(landing["code"]).json()["access_token"])["id"] == existing.id


# --- GitHub ------------------------------------------------------------------


def test_github_sign_in_stores_the_access_token_encrypted(oauth_apps, browser, fake_github):
    landing = github_sign_in(browser, fake_github, access_token="gho_first", email="dev@example.com")
    user = User.objects.get()
    assert user.email == "dev@example.com"
    assert user.github_token == "gho_first"
    assert "gho_first" not in raw_github_token(user.id)
    assert user.organization is not None and user.role == "admin"
    # The GitHub API calls carried the token the token endpoint handed out.
    assert fake_github.http.calls[1].request.headers["Authorization"] == "token gho_first"
    profile = me(exchange(landing["code"]).json()["access_token"])
    assert profile["github_connected"] is True
    assert "github_token" not in profile

    github_sign_in(browser, fake_github, access_token="gho_second", email="dev@example.com")
    user.refresh_from_db()
    assert user.github_token == "gho_second", "every sign-in keeps the newest token"
    assert User.objects.count() == 1


def test_allauth_keeps_no_plain_text_token(oauth_apps, browser, fake_github):
    from allauth.socialaccount.models import SocialToken

    github_sign_in(browser, fake_github, access_token="gho_plain_check")
    assert not SocialToken.objects.exists()


def test_same_verified_email_from_google_and_github_is_one_user(oauth_apps, browser, fake_google, fake_github):
    google_sign_in(browser, fake_google, sub="900", email="both@example.com")
    browser.logout()
    landing = github_sign_in(browser, fake_github, access_token="gho_both", email="both@example.com")
    assert User.objects.count() == 1
    user = User.objects.get()
    assert user.google_id == "900"
    assert user.github_token == "gho_both"
    assert sorted(user.socialaccount_set.values_list("provider", flat=True)) == ["github", "google"]
    assert me(exchange(landing["code"]).json()["access_token"])["id"] == user.id


def test_unverified_github_email_does_not_take_over_an_account(oauth_apps, browser, fake_google, fake_github):
    google_sign_in(browser, fake_google, sub="900", email="victim@example.com")
    browser.logout()
    query = start_sign_in(browser, "github")
    fake_github.grants("gho_attacker")
    fake_github.knows(email="victim@example.com", verified=False, uid=666)
    response = provider_callback(browser, "github", code="c", state=query["state"])
    victim = User.objects.get(email="victim@example.com")
    assert victim.github_token is None
    assert User.objects.count() == 1
    assert "_auth_user_id" not in browser.session
    # allauth asks for another address on its sign-up form instead.
    assert response.status_code == 302 and "/accounts/3rdparty/signup/" in response["Location"]


# --- Errors ------------------------------------------------------------------


def test_token_endpoint_error_sends_the_front_end_an_error_and_creates_nobody(oauth_apps, browser, fake_google):
    query = start_sign_in(browser, "google")
    fake_google.refuses_code()
    landing = follow_to_frontend(browser, provider_callback(browser, "google", code="stale", state=query["state"]))
    assert landing["error"] == "unknown"
    assert landing["provider"] == "google"
    assert "code" not in landing
    assert User.objects.count() == 0
    assert OAuthExchangeCode.objects.count() == 0
    assert "_auth_user_id" not in browser.session


def test_user_denies_consent(oauth_apps, browser, fake_google):
    query = start_sign_in(browser, "google")
    landing = follow_to_frontend(
        browser, provider_callback(browser, "google", error="access_denied", state=query["state"])
    )
    assert landing["error"] == "cancelled"
    assert len(fake_google.http.calls) == 0
    assert User.objects.count() == 0


def test_state_mismatch_is_refused_before_calling_the_provider(oauth_apps, browser, fake_google):
    start_sign_in(browser, "google")
    fake_google.grants()
    fake_google.knows(sub="1", email="x@example.com")
    landing = follow_to_frontend(browser, provider_callback(browser, "google", code="c", state="forged-state-value"))
    assert landing["error"] == "unknown"
    assert len(fake_google.http.calls) == 0, "a forged state never reaches the token endpoint"
    assert User.objects.count() == 0


def test_state_from_another_browser_is_refused(oauth_apps, browser, fake_google, client):
    query = start_sign_in(browser, "google")
    fake_google.grants()
    fake_google.knows(sub="1", email="x@example.com")
    # Same state, different session (an attacker replaying a victim's callback URL).
    response = provider_callback(client, "google", code="c", state=query["state"])
    assert response.status_code == 401
    assert len(fake_google.http.calls) == 0
    assert User.objects.count() == 0


# --- Pages (session) flow ------------------------------------------------------


def test_pages_flow_signs_in_with_the_session_and_returns_to_next(oauth_apps, browser, fake_google):
    query = start_sign_in(browser, "google", next="/app/projects/")
    fake_google.grants()
    fake_google.knows(sub="5", email="pages@example.com")
    response = provider_callback(browser, "google", code="c", state=query["state"])
    assert response.status_code == 302
    assert response["Location"] == "/app/projects/"
    assert int(browser.session["_auth_user_id"]) == User.objects.get(email="pages@example.com").id
    assert OAuthExchangeCode.objects.count() == 0


def test_next_to_another_host_is_ignored(oauth_apps, browser, fake_google):
    query = start_sign_in(browser, "google", next="https://evil.example/steal")
    fake_google.grants()
    fake_google.knows(sub="5", email="pages@example.com")
    landing = follow_to_frontend(browser, provider_callback(browser, "google", code="c", state=query["state"]))
    assert "code" in landing


def test_pages_flow_error_is_an_allauth_page_not_a_redirect_to_the_front_end(oauth_apps, browser, fake_google):
    start_sign_in(browser, "google", next="/app/")
    response = provider_callback(browser, "google", code="c", state="forged")
    assert response.status_code == 401
    assert "_auth_user_id" not in browser.session


# --- Exchange codes -------------------------------------------------------------


def test_complete_without_a_sign_in_in_progress(oauth_apps, browser):
    landing = follow_to_frontend(browser, browser.get("/auth/complete"))
    assert landing["error"] == "no_sign_in"


def test_codes_are_stored_hashed_and_expire(oauth_apps):
    user = UserFactory()
    issued_after = timezone.now()
    code = oauth_code_issue(user=user, provider="google")
    issued_before = timezone.now()
    row = OAuthExchangeCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    # A minute from issue, measured around the call: true however long the machine takes.
    assert issued_after + timedelta(seconds=60) <= row.expires_at <= issued_before + timedelta(seconds=60)
    row.expires_at = timezone.now() - timedelta(seconds=1)
    row.save()
    response = exchange(code)
    assert response.status_code == 400
    assert response.json()["code"] == "code_expired"
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize("body", [{"code": "nonsense"}, {"code": ""}, {}, {"code": "x" * 500}, {"code": 12}])
def test_bad_codes_are_400(oauth_apps, body):
    response = APIClient().post("/auth/token", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "code"}


def test_code_of_a_disabled_account_is_refused(oauth_apps):
    user = UserFactory()
    code = oauth_code_issue(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = exchange(code)
    assert response.status_code == 400
    assert response.json()["code"] == "account_disabled"


def test_allauth_signup_form_also_gives_an_organization(browser):
    response = browser.post(
        "/accounts/signup/",
        {
            "email": "Form@Example.com",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email="form@example.com")
    assert user.organization is not None and user.role == "admin"
    assert user.has_usable_password()


# --- Connecting a provider to the signed-in user (pages) ----------------------------


def test_connect_github_to_the_signed_in_user(oauth_apps, browser, fake_github):
    user = UserFactory(email="owner@example.com")
    browser.force_login(user)
    query = start_sign_in(browser, "github", process="connect", next="/app/repos/")
    fake_github.grants("gho_connected")
    fake_github.knows(uid=99, email="someone-else@users.example", verified=True)
    response = provider_callback(browser, "github", code="c", state=query["state"])
    assert response.status_code == 302 and response["Location"] == "/app/repos/"
    user.refresh_from_db()
    assert user.github_token == "gho_connected"
    assert User.objects.count() == 1
    assert list(user.socialaccount_set.values_list("provider", "uid")) == [("github", "99")]
    assert int(browser.session["_auth_user_id"]) == user.id


def test_connect_needs_a_session(oauth_apps, browser):
    response = browser.get("/auth/github", {"process": "connect"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_github_account_of_another_user_is_not_connected(oauth_apps, browser, fake_github, client):
    github_sign_in(client, fake_github, access_token="gho_owner", uid=7, email="owner@example.com")
    owner = User.objects.get(email="owner@example.com")
    intruder = UserFactory(email="intruder@example.com")
    browser.force_login(intruder)
    query = start_sign_in(browser, "github", process="connect")
    fake_github.grants("gho_intruder")
    fake_github.knows(uid=7, email="owner@example.com")
    provider_callback(browser, "github", code="c", state=query["state"])
    intruder.refresh_from_db()
    owner.refresh_from_db()
    assert intruder.github_token is None
    assert owner.github_token == "gho_owner"
    assert not intruder.socialaccount_set.exists()
