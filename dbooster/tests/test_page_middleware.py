"""API requests signed in with a token go past the page-only middleware; pages and session calls keep it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory
from rest_framework.test import APIClient

from dbooster.middleware import skips_page_middleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, cookies, skips",
    [
        ("/projects", {}, True),
        ("/users/me", {}, True),
        ("/health", {}, True),
        ("/projects", {settings.SESSION_COOKIE_NAME: "abc"}, False),  # the pages' own calls to the API
        ("/app/", {}, False),
        ("/admin/", {}, False),
        ("/accounts/login/", {}, False),
        ("/auth/google", {}, False),  # sign-in flows keep their state in the session
        ("/auth/complete", {}, False),
    ],
)
def test_which_requests_skip_the_page_middleware(path, cookies, skips):
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    assert skips_page_middleware(request) is skips


def test_a_token_request_gets_no_session_or_csrf_cookie(admin_client):
    response = admin_client.get("/users/me")
    assert response.status_code == 200
    assert response.cookies == {}
    # No session was loaded, no message storage made: the page-only middleware did not run.
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "_messages")


def test_a_session_call_to_the_api_still_signs_in_and_is_checked_for_csrf(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get("/users/me").json()["id"] == admin_user.id
    refused = client.post("/projects", {"name": "no token"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    page = client.get("/app/projects/")  # a page sets the CSRF cookie the pages' scripts send back
    assert page.status_code == 200
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    created = client.post("/projects", {"name": "with token"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201, created.content


def test_pages_still_have_sessions_and_messages(admin_user, client):
    client.force_login(admin_user)
    response = client.get("/app/")
    assert response.status_code == 200
    assert response.wsgi_request.user == admin_user
    assert hasattr(response.wsgi_request, "_messages")
