"""The dashboard's counts come from the shared cache, and a committed write is visible on the next read."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Proposal
from health.models import HealthRun
from projects.models import Project
from repositories.models import ExtractedQuery, ScanRun
from repositories.signals import scan_finished
from schema_metadata.models import DatabaseConnection

# Real commits: the version is replaced when the write's transaction commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def counts(client) -> dict:
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.json()["counts"]


def count_queries(client) -> int:
    with CaptureQueriesContext(db_connection) as captured:
        counts(client)
    return len([q for q in captured if "dbooster_cache" not in q["sql"]])


def test_counts_are_read_from_the_cache_until_a_write_changes_them(admin_client, project, org):
    assert counts(admin_client)["projects"] == 1
    # A row inserted behind the application's back (no signal): the cached count stays, so it is cached.
    Project.objects.bulk_create([Project(organization=org, name="behind the back")])
    assert counts(admin_client)["projects"] == 1
    assert count_queries(admin_client) < count_queries_cold(admin_client, org)

    # Writes through the API and the models: each is visible on the very next read.
    created = admin_client.post("/projects", {"name": "Third"}, format="json")
    assert created.status_code == 201
    assert counts(admin_client)["projects"] == 3
    conn = DatabaseConnection.objects.create(project=project, name="db", url="postgresql://x@h/db", is_default=True)
    assert counts(admin_client)["connections"] == 1
    HealthRun.objects.create(project=project, connection=conn, findings=[
        {"check": "invalid_indexes", "severity": "critical", "title": "Invalid index", "objects": ["public.i"],
         "detail": "d", "why": "w", "fix": "f", "fix_sql": "", "fix_kind": "", "data": {}}])  # fmt: skip
    assert counts(admin_client)["open_findings_by_source"]["health"] == 1
    proposal = Proposal.objects.create(organization=org, project=project, kind="index", title="i", sql="SELECT 1")
    assert counts(admin_client)["pending_approvals"] == 1
    proposal.state = Proposal.State.REJECTED
    proposal.save(update_fields=["state"])
    assert counts(admin_client)["pending_approvals"] == 0
    assert admin_client.delete(f"/projects/{created.json()['id']}").status_code == 204
    assert counts(admin_client)["projects"] == 2

    # A scan inserts its queries in bulk (no signal per row): its end makes them visible.
    scan = ScanRun.objects.create(project=project, source="upload", status="running")
    assert counts(admin_client)["queries_found"] == 0
    ExtractedQuery.objects.bulk_create(
        ExtractedQuery(project=project, fingerprint=f"fp{i}", normalized_text="SELECT 1", statement_type="select")
        for i in range(3)
    )
    assert counts(admin_client)["queries_found"] == 0  # mid-scan: not yet
    scan_finished.send(sender=ScanRun, scan=scan)
    assert counts(admin_client)["queries_found"] == 3


def test_another_organizations_write_does_not_touch_this_ones_entry(admin_client, project, other_org_user, org):
    assert counts(admin_client)["projects"] == 1
    Project.objects.create(organization=other_org_user.organization, name="theirs")
    # Still served from this organization's entry: a row slipped in unseen is not counted yet.
    Project.objects.bulk_create([Project(organization=org, name="unseen")])
    assert counts(admin_client)["projects"] == 1


def count_queries_cold(client, org) -> int:
    cache.delete(f"dashboard:version:{org.pk}")
    return count_queries(client)
