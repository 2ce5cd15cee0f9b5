"""One user's journey through the HTTP API: every listed kind of action lands in the audit log with who, the
organization, the target, the client's IP and the outcome; explains and optimizes carry the query fingerprint;
the connection's password is nowhere in it."""

import psycopg
import pytest
from rest_framework.test import APIClient

from accounts.tests.mail import code_in, deliver_account_emails
from approvals.tests.test_audit_secrets import _audit_rows_containing
from audit.models import AuditEvent
from dbooster.testing import run_pending_jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Pw-audit-journey-7c1d"
USER_PASSWORD = "correct horse battery staple 42"
QUERY = "SELECT id, title FROM film WHERE title = 'film 7'"


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user, tail = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{tail}"


def _ok(response, status=200):
    assert response.status_code == status, response.content[:2000]
    return response.json()


def test_every_listed_action_is_recorded_with_ip_and_fingerprint(film_db, settings):
    settings.TARGET_ALLOW_LOCAL = True
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    _ok(client.post("/auth/signup", {"email": "eve@example.com", "password": USER_PASSWORD}, format="json"), 202)
    code = code_in(deliver_account_emails()[-1])
    _ok(client.post("/auth/verify", {"email": "eve@example.com", "code": code}, format="json"))
    assert client.post("/auth/login", {"email": "eve@example.com", "password": "wrong"}, format="json").status_code
    tokens = _ok(client.post("/auth/login", {"email": "eve@example.com", "password": USER_PASSWORD}, format="json"))
    tokens = _ok(client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    me = _ok(client.get("/users/me"))

    project = _ok(client.post("/projects", {"name": "shop"}, format="json"), 201)
    connection = _ok(
        client.post(
            f"/projects/{project['id']}/connections",
            {"name": "dev", "url": _with_password(film_db), "read_only": False, "allow_analyze": True},
            format="json",
        ),
        201,
    )
    _ok(client.post(f"/projects/{project['id']}/connections/{connection['id']}/test", format="json"))
    _ok(client.post("/metadata/sync", {"project": project["id"]}, format="json"), 202)
    run_pending_jobs()
    explained = _ok(client.post("/query/explain", {"query": QUERY, "project": project["id"]}, format="json"))
    optimized = _ok(
        client.post("/query/optimize", {"query": QUERY, "project": project["id"], "ai": False}, format="json"), 201
    )
    colleague = UserFactory(organization_id=me["organization"]["id"], role="member")
    _ok(client.patch(f"/organizations/current/members/{colleague.pk}", {"role": "viewer"}, format="json"))

    # This journey's events: its organization's, and the sign-in attempts made before it had one. A browser test on
    # the same worker can leave a late event of its own organization behind (its live server answers after the test).
    org_id = me["organization"]["id"]
    events = [
        e
        for e in AuditEvent.objects.order_by("id")
        if e.organization_id == org_id or (e.organization_id is None and e.ip_address == "203.0.113.7")
    ]
    recorded = {(e.action, e.outcome) for e in events}
    expected = {
        ("auth.signup", "success"),
        ("auth.login", "failure"),
        ("auth.login", "success"),
        ("auth.refresh", "success"),
        ("project.create", "success"),
        ("connection.create", "success"),
        ("connection.test", "success"),
        ("schema.sync", "success"),
        ("query.explain", "success"),
        ("optimizer.optimize", "success"),
        ("organization.member_role_change", "success"),
    }
    assert expected <= recorded, expected - recorded
    # Every action taken through a request says from where.
    # The sync and the scheduled health run happen in the worker, after the request: no address, no actor.
    worker_actions = {"schema.sync", "health.run"}
    for event in events:
        if event.action not in worker_actions:
            assert event.ip_address == "203.0.113.7", event.action
    assert all(e.actor_id is None for e in events if e.action == "health.run")
    assert all(e.organization_id == org_id for e in events if e.action != "auth.login" or e.outcome == "success")
    by_action = {e.action: e for e in events if e.outcome == "success"}
    assert by_action["query.explain"].metadata["fingerprint"] == explained["fingerprint"]
    assert by_action["optimizer.optimize"].metadata["fingerprint"] == optimized["fingerprint"]
    assert by_action["optimizer.optimize"].target_id == str(optimized["id"])
    assert by_action["connection.create"].target_id == str(connection["id"])
    assert by_action["organization.member_role_change"].target_id == str(colleague.pk)
    assert by_action["auth.refresh"].actor_id == me["id"]

    # Never the connection's password (the explain really used the password-bearing URL).
    with psycopg.connect(_with_password(film_db)) as conn:
        assert conn.execute("SELECT count(*) FROM film").fetchone()[0] == 2000
    assert _audit_rows_containing(PASSWORD) == 0
