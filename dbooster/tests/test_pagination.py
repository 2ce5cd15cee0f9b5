"""The API's pages count in their own query: the same envelope as DRF's, one query fewer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dbooster.api import CountingPaginator
from notifications.models import Notification
from projects.models import Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_pages_count_and_link_as_drf_does_in_one_query(admin_client, org):
    for _ in range(3):
        ProjectFactory(organization=org)
    with CaptureQueriesContext(connection) as queries:
        first = admin_client.get("/projects?page_size=2").json()
    assert len(queries) == 2  # signing in, then the page with its count
    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    assert first["next"].endswith("/projects?page=2&page_size=2")
    last = admin_client.get("/projects?page=2&page_size=2").json()
    assert last["count"] == 3 and len(last["results"]) == 1 and last["next"] is None
    past = admin_client.get("/projects?page=3&page_size=2")
    assert past.status_code == 404
    assert admin_client.get("/projects?page=last&page_size=2").json()["results"] == last["results"]


def test_an_empty_list_is_an_empty_first_page(admin_client):
    assert admin_client.get("/projects").json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_unread_count_rides_in_the_page(admin_client, admin_user):
    Notification.objects.bulk_create(
        Notification(
            recipient=admin_user, kind="scan_finished", title=str(i), read_at=timezone.now() if i % 2 else None
        )
        for i in range(5)
    )
    with CaptureQueriesContext(connection) as queries:
        body = admin_client.get("/notifications?page_size=2").json()
    assert len(queries) == 2
    assert (body["count"], body["unread_count"], len(body["results"])) == (5, 3, 2)
    unread = admin_client.get("/notifications?unread=true").json()
    assert (unread["count"], unread["unread_count"]) == (3, 3)
    # Past the last page the counts come the usual way: still a 404, never a wrong total.
    assert admin_client.get("/notifications?page=9").status_code == 404


def test_lists_the_window_cannot_count_are_counted_as_django_does(org):
    ProjectFactory(organization=org, name="a")
    ProjectFactory(organization=org, name="b")
    distinct = Project.objects.filter(organization=org).values("organization").distinct()
    paginator = CountingPaginator(distinct, 10, counts={"named_a": Q(organization=org)})
    page = paginator.page(1)
    assert paginator.count == 1 and len(page) == 1
    plain = CountingPaginator([1, 2, 3], 2)
    assert plain.page(2).object_list == [3] and plain.count == 3
