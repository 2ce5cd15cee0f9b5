"""The health endpoint and page on a real target database: a run stored, findings by severity, fixes proposed."""

import psycopg
import pytest

from approvals.models import Proposal
from health.models import HealthRun
from schema_metadata.models import DatabaseConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def unhealthy(orders_database, orders_connection):
    """The orders database with a duplicate index, a table without a key and a sequence near its end."""
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("CREATE INDEX orders_customer ON orders (customer_id)")
        conn.execute("CREATE INDEX orders_customer_status ON orders (customer_id, status)")
        conn.execute("CREATE TABLE audit_trail (happened_at timestamptz, what text)")
        conn.execute("CREATE SEQUENCE tickets AS smallint MAXVALUE 1000")
        conn.execute("SELECT setval('tickets', 990)")
    return orders_connection


def by_check(body):
    found = {}
    for index, finding in enumerate(body["findings"]):
        found.setdefault(finding["check"], []).append((index, finding))
    return found


def test_health_runs_the_checks_and_stores_the_run(admin_client, project, unhealthy):
    response = admin_client.get(f"/projects/{project.pk}/health")
    assert response.status_code == 200, response.content
    body = response.json()
    found = by_check(body)
    assert [f["objects"][0] for _, f in found["duplicate_indexes"]] == ["public.orders_customer"]
    assert [f["objects"][0] for _, f in found["tables_without_primary_key"]] == ["public.audit_trail"]
    assert [f["severity"] for _, f in found["sequences_near_max"]] == ["critical"]
    assert body["findings"][0]["severity"] == "critical"  # worst first
    assert len(body["ran"]) >= 20 and body["errors"] == {}
    run = HealthRun.objects.get(pk=body["id"])
    assert run.connection == unhealthy and run.counts()["critical"] >= 1


def test_propose_a_fix_creates_a_proposal(member_client, project, unhealthy, member):
    body = member_client.get(f"/projects/{project.pk}/health").json()
    ((index, finding),) = by_check(body)["duplicate_indexes"]
    response = member_client.post(f"/projects/{project.pk}/health/runs/{body['id']}/findings/{index}/propose")
    assert response.status_code == 201, response.content
    proposal = Proposal.objects.get(pk=response.json()["id"])
    assert proposal.sql.strip().rstrip(";") == "DROP INDEX public.orders_customer"
    assert proposal.kind == "ddl" and proposal.connection == unhealthy and proposal.proposer == member
    ((no_sql, _),) = [(i, f) for i, f in by_check(body)["tables_without_primary_key"]]
    refused = member_client.post(f"/projects/{project.pk}/health/runs/{body['id']}/findings/{no_sql}/propose")
    assert refused.status_code == 400 and refused.json()["code"] == "no_sql_fix"
    missing = member_client.post(f"/projects/{project.pk}/health/runs/{body['id']}/findings/999/propose")
    assert missing.status_code == 404


def test_connection_of_another_project_is_404(admin_client, project, orders_connection, other_org_user):
    from tests.factories import ProjectFactory

    elsewhere = ProjectFactory(organization=other_org_user.organization, created_by=other_org_user)
    foreign = DatabaseConnection.objects.create(project=elsewhere, name="x", url=orders_connection.url)
    assert admin_client.get(f"/projects/{project.pk}/health?connection={foreign.pk}").status_code == 404
    assert admin_client.get(f"/projects/{project.pk}/health?connection=abc").status_code == 400


def test_project_without_a_connection_is_a_clear_404(admin_client, project):
    response = admin_client.get(f"/projects/{project.pk}/health")
    assert response.status_code == 404 and "no database connection" in response.json()["detail"]


def test_unreachable_database_is_a_clear_error(admin_client, project, settings):
    settings.TARGET_ALLOW_LOCAL = True
    DatabaseConnection.objects.create(
        project=project, name="gone", url="postgresql://nobody@127.0.0.1:1/none", is_default=True
    )
    response = admin_client.get(f"/projects/{project.pk}/health")
    assert response.status_code in (502, 503, 422) and response.json()["detail"]
    assert HealthRun.objects.count() == 0


def test_health_page_lists_findings_and_proposes(browser_for, admin_user, project, unhealthy):
    browser = browser_for(admin_user)
    empty = browser.get(f"/app/projects/{project.pk}/health/")
    assert empty.status_code == 200 and b"No run yet" in empty.content
    assert b"run by themselves every 60 minutes" in empty.content
    assert f'href="/app/projects/{project.pk}/"'.encode() in empty.content
    ran = browser.post(f"/app/projects/{project.pk}/health/run/", {"connection": unhealthy.pk})
    assert ran.status_code == 302
    page = browser.get(ran["Location"]).content.decode()
    assert "Last run" in page and "Critical (" in page and "public.orders_customer" in page
    run = HealthRun.objects.get()
    index = next(i for i, f in enumerate(run.findings) if f["check"] == "duplicate_indexes")
    assert f"/health/runs/{run.pk}/findings/{index}/propose/" in page
    proposed = browser.post(f"/app/projects/{project.pk}/health/runs/{run.pk}/findings/{index}/propose/")
    assert proposed.status_code == 302 and proposed["Location"].startswith("/app/approvals/")
    assert Proposal.objects.filter(project=project).count() == 1


def test_health_page_of_another_tenant_is_404(browser_for, other_org_user, project, unhealthy):
    assert browser_for(other_org_user).get(f"/app/projects/{project.pk}/health/").status_code == 404


def test_health_page_of_a_project_without_a_connection_says_so(browser_for, admin_user, project):
    response = browser_for(admin_user).get(f"/app/projects/{project.pk}/health/")
    assert response.status_code == 200 and "no database connection" in response.content.decode()
