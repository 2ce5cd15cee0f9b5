"""Role x endpoint x method: the status every kind of caller gets.

Viewer reads only; member creates and edits projects; admin also manages the
organization. Another organization's objects answer 404 (never 403, never
data); anonymous callers get 401.

To add an endpoint, add a row to MATRIX:

    Row("POST", "/things/{project}/run", {"x": 1}, expect(admin=202, member=202, viewer=403, other=404)),

Path and body placeholders are filled from `targets` below: {project}, {member},
{invitation}, {token} all belong to the organization under test. The "other"
caller is an admin of a different organization, so on `/organizations/current/...`
paths they act on their own organization (their expected status says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from organizations.models import Invitation

ROLES = ("admin", "member", "viewer", "other", "anonymous")


def expect(*, admin: int, member: int, viewer: int, other: int, anonymous: int = 401) -> dict[str, int]:
    return {"admin": admin, "member": member, "viewer": viewer, "other": other, "anonymous": anonymous}


READ_ALL = expect(admin=200, member=200, viewer=200, other=200)
READ_OWN = expect(admin=200, member=200, viewer=200, other=404)


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    body: dict | None
    expected: dict[str, int] = field(hash=False)


MATRIX: list[Row] = [
    # users
    Row("GET", "/users/me", None, READ_ALL),
    # projects
    Row("GET", "/projects", None, READ_ALL),
    Row("POST", "/projects", {"name": "Matrix project"}, expect(admin=201, member=201, viewer=403, other=201)),
    Row("GET", "/projects/{project}", None, READ_OWN),
    Row("POST", "/projects/{project}/current", None, READ_OWN),
    Row(
        "PATCH", "/projects/{project}", {"description": "edited"}, expect(admin=200, member=200, viewer=403, other=404)
    ),
    Row("DELETE", "/projects/{project}", None, expect(admin=204, member=204, viewer=403, other=404)),
    # organizations (everyone here already shares an organization, or is on a paid plan: see services)
    Row("GET", "/organizations", None, READ_ALL),
    Row("POST", "/organizations", {"name": "Matrix org"}, expect(admin=409, member=409, viewer=409, other=409)),
    Row("GET", "/organizations/current", None, READ_ALL),
    Row("PATCH", "/organizations/current", {"name": "Renamed"}, expect(admin=200, member=403, viewer=403, other=200)),
    # members
    Row("GET", "/organizations/current/members", None, READ_ALL),
    Row(
        "PATCH",
        "/organizations/current/members/{member}",
        {"role": "viewer"},
        expect(admin=200, member=403, viewer=403, other=404),
    ),
    Row(
        "DELETE", "/organizations/current/members/{member}", None, expect(admin=204, member=403, viewer=403, other=404)
    ),
    # invitations
    Row("GET", "/organizations/current/invitations", None, READ_ALL),
    Row(
        "POST",
        "/organizations/current/invitations",
        {"email": "matrix@example.com", "role": "member"},
        expect(admin=201, member=403, viewer=403, other=201),
    ),
    Row(
        "DELETE",
        "/organizations/current/invitations/{invitation}",
        None,
        expect(admin=204, member=403, viewer=403, other=404),
    ),
    # The invitation is for someone else's address, whoever asks.
    Row("POST", "/invitations/accept", {"token": "{token}"}, expect(admin=403, member=403, viewer=403, other=403)),
    # approvals, notifications, audit (rows on one proposal: approvals/tests/test_role_matrix.py)
    Row("GET", "/approvals", None, READ_ALL),
    Row(
        "POST",
        "/approvals",
        {"kind": "rewrite", "sql": "SELECT 1", "reason": "matrix", "project_id": "{project}"},
        expect(admin=201, member=201, viewer=403, other=404),
    ),
    Row("GET", "/notifications", None, READ_ALL),
    Row("POST", "/notifications/read-all", None, READ_ALL),
    Row("GET", "/notifications/preferences", None, READ_ALL),
    Row("PUT", "/notifications/preferences", {"preferences": [{"kind": "scan_finished", "email": True}]}, READ_ALL),
    Row("PATCH", "/notifications/preferences", {"preferences": [{"kind": "scan_finished", "email": False}]}, READ_ALL),
    Row("GET", "/audit", None, expect(admin=200, member=403, viewer=403, other=200)),
    Row("GET", "/audit/export.csv", None, expect(admin=200, member=403, viewer=403, other=200)),
]

# The apps whose every API route must appear in some MATRIX (see test_matrix_covers_every_route).
COVERED_URLCONFS = (
    "accounts.urls",
    "organizations.urls",
    "projects.urls",
    "repositories.urls",
    "schema_metadata.urls",
    "optimizer.urls",
    "billing.urls",
    "audit.urls",
    "notifications.urls",
    "approvals.urls",
    "workbench.urls",
    "health.urls",
    "assistant.urls",
    "analytics.urls",
    "dashboard.urls",
)
# The modules holding the other apps' rows (each app's objects need its own fixtures).
MATRIX_MODULES = (
    "organizations.tests.test_role_matrix",
    "approvals.tests.test_role_matrix",
    "repositories.tests.test_role_matrix",
    "schema_metadata.tests.test_role_matrix",
    "optimizer.tests.test_role_matrix",
    "billing.tests.test_role_matrix",
    "workbench.tests.test_role_matrix",
    "health.tests.test_role_matrix",
    "assistant.tests.test_role_matrix",
    "assistant.tests.test_report_role_matrix",
    "analytics.tests.test_role_matrix",
    "dashboard.tests.test_role_matrix",
    "tests.test_role_matrix_public",
    "accounts.tests.test_role_matrix",
)
NOT_ROLE_SCOPED = {
    # Sign-in endpoints: anonymous by design, tested in accounts.
    "auth/signup",
    "auth/login",
    "auth/refresh",
    "auth/logout",
    "auth/google",
    "auth/github",
    "auth/complete",
    "auth/token",
}


@pytest.fixture
def targets(org, admin_user, member, viewer, project):
    invitation = Invitation.objects.create(organization=org, email="invitee@example.com", invited_by=admin_user)
    return {"project": project.id, "member": member.id, "invitation": invitation.id, "token": invitation.token}


def _fill(value, targets):
    """Placeholders take the targets' values; a body value that is only a placeholder keeps its type (an id
    is sent as a JSON number, as the schema says: a JSON body's "26" is no integer)."""
    if isinstance(value, str):
        whole = value[1:-1] if value.startswith("{") and value.endswith("}") else None
        return targets[whole] if whole in targets else value.format(**targets)
    if isinstance(value, dict):
        return {k: _fill(v, targets) for k, v in value.items()}
    return value


