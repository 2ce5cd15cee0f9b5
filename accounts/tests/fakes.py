"""Fake Google and GitHub at the HTTP boundary: allauth's real client code sends its requests to `responses`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import jwt
import responses
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter

GOOGLE_CLIENT_ID = "test-google-client.apps.googleusercontent.com"
GITHUB_CLIENT_ID = "test-github-client"
FRONTEND_URL = "http://frontend.test:3000"


def google_id_token(*, sub: str, email: str, name: str, audience: str = GOOGLE_CLIENT_ID) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "sub": sub,
        "email": email,
        "email_verified": True,
        "name": name,
        "iat": now,
        "exp": now + 3600,
    }
    # Google signs with RS256; allauth skips the signature for a token it fetched itself over TLS.
    return jwt.encode(claims, "signature-not-checked-by-allauth-here-0123456789", algorithm="HS256")


@dataclass
class FakeGoogle:
    http: responses.RequestsMock
    token_url: str = GoogleOAuth2Adapter.access_token_url
    userinfo_url: str = GoogleOAuth2Adapter.identity_url
    authorize_url: str = GoogleOAuth2Adapter.authorize_url

    def grants(self, *, access_token="ya29.google-access", id_token=None):
        body = {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer", "scope": "email profile"}
        if id_token:
            body["id_token"] = id_token
        self.http.add(responses.POST, self.token_url, json=body)

    def refuses_code(self):
        self.http.add(
            responses.POST,
            self.token_url,
            json={"error": "invalid_grant", "error_description": "Bad Request"},
            status=400,
        )

    def knows(self, *, sub, email, name="Grace Hopper", picture="https://lh3.example/photo.jpg", verified=True):
        self.http.add(
            responses.GET,
            self.userinfo_url,
            json={
                "id": sub,
                "email": email,
                "verified_email": verified,
                "name": name,
                "given_name": name.split()[0],
                "picture": picture,
            },
        )


@dataclass
class FakeGitHub:
    http: responses.RequestsMock
    token_url: str = GitHubOAuth2Adapter.access_token_url
    user_url: str = GitHubOAuth2Adapter.profile_url
    emails_url: str = GitHubOAuth2Adapter.emails_url
    authorize_url: str = GitHubOAuth2Adapter.authorize_url

    def grants(self, access_token="gho_fake_access_token"):
        self.http.add(
            responses.POST,
            self.token_url,
            json={"access_token": access_token, "token_type": "bearer", "scope": "read:user,user:email,repo"},
        )

    def knows(self, *, uid=4242, login="ghuser", email="dev@example.com", verified=True, name="Linus"):
        self.http.add(
            responses.GET,
            self.user_url,
            json={"id": uid, "login": login, "name": name, "email": None, "avatar_url": "https://avatars.example/u"},
        )
        self.http.add(
            responses.GET,
            self.emails_url,
            json=[{"email": email, "primary": True, "verified": verified, "visibility": "private"}],
        )


def start_sign_in(browser, provider: str, **params) -> dict:
    """GET /auth/<provider>; returns the provider URL's query (state, redirect_uri, client_id, ...)."""
    response = browser.get(f"/auth/{provider}", params)
    assert response.status_code == 302, response.content
    location = urlparse(response["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    query["_url"] = f"{location.scheme}://{location.netloc}{location.path}"
    return query


def provider_callback(browser, provider: str, **params):
    """The provider sends the browser back to allauth's callback with code and state."""
    return browser.get(f"/accounts/{provider}/login/callback/", params)


def follow_to_frontend(browser, response) -> dict:
    """Follow our own redirects until the browser leaves for FRONTEND_URL; returns that URL's query."""
    for _ in range(5):
        assert response.status_code == 302, response.content
        location = urlparse(response["Location"])
        if location.netloc:
            assert f"{location.scheme}://{location.netloc}" == FRONTEND_URL
            assert location.path == "/auth/callback"
            return {k: v[0] for k, v in parse_qs(location.query).items()}
        response = browser.get(response["Location"])
    raise AssertionError("never reached the front end")
