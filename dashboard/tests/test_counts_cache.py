"""The dashboard's counts come from the shared cache while nothing they count has changed, and every committed
change, however it is written, is visible on the next read."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from approvals.models import Proposal
from dashboard import cache as dashboard_cache
from health.models import HealthRun
from optimizer.models import OptimizationRun, Suggestion
from projects.models import Project
from repositories.models import ExtractedQuery, ScanRun
from schema_metadata.models import DatabaseConnection

# Real commits: the version is raised by the writing transaction, as in production.
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
    return len(captured)


def test_counts_are_counted_once_while_nothing_changes(admin_client, project):
    assert counts(admin_client)["projects"] == 1
    first = count_queries(admin_client)  # the entry for this version now exists
    cache.clear()
    counted = count_queries(admin_client)
    assert first < counted  # a kept entry spares the counting queries
    assert count_queries(admin_client) == first


def test_every_way_of_writing_a_counted_row_is_seen_on_the_next_read(admin_client, project, org):
    # Rows keyed through their project must name it by a key unlike the organization's, or a trigger that keyed
    # them by the project's own id would pass unnoticed.
    project = next(p for p in (project, Project.objects.create(organization=org, name="second")) if p.pk != org.pk)
    base = Project.objects.filter(organization=org).count()
    assert counts(admin_client)["projects"] == base
    # Writes through the API and the models.
    created = admin_client.post("/projects", {"name": "Third"}, format="json")
    assert created.status_code == 201
    assert counts(admin_client)["projects"] == base + 1
    # Behind the application's back: a bulk insert, a raw statement. No signal is sent; PostgreSQL counts them.
    Project.objects.bulk_create([Project(organization=org, name="bulk")])
    assert counts(admin_client)["projects"] == base + 2
    with db_connection.cursor() as cursor:
        cursor.execute("DELETE FROM projects WHERE name = 'bulk'")
    assert counts(admin_client)["projects"] == base + 1
    # Rows keyed by their project (their organization is the project's).
    conn = DatabaseConnection.objects.create(project=project, name="db", url="postgresql://x@h/db", is_default=True)
    assert counts(admin_client)["connections"] == 1
    HealthRun.objects.create(project=project, connection=conn, findings=[
        {"check": "invalid_indexes", "severity": "critical", "title": "Invalid index", "objects": ["public.i"],
         "detail": "d", "why": "w", "fix": "f", "fix_sql": "", "fix_kind": "", "data": {}}])  # fmt: skip
    assert counts(admin_client)["open_findings_by_source"]["health"] == 1
    proposal = Proposal.objects.create(organization=org, project=project, kind="index", title="i", sql="SELECT 1")
    assert counts(admin_client)["pending_approvals"] == 1
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.REJECTED)
    assert counts(admin_client)["pending_approvals"] == 0
    assert admin_client.delete(f"/projects/{created.json()['id']}").status_code == 204
    assert counts(admin_client)["projects"] == base
    # A scan's queries, inserted in bulk while it runs: counted as they arrive.
    ScanRun.objects.create(project=project, source="upload", status="running")
    assert counts(admin_client)["queries_found"] == 0
    ExtractedQuery.objects.bulk_create(
        ExtractedQuery(project=project, fingerprint=f"fp{i}", normalized_text="SELECT 1", statement_type="select")
        for i in range(3)
    )
    assert counts(admin_client)["queries_found"] == 3
    # A suggestion is keyed through its run.
    run = OptimizationRun.objects.create(organization=org, project=project, query="SELECT 1")
    before = counts(admin_client)["open_findings_by_source"]["suggestions"]
    Suggestion.objects.bulk_create([Suggestion(run=run, kind="index", sql="CREATE INDEX ON t (a)", speedup=3.0)])
    assert counts(admin_client)["open_findings_by_source"]["suggestions"] == before + 1


def test_another_organizations_write_does_not_touch_this_ones_entry(admin_client, project, other_org_user, org):
    assert counts(admin_client)["projects"] == 1
    kept = dashboard_cache.version(org.pk)
    Project.objects.create(organization=other_org_user.organization, name="theirs")
    DatabaseConnection.objects.create(
        project=Project.objects.create(organization=other_org_user.organization, name="theirs too"),
        name="db", url="postgresql://x@h/db",
    )  # fmt: skip
    assert dashboard_cache.version(org.pk) == kept
    assert dashboard_cache.version(other_org_user.organization_id) > 0


def test_a_rolled_back_write_raises_nothing(org, project):
    kept = dashboard_cache.version(org.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        Project.objects.create(organization=org, name="never")
        raise RuntimeError
    assert dashboard_cache.version(org.pk) == kept


def test_a_stored_optimization_makes_the_counts_read_again(admin_client, project, org):
    # The optimizer stores its run in one statement of its own, not through save(): the counts must still hear it.
    before = dashboard_cache.version(org.pk)
    body = {"query": "SELECT id FROM orders WHERE id = 1", "project": project.pk, "ai": False}
    assert admin_client.post("/query/optimize", body, format="json").status_code == 201
    assert dashboard_cache.version(org.pk) > before
