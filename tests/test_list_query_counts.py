"""A list endpoint makes as many SQL queries for 20 objects as for 1 (no query per item).

Each list is read through the real API with the admin's JWT; objects are created in the same organization
with their related rows (proposer, connection, project), so a serializer that reads a relation per item
shows up as a growing count.
"""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Proposal
from audit import services as audit
from notifications.models import Notification
from organizations.models import Invitation
from schema_metadata.models import DatabaseConnection
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
_numbers = itertools.count()


def add_projects(ctx, n):
    for _ in range(n):
        ProjectFactory(organization=ctx["org"], created_by=ctx["admin"])


def add_notifications(ctx, n):
    for i in range(n):
        Notification.objects.create(recipient=ctx["admin"], kind="scan_finished", title=f"scan {i}")


def add_members(ctx, n):
    for _ in range(n):
        UserFactory(organization=ctx["org"], role="member")


def add_invitations(ctx, n):
    for i in itertools.islice(_numbers, n):
        Invitation.objects.create(organization=ctx["org"], email=f"new{i}@example.com", invited_by=ctx["admin"])


def add_connections(ctx, n):
    for i in itertools.islice(_numbers, n):
        DatabaseConnection.objects.create(
            project=ctx["project"],
            name=f"db {i}",
            url=f"postgresql://u@db{i}.example.com/app",
            environment="production",
        )


def add_audit_events(ctx, n):
    for i in range(n):
        audit.record(action="test.event", actor=ctx["admin"], metadata={"i": i})


def add_proposals(ctx, n):
    target = DatabaseConnection.objects.create(
        project=ctx["project"], name=f"target {next(_numbers)}", url="postgresql://u@db.example.com/app"
    )
    for i in range(n):
        author = UserFactory(organization=ctx["org"], role="member")
        Proposal.objects.create(
            organization=ctx["org"],
            project=ctx["project"],
            connection=target,
            kind="ddl",
            title=f"change {i}",
            sql=f"CREATE INDEX ON t{i} (c)",
            proposer=author,
            decided_by=ctx["admin"],
        )


LISTS = [
    ("/projects", add_projects),
    ("/notifications", add_notifications),
    ("/organizations/current/members", add_members),
    ("/organizations/current/invitations", add_invitations),
    ("/projects/{project}/connections", add_connections),
    ("/audit", add_audit_events),
    ("/approvals", add_proposals),
]


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


@pytest.mark.parametrize("path, add", LISTS, ids=[path for path, _ in LISTS])
def test_list_query_count_does_not_grow_with_items(path, add, org, admin_user, project, client_for):
    client = client_for(admin_user)
    ctx = {"org": org, "admin": admin_user, "project": project}
    url = path.format(project=project.id)
    add(ctx, 1)
    with_one = queries_for(client, url)
    add(ctx, 19)
    # Counted first: a list answered from memory (dbooster.page_cache) would answer the second read of it.
    with_twenty = queries_for(client, url)
    assert client.get(url).json()["count"] >= 20
    assert with_twenty == with_one, f"{url}: {with_one} queries for 1 item, {with_twenty} for 20"
