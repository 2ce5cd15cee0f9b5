"""List pages answered from a worker's memory (dbooster.page_cache), and the data versions that keep them true."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django import app

from conftest import url_for_database
from dbooster.models import DataVersion
from dbooster.page_cache import LeastRecentlyUsed, compact_data_versions
from notifications.models import Notification
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory


def version(scope: str, key: int) -> int:
    return DataVersion.objects.filter(scope=scope, key=key).aggregate(v=Sum("weight", default=0))["v"]


def org_version(org) -> int:
    return version(DataVersion.Scope.ORGANIZATION, org.pk)


# --- the triggers -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_of_write_to_projects_raises_the_organizations_version(org, admin_user):
    seen = [org_version(org)]

    def raised() -> bool:
        seen.append(org_version(org))
        return seen[-1] > seen[-2]

    project = ProjectFactory(organization=org, created_by=admin_user)
    assert raised()
    project.name = "renamed"
    project.save()
    assert raised()
    Project.objects.filter(pk=project.pk).update(description="QuerySet.update sends no signal")
    assert raised()
    Project.objects.bulk_create([Project(organization=org, name=f"bulk {i}", created_by=admin_user) for i in range(3)])
    assert raised()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects SET name = name || '!' WHERE organization_id = %s", [org.pk])
    assert raised()
    Project.objects.filter(organization=org).delete()
    assert raised()
    # A statement that changes no row raises nothing.
    Project.objects.filter(organization=org).update(name="nothing left")
    assert not raised()


@pytest.mark.django_db
def test_a_project_moved_to_another_organization_raises_both(org, project):
    other = OrganizationFactory()
    before = org_version(org), org_version(other)
    Project.objects.filter(pk=project.pk).update(organization=other)
    assert org_version(org) > before[0] and org_version(other) > before[1]


@pytest.mark.django_db
def test_notifications_raise_their_recipients_version_only(member, admin_user):
    def versions():
        return version(DataVersion.Scope.USER, member.pk), version(DataVersion.Scope.USER, admin_user.pk)

    before = versions()
    note = Notification.objects.create(recipient=member, kind="scan_finished", title="done")
    after_create = versions()
    assert after_create[0] > before[0] and after_create[1] == before[1]
    Notification.objects.filter(pk=note.pk).update(read_at="2026-01-01T00:00:00Z")
    assert versions()[0] > after_create[0]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_raises_nothing():
    org = OrganizationFactory()
    before = org_version(org)
    with pytest.raises(RuntimeError), transaction.atomic():
        ProjectFactory(organization=org)
        raise RuntimeError("rolled back")
    assert org_version(org) == before


@pytest.mark.django_db(transaction=True)
def test_writers_never_wait_for_each_other():
    """Two transactions notify the same two users in opposite orders, the first still open: the second goes
    through at once (a counter row updated in place would be locked by the first, and the two would deadlock)."""
    users = [UserFactory(organization=OrganizationFactory()) for _ in range(2)]
    url = url_for_database(connection.settings_dict["NAME"])
    insert = "INSERT INTO notifications (recipient_id, kind, title, body, url, target_type, target_id, created_at)"
    insert += " VALUES (%s, 'scan_finished', 't', '', '', '', '', now())"
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        first.execute(insert, [users[0].pk])
        first.execute(insert, [users[1].pk])
        second.execute("SET lock_timeout = '2s'")
        second.execute(insert, [users[1].pk])
        second.execute(insert, [users[0].pk])
        second.commit()
        first.commit()
    assert [version(DataVersion.Scope.USER, u.pk) for u in users] == [2, 2]


@pytest.mark.django_db(transaction=True)
def test_compaction_keeps_every_version_and_a_change_made_meanwhile():
    org = OrganizationFactory()
    for i in range(5):
        ProjectFactory(organization=org, name=f"p{i}")
    other = OrganizationFactory()
    ProjectFactory(organization=other)
    before = org_version(org), org_version(other)
    assert DataVersion.objects.filter(key=org.pk, scope="org").count() == 5
    url = url_for_database(connection.settings_dict["NAME"])
    with psycopg.connect(url) as meanwhile:
        # A change not yet committed when the compaction runs: not seen, so not folded, and not lost.
        meanwhile.execute("UPDATE projects SET description = 'changed' WHERE organization_id = %s", [org.pk])
        assert compact_data_versions() >= 1
        meanwhile.commit()
    assert (org_version(org), org_version(other)) == (before[0] + 1, before[1])
    assert DataVersion.objects.filter(key=org.pk, scope="org").count() == 2
    compact_data_versions()
    assert DataVersion.objects.filter(key=org.pk, scope="org").count() == 1 and org_version(org) == before[0] + 1


def test_compaction_runs_every_minute():
    [periodic] = [
        p for p in app.periodic_registry.periodic_tasks.values() if p.task.name == "dbooster.compact_data_versions"
    ]
    assert periodic.cron == "* * * * *"


# --- the pages --------------------------------------------------------------------------------------------


def _get(client, path: str):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response.json(), len(captured)


@pytest.mark.django_db
def test_an_unchanged_page_is_answered_with_the_sign_in_query_alone(admin_user, project, client_for):
    client = client_for(admin_user)
    first, first_queries = _get(client, "/projects")
    again, again_queries = _get(client, "/projects")
    assert again == first and [p["id"] for p in again["results"]] == [project.pk]
    assert (first_queries, again_queries) == (2, 1)
    # Another address (a page size) is another answer.
    sized, sized_queries = _get(client, "/projects?page_size=1")
    assert sized_queries == 2 and sized["results"] == first["results"]


@pytest.mark.django_db
def test_a_kept_page_is_the_same_bytes_headers_and_data(admin_user, project, client_for):
    client = client_for(admin_user)
    Notification.objects.create(recipient=admin_user, kind="scan_finished", title='naïve \u2028 "quoted"')
    for path in ("/projects", "/notifications"):
        first, again = client.get(path), client.get(path)
        assert again.content == first.content and again.data == first.data
        assert again["Content-Type"] == first["Content-Type"] == "application/json"
        assert sorted(again.headers) == sorted(first.headers)
    # Another format is DRF's own answer, never the kept JSON.
    html = client.get("/projects", HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    indented = client.get("/projects", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b"{\n") and indented.json() == client.get("/projects").json()


@pytest.mark.django_db
def test_the_same_version_in_two_organizations_is_two_answers(client_for):
    """Versions are counters per organization: two may be equal, their pages never mix."""
    users = [UserFactory(organization=OrganizationFactory(), role="admin") for _ in range(2)]
    names = []
    for user in users:
        ProjectFactory(organization=user.organization, name=f"of {user.organization.pk}")
        names.append(f"of {user.organization.pk}")
    assert org_version(users[0].organization) == org_version(users[1].organization)
    for user, name in zip(users, names, strict=True):
        for _ in range(2):
            page, _ = _get(client_for(user), "/projects")
            assert [p["name"] for p in page["results"]] == [name]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_elsewhere_is_seen_at_once(client_for):
    """Another process (here another connection, outside Django) renames a project and reads a notification: the
    next request shows both, without any Python code of this process having run for the change."""
    user = UserFactory(organization=OrganizationFactory(), role="admin")
    project = ProjectFactory(organization=user.organization, name="before")
    note = Notification.objects.create(recipient=user, kind="scan_finished", title="done")
    client = client_for(user)
    for _ in range(2):
        assert _get(client, "/projects")[0]["results"][0]["name"] == "before"
        assert _get(client, "/notifications")[0]["results"][0]["is_read"] is False
    with psycopg.connect(url_for_database(connection.settings_dict["NAME"]), autocommit=True) as elsewhere:
        elsewhere.execute("UPDATE projects SET name = 'after' WHERE id = %s", [project.pk])
        elsewhere.execute("UPDATE notifications SET read_at = now() WHERE id = %s", [note.pk])
    projects, _ = _get(client, "/projects")
    notifications, _ = _get(client, "/notifications")
    assert projects["results"][0]["name"] == "after"
    assert notifications["results"][0]["is_read"] is True and notifications["unread_count"] == 0


@pytest.mark.django_db
def test_session_requests_are_answered_as_always(member, project, browser_for):
    """The pages' own calls (a session, no bearer token) carry no data version: never kept, never served."""
    client = browser_for(member)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/projects").status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get("/projects").status_code == 200
    assert len(again) == len(first) > 1


def test_what_a_worker_keeps_drops_the_least_recently_used_first():
    kept = LeastRecentlyUsed(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" used last: "b" is now the oldest
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    kept.put("a", 10)  # a key put again takes the new value
    kept.put("d", 4)
    assert (kept.get("a"), kept.get("c"), kept.get("d")) == (10, None, 4)