CASES = [pytest.param(row, role, id=f"{row.method} {row.path} as {role}") for row in MATRIX for role in ROLES]


def check_row(row: Row, role: str, client: APIClient, targets: dict) -> None:
    """Send `row` as `role` and check the status, and that an error is an error body (never data)."""
    path = _fill(row.path, targets)
    body = _fill(row.body, targets)

    response = client.generic(row.method, path, data=_json(body), content_type="application/json")

    expected = row.expected[role]
    assert response.status_code == expected, f"{role} {row.method} {path}: {response.status_code} {response.content!r}"
    if expected >= 400:
        payload = response.json()
        assert set(payload) <= {"detail", "code", "errors", "limit"}, payload  # an error, never data
        assert payload["detail"]
    if expected == 404:
        assert payload["code"].endswith("not_found")
    if expected == 401:
        assert payload["code"] in ("not_authenticated", "authentication_failed")


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), CASES)
def test_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)


def _json(body):
    import json

    return json.dumps(body) if body is not None else ""


def _route_templates(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _route_templates(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _as_template(regex: str) -> str:
    import re

    text = regex.lstrip("^").replace("/?$", "").rstrip("$")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{" + m.group(1) + "}", text)


def _route_views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _route_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _view_methods(callback) -> set[str]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}


def test_matrix_covers_every_route():
    """Every method of every API route (the apps' and the root's) has a row; placeholders compare by position."""
    import importlib
    import re

    def shape(path: str) -> str:
        return re.sub(r"\{\w+\}", "{}", path.split("?")[0].strip("/"))

    rows = [row for module in MATRIX_MODULES for row in importlib.import_module(module).MATRIX]
    in_matrix = {(row.method, shape(row.path)) for row in rows}
    routes = [route for urlconf in COVERED_URLCONFS for route in _route_views(get_resolver(urlconf).url_patterns)]
    # The root's own API routes (docs, schema, health), not the included admin, allauth or pages.
    routes += [
        (str(p.pattern), p.callback) for p in get_resolver("dbooster.urls").url_patterns if isinstance(p, URLPattern)
    ]
    missing = []
    for regex, callback in routes:
        template = shape(_as_template(regex))
        if template in NOT_ROLE_SCOPED:
            continue
        missing += [
            f"{method} {template}" for method in sorted(_view_methods(callback)) if (method, template) not in in_matrix
        ]
    assert missing == [], f"Add rows to a MATRIX for: {missing}"
