"""`GET /dashboard` and `GET /projects/{id}/summary`: counts, worst health findings, time to save; tenant-scoped,
a constant number of SQL queries whatever the number of objects, counts cached and invalidated on writes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Proposal
from dashboard.tests.data import fill_project
from health.models import HealthRun
from optimizer.models import Suggestion
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_dashboard_counts_and_lists_across_the_organizations_projects(admin_client, project, org, other_org_user):
    fill_project(project, n=2, tag="a")
    fill_project(ProjectFactory(organization=org), n=1, tag="b")
    fill_project(ProjectFactory(organization=other_org_user.organization), n=3, tag="theirs")

    body = admin_client.get("/dashboard").json()

    assert body["counts"] == {
        "projects": 2, "connections": 3, "queries_found": 3,
        "open_findings": 3 * 2 + 3, "open_findings_by_source": {"health": 6, "suggestions": 3},
        "health_findings_by_severity": {"critical": 3, "warning": 3, "info": 3},
        "pending_approvals": 3,
    }  # fmt: skip
    worst = body["worst_findings"]
    assert [f["severity"] for f in worst] == ["critical"] * 3 + ["warning"] * 3  # info findings are no problem
    assert "old_problem" not in {f["check"] for f in worst}  # only each connection's latest run
    assert {f["objects"][0] for f in worst[:3]} == {"public.a_0", "public.a_1", "public.b_0"}
    assert all("theirs" not in f["connection_name"] for f in worst)
    run = HealthRun.objects.get(pk=worst[0]["run"])
    assert run.findings[worst[0]["index"]]["check"] == worst[0]["check"]
    # A measured suggestion saves (before - after) per call, times the calls pg_stat_statements counted: 100.
    saving = body["time_to_save"]
    assert saving[0] == {**saving[0], "source": "optimizer", "fingerprint": "a-fp1", "calls": 100,
                         "per_call_ms": 21.0, "saving_ms": 2100.0}  # fmt: skip
    assert [s["saving_ms"] for s in saving] == sorted((s["saving_ms"] for s in saving), reverse=True)
    assert {"workload"} == {s["source"] for s in saving if s["fingerprint"].startswith("a-adv")}
    assert all(not s["fingerprint"].startswith("theirs") for s in saving)


def test_an_applied_fix_has_no_time_left_to_save(admin_client, project, org):
    fill_project(project, n=1, tag="a")
    suggestion = Suggestion.objects.get(run__project=project)
    Proposal.objects.filter(project=project).update(source_suggestion=suggestion, state="applied")
    saving = admin_client.get("/dashboard").json()["time_to_save"]
    assert [s["source"] for s in saving] == ["workload"]


def test_project_summary_has_its_connections_sizes_and_last_sync_and_scan(admin_client, project, org):
    fill_project(project, n=2, tag="a")
    fill_project(ProjectFactory(organization=org), n=1, tag="b")

    body = admin_client.get(f"/projects/{project.pk}/summary").json()

    assert body["project"] == {"id": project.pk, "name": project.name}
    assert body["counts"]["projects"] == 1 and body["counts"]["connections"] == 2
    assert body["counts"]["open_findings"] == 2 * 2 + 2 and body["counts"]["pending_approvals"] == 2
    first = body["connections"][0]
    assert first["name"] == "a db 0" and first["is_default"] and first["tables"] == 2 and first["size_bytes"] == 3000
    assert first["last_sync"]["status"] == "succeeded"
    assert first["last_health_run"]["counts"] == {"critical": 1, "warning": 1, "info": 1}
    assert body["last_scan"]["status"] == "succeeded" and body["last_scan"]["queries_found"] == 2
    assert {f["project"] for f in body["worst_findings"]} == {project.pk}
    assert {s["project"] for s in body["time_to_save"]} == {project.pk}


def test_another_organizations_project_summary_is_a_404(admin_client, other_org_user):
    theirs = ProjectFactory(organization=other_org_user.organization)
    fill_project(theirs, n=1, tag="theirs")
    response = admin_client.get(f"/projects/{theirs.pk}/summary")
    assert response.status_code == 404 and "theirs" not in response.content.decode()


def test_an_empty_organization_has_zero_counts(admin_client):
    body = admin_client.get("/dashboard").json()
    assert body["counts"]["projects"] == body["counts"]["open_findings"] == body["counts"]["pending_approvals"] == 0
    assert body["worst_findings"] == [] and body["time_to_save"] == []


def _queries(client, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(db_connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_queries_per_request_do_not_grow_with_the_number_of_objects(admin_client, project, org):
    fill_project(project, n=1, tag="a")
    small = {path: _queries(admin_client, path) for path in ("/dashboard", f"/projects/{project.pk}/summary")}
    fill_project(project, n=4, tag="c")
    for i in range(3):
        fill_project(ProjectFactory(organization=org), n=3, tag=f"d{i}")
    big = {path: _queries(admin_client, path) for path in ("/dashboard", f"/projects/{project.pk}/summary")}
    assert big == small
    assert admin_client.get("/dashboard").json()["counts"]["connections"] == 1 + 4 + 9
