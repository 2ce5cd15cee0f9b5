"""Workload from pg_stat_statements, matched to the project's code by fingerprint."""

import psycopg
import pytest

from optimizer.tests.conftest import forget_the_load
from optimizer.workload import WorkloadItem, advise_workload, fingerprint, top_queries


def _run_workload(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        forget_the_load(conn)
        for i in range(60):
            conn.execute("SELECT id, total FROM orders WHERE customer_id = %s", [i])
        for _ in range(3):
            conn.execute("SELECT count(*) FROM orders WHERE status = 'pending'")


@pytest.mark.django_db
def test_top_queries_by_total_time_with_calls(shop_database):
    _run_workload(shop_database)
    with psycopg.connect(shop_database) as conn:
        items, total = top_queries(conn, limit=20)
    by_text = {i.query: i for i in items}
    lookup = next(i for q, i in by_text.items() if "customer_id = $1" in q)
    assert lookup.calls == 60 and lookup.total_time_ms > 0 and lookup.mean_time_ms > 0
    assert lookup.fingerprint == fingerprint("SELECT id, total FROM orders WHERE customer_id = 7")
    assert total >= sum(i.total_time_ms for i in items) > 0
    assert [i.total_time_ms for i in items] == sorted((i.total_time_ms for i in items), reverse=True)


@pytest.mark.django_db(transaction=True)
def test_workload_advice_matches_code_locations(member_client, project, connection_for, shop_database):
    from repositories.models import ExtractedQuery, QueryOccurrence, ScanRun

    connection_for(shop_database)
    scan = ScanRun.objects.create(project=project, source="upload", status="succeeded")
    code = "SELECT id, total FROM orders WHERE customer_id = %s"
    extracted = ExtractedQuery.objects.create(
        project=project,
        fingerprint=fingerprint("SELECT id, total FROM orders WHERE customer_id = $1"),
        normalized_text="SELECT id, total FROM orders WHERE customer_id = $1",
        sql=code,
        statement_type="select",
    )
    QueryOccurrence.objects.create(query=extracted, scan=scan, file_path="app/orders.py", line=42, language="python")
    _run_workload(shop_database)
    response = member_client.post("/query/workload/advise", {"project": project.pk, "max_indexes": 3}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    lookup = next(q for q in body["queries"] if "customer_id = $1" in q["query"])
    assert lookup["extracted_query"] == extracted.pk
    assert lookup["locations"] == [{"file_path": "app/orders.py", "line": 42}]
    assert 0 < lookup["share"] <= 1 and lookup["calls"] == 60
    advice = body["advice"]
    assert advice["verification"] == "sandbox"
    index = next(i for i in advice["indexes"] if "customer_id" in i["sql"])
    positions = [q["position"] for q in advice["queries"] if "customer_id = $1" in q["query"]]
    assert set(positions) <= set(index["serves"])
    # Sorted by the time the advice could save.
    savings = [q["saving_ms"] or 0 for q in body["queries"]]
    assert savings == sorted(savings, reverse=True)
    assert member_client.get(f"/query/workload/{body['id']}").json()["id"] == body["id"]


@pytest.mark.django_db(transaction=True)
def test_workload_needs_pg_stat_statements(member_client, project, connection_for, shop_database):
    connection_for(shop_database)
    response = member_client.post("/query/workload/advise", {"project": project.pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "no_pg_stat_statements"


@pytest.mark.django_db(transaction=True)
def test_workload_from_given_queries(member_client, project, connection_for, shop_database):
    connection_for(shop_database)
    queries = ["SELECT * FROM orders WHERE customer_id = $1", "SELECT id FROM orders WHERE customer_id = 3"]
    response = member_client.post("/query/workload/advise", {"project": project.pk, "queries": queries}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["queries"]) == 2
    assert body["advice"]["indexes"] and body["advice"]["budget"]["count"] == len(body["advice"]["indexes"])


@pytest.mark.django_db(transaction=True)
def test_workload_from_the_projects_scanned_queries(member_client, project, connection_for, shop_database):
    from repositories.models import ExtractedQuery

    connection_for(shop_database)
    url = "/query/workload/advise"
    empty = member_client.post(url, {"project": project.pk, "from_scan": True}, format="json")
    assert empty.status_code == 409 and empty.json()["code"] == "nothing_scanned"  # the project's state
    ExtractedQuery.objects.create(
        project=project,
        fingerprint=fingerprint("SELECT id, total FROM orders WHERE customer_id = $1"),
        normalized_text="SELECT id, total FROM orders WHERE customer_id = $1",
        sql="SELECT id, total FROM orders WHERE customer_id = %s",
        statement_type="select",
    )
    body = member_client.post(url, {"project": project.pk, "from_scan": True}, format="json").json()
    [query] = body["queries"]
    assert query["query"] == "SELECT id, total FROM orders WHERE customer_id = $1" and query["extracted_query"]
    assert any("customer_id" in i["sql"] for i in body["advice"]["indexes"])


@pytest.mark.django_db(transaction=True)
def test_a_real_scan_and_pg_stat_statements_meet_at_file_and_line(
    member_client, project, connection_for, shop_database, settings, tmp_path
):
    """No hand-made fingerprint: the scanner reads the code, the target runs the query, the workload joins them."""
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dbooster.testing import run_pending_jobs

    settings.SCAN_SCRATCH_DIR = tmp_path / "scratch"
    settings.SCAN_UPLOAD_DIR = tmp_path / "uploads"
    code = (
        "def orders_of(cursor, customer_id):\n"
        "    # the slow lookup\n"
        '    cursor.execute("SELECT id, total FROM orders WHERE customer_id = %s", [customer_id])\n'
        "    return cursor.fetchall()\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/orders.py", code)
        archive.writestr("README.md", "shop\n")  # two top-level entries: the archive has no wrapper folder
    upload = SimpleUploadedFile("code.zip", buffer.getvalue(), content_type="application/zip")
    scan = member_client.post("/repos/scan/upload", {"file": upload, "project": project.pk}, format="multipart")
    assert scan.status_code == 202, scan.content
    run_pending_jobs()

    connection_for(shop_database)
    _run_workload(shop_database)
    body = member_client.post("/query/workload/advise", {"project": project.pk}, format="json").json()
    lookup = next(q for q in body["queries"] if "customer_id = $1" in q["query"])
    assert lookup["extracted_query"] is not None
    assert lookup["locations"] == [{"file_path": "app/orders.py", "line": 3}]
    assert 0 < lookup["share"] <= 1


def test_a_candidate_that_cannot_be_measured_is_reported_with_its_error(shop_database):
    """Another session holds a write lock on orders, so building any index on it in the sandbox times out: each
    such candidate is named in the notes and under `not_measured` with the error, the advice on customers is still
    given, and the caller's transaction (its timeouts included) is the same one throughout."""
    items = [
        WorkloadItem("SELECT id, total FROM orders WHERE customer_id = $1", total_time_ms=500.0),
        WorkloadItem("SELECT id FROM customers WHERE email = $1", total_time_ms=300.0),
    ]
    with psycopg.connect(shop_database) as writer, psycopg.connect(shop_database) as conn:
        writer.execute("UPDATE orders SET total = total WHERE id = 1")  # ROW EXCLUSIVE, held till rollback
        conn.execute("SET LOCAL lock_timeout = '100ms'")
        advice = advise_workload(conn, items, allow_sandbox=True, write_cost_ms_per_row=0)
        still_the_same_transaction = conn.execute("SELECT current_setting('lock_timeout')").fetchone()[0]
        conn.rollback()
        writer.rollback()
    failed = {n["sql"]: n["error"] for n in advice["not_measured"]}
    assert failed and all(" ON public.orders " in sql for sql in failed), failed
    assert all("lock timeout" in error for error in failed.values()), failed
    for sql, error in failed.items():
        assert f"Not measured, so not chosen: {sql} ({error})." in advice["notes"]
    assert [i["table"] for i in advice["indexes"]] == ["public.customers"]
    assert still_the_same_transaction == "100ms"
