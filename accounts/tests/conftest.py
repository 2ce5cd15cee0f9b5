"""Fixtures for the accounts tests: provider apps configured or not, fake providers, a browser."""

from __future__ import annotations

import copy

import pytest
import responses
from django.test import Client

from accounts.tests.fakes import FRONTEND_URL, GITHUB_CLIENT_ID, GOOGLE_CLIENT_ID, FakeGitHub, FakeGoogle


@pytest.fixture
def oauth_apps(settings):
    """Both providers configured, as GOOGLE_CLIENT_ID/SECRET and GITHUB_CLIENT_ID/SECRET would do."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = [{"client_id": GOOGLE_CLIENT_ID, "secret": "google-secret", "key": ""}]
    providers["github"]["APPS"] = [{"client_id": GITHUB_CLIENT_ID, "secret": "github-secret", "key": ""}]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.FRONTEND_URL = FRONTEND_URL
    return providers


@pytest.fixture
def no_oauth_apps(settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = []
    providers["github"]["APPS"] = []
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return providers


@pytest.fixture
def fake_http():
    """Every outgoing `requests` call is answered here; an unexpected one raises ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_google(fake_http):
    return FakeGoogle(fake_http)


@pytest.fixture
def fake_github(fake_http):
    return FakeGitHub(fake_http)


@pytest.fixture
def browser():
    """A browser session (cookies), as the user's browser during the OAuth dance."""
    return Client()
