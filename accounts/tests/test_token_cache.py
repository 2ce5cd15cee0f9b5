"""A verified access token is remembered by its bytes; expiry, sign-out and tampering are still refused."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import authentication
from accounts.models import SignInSession
from accounts.services import token_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(admin_user):
    authentication._verified_tokens.clear()
    token = token_pair(admin_user)["access_token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    yield client, token
    authentication._verified_tokens.clear()


@pytest.fixture
def decodes(monkeypatch):
    """How many times simplejwt decodes (and checks the signature of) a token."""
    calls = []
    original = TokenBackend.decode

    def counting(self, token, verify=True):
        calls.append(token)
        return original(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counting)
    return calls


def test_the_signature_is_checked_once_per_token(signed_in, decodes):
    client, _ = signed_in
    for _ in range(3):
        assert client.get("/users/me").status_code == 200
    assert len(decodes) == 1


def test_a_remembered_token_stops_when_it_expires(signed_in, monkeypatch):
    client, token = signed_in
    assert client.get("/users/me").status_code == 200
    assert token.encode() in authentication._verified_tokens
    later = aware_utcnow() + dt.timedelta(days=1)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)
    response = client.get("/users/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Given token not valid for any token type"  # simplejwt's own answer
    assert token.encode() not in authentication._verified_tokens


def test_a_remembered_token_stops_when_its_session_is_signed_out(signed_in, admin_user):
    client, _ = signed_in
    assert client.get("/users/me").status_code == 200
    SignInSession.objects.filter(user=admin_user).update(revoked_at=aware_utcnow())
    response = client.get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


def test_a_changed_token_is_checked_and_refused(signed_in):
    client, token = signed_in
    assert client.get("/users/me").status_code == 200
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get("/users/me").status_code == 401


def test_the_memory_is_bounded(signed_in, monkeypatch, admin_user):
    monkeypatch.setattr(authentication, "VERIFIED_TOKENS_KEPT", 2)
    client = APIClient()
    for _ in range(4):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(admin_user)['access_token']}")
        assert client.get("/users/me").status_code == 200
    assert len(authentication._verified_tokens) == 2
