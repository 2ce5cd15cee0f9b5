"""The optimizer and workload pages, rendered through the real views and services."""

import pytest
from django.test import Client

from optimizer.models import OptimizationRun, WorkloadImport
from optimizer.tests.conftest import forget_the_load

PENDING = "SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at DESC LIMIT 20"


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_pages_need_sign_in():
    assert Client().get("/app/optimize/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_optimize_page_runs_and_shows_bars_badges_and_plans(member, project, connection_for, shop_database):
    connection_for(shop_database)
    client = _session(member)
    page = client.get("/app/optimize/")
    assert page.status_code == 200 and b'id="optimize-form"' in page.content
    response = client.post("/app/optimize/", {"query": PENDING, "project": project.pk, "verify": "on"})
    assert response.status_code == 302
    run = OptimizationRun.objects.get()
    assert response["Location"] == f"/app/optimize/{run.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert 'data-kind="index" data-verified="true"' in html
    assert "verified · sandbox" in html and "cost before" in html and "cost after" in html
    assert 'class="secondary copy"' in html
    assert "Plan before" in html and "Plan after" in html and "dbooster_" in html
    assert 'id="findings"' in html


@pytest.mark.django_db
def test_optimize_page_errors_and_roles(member, viewer, client_for, other_org_user):
    client = _session(member)
    bad = client.post("/app/optimize/", {"query": "SELECT 1; SELECT 2"})
    assert bad.status_code == 400 and b"exactly one statement" in bad.content
    assert _session(viewer).post("/app/optimize/", {"query": "SELECT 1"}).status_code == 403
    run = OptimizationRun.objects.create(organization=member.organization, query="SELECT 1")
    assert _session(other_org_user).get(f"/app/optimize/{run.pk}/").status_code == 404
    assert _session(viewer).get(f"/app/optimize/{run.pk}/").status_code == 200


@pytest.mark.django_db
def test_pick_a_query_from_the_project(member, project):
    from repositories.models import ExtractedQuery

    q = ExtractedQuery.objects.create(
        project=project,
        fingerprint="abc",
        normalized_text="SELECT * FROM picked_table",
        sql="SELECT * FROM picked_table",
        statement_type="select",
    )
    html = _session(member).get(f"/app/optimize/?project={project.pk}&pick={q.pk}").content.decode()
    assert "picked_table" in html and f"pick={q.pk}" in html


@pytest.mark.django_db
def test_picks_are_sorted_by_the_time_they_could_save(member, project):
    from optimizer.models import WorkloadImport, WorkloadQuery
    from repositories.models import ExtractedQuery
    from schema_metadata.models import DatabaseConnection

    cheap, costly = (
        ExtractedQuery.objects.create(
            project=project, fingerprint=f"f{i}", normalized_text=f"SELECT * FROM table_{name}", statement_type="select"
        )
        for i, name in enumerate(["cheap", "costly"])
    )
    conn = DatabaseConnection.objects.create(project=project, name="db", url="postgresql://u@db.example.com/x")
    workload = WorkloadImport.objects.create(project=project, connection=conn, total_time_ms=100)
    WorkloadQuery.objects.create(workload=workload, query="q1", extracted_query=cheap, saving_ms=1.0)
    WorkloadQuery.objects.create(workload=workload, query="q2", extracted_query=costly, saving_ms=50.0)
    html = _session(member).get(f"/app/optimize/?project={project.pk}").content.decode()
    assert html.index("table_costly") < html.index("table_cheap")
    assert "could save 50.0 ms" in html


@pytest.mark.django_db(transaction=True)
def test_workload_page(member, project, connection_for, shop_database):
    import psycopg

    connection_for(shop_database)
    with psycopg.connect(shop_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        forget_the_load(conn)
        for i in range(60):
            conn.execute("SELECT id, total FROM orders WHERE customer_id = %s", [i])
    client = _session(member)
    assert client.get("/app/workload/").status_code == 200
    response = client.post("/app/workload/", {"project": project.pk, "budget_mb": 100, "max_indexes": 3})
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(response["Location"]).content.decode()
    assert "Index set" in html and "customer_id" in html and "workload-query" in html
    # The user sees the budget used, the estimated workload gain and which queries each index serves.
    record = WorkloadImport.objects.get()
    advice = record.advice
    assert advice["indexes"] and advice["budget"]["count"] == len(advice["indexes"])
    assert f"{advice['budget']['count']} of 3 indexes" in html and "of 100.0\xa0MB" in html
    assert f"<strong>{round(100 * advice['estimated_gain'], 1)}%</strong> of the workload" in html
    assert "serves queries " + ", ".join(str(i) for i in advice["indexes"][0]["serves"]) in html
    # Queries by the time they could save, the saving shown.
    rows = html.split('class="workload-query"')[1:]
    best = max(record.queries.all(), key=lambda q: q.saving_ms or 0)
    assert best.saving_ms and f"{best.saving_ms:.1f} ms" in rows[0]


@pytest.mark.django_db
def test_the_only_project_is_chosen_for_the_user(member, project):
    page = _session(member).get("/app/optimize/")
    assert page.status_code == 200
    assert page.context["form"]["project"].value() == project.pk
