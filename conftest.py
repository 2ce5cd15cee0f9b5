"""Fixtures every app's tests share: users in each role, API clients, scratch databases."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.conf import settings
from django.test import Client
from psycopg import sql
from rest_framework.test import APIClient

from tests.factories import OrganizationFactory, ProjectFactory, UserFactory

# The scratch target database holding the seed's `orders` table, for tests of every app.
pytest_plugins = ["tests.targets"]

# How long a browser test waits for a state (a page, a row, a text) before failing: a bound on a hang, not a speed.
# Playwright's assertions give up after 5 s by default, which a busy machine (2 cores, other suites) can pass.
BROWSER_WAIT_MS = 120_000


def pytest_configure(config):
    try:
        from playwright.sync_api import expect
    except ImportError:  # the browser tests skip themselves where Playwright is missing
        return
    expect.set_options(timeout=BROWSER_WAIT_MS)


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def admin_user(org):
    return UserFactory(organization=org, role="admin")


@pytest.fixture
def member(org):
    return UserFactory(organization=org, role="member")


@pytest.fixture
def viewer(org):
    return UserFactory(organization=org, role="viewer")


@pytest.fixture
def second_admin(org):
    return UserFactory(organization=org, role="admin")


@pytest.fixture
def other_org_user(db):
    """Someone in another organization: every object of `org` must be a 404 to them."""
    return UserFactory(organization=OrganizationFactory(), role="admin")


@pytest.fixture
def project(org, admin_user):
    return ProjectFactory(organization=org, created_by=admin_user)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """`client_for(user)`: an APIClient that sends the user's JWT access token."""
    from accounts.services import token_pair

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(user)['access_token']}")
        return client

    return make


@pytest.fixture
def callers(admin_user, member, viewer, other_org_user, client_for):
    """An API client for each role of the role matrix, plus another tenant's admin and no one."""
    return {
        "admin": client_for(admin_user),
        "member": client_for(member),
        "viewer": client_for(viewer),
        "other": client_for(other_org_user),
        "anonymous": APIClient(),
    }


@pytest.fixture
def browser_for():
    """`browser_for(user)`: a Django test client signed in with a session, as the pages are used."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def member_client(client_for, member):
    return client_for(member)


@pytest.fixture
def viewer_client(client_for, viewer):
    return client_for(viewer)


def _admin_conninfo() -> str:
    db = settings.DATABASES["default"]
    parts = {
        "host": db.get("HOST") or "localhost",
        "port": db.get("PORT") or "5432",
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
        "dbname": "postgres",
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v != "")


def url_for_database(name: str) -> str:
    """A libpq URL for database `name` on the server the tests run on."""
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "localhost"
    user = db.get("USER") or "postgres"
    password = db.get("PASSWORD") or ""
    port = db.get("PORT") or "5432"
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgresql://{auth}/{name}?host={host}&port={port}"
    return f"postgresql://{auth}{host}:{port}/{name}"


@pytest.fixture
def scratch_database():
    """A new, empty PostgreSQL database (a user's target), dropped afterwards.

    Yields its libpq URL. Use `psycopg.connect(url)` to fill it.
    """
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url_for_database(name)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(autouse=True)
def _empty_job_queue(request):
    """Jobs queued by one transactional test must not run in the next one's worker.

    Django's flush skips procrastinate's tables (unmanaged models), so empty them here.
    """
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("DELETE FROM procrastinate_periodic_defers; DELETE FROM procrastinate_jobs")
