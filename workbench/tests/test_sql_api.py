"""The SQL editor's API on the demo shop's `orders` database: run, refusals, history, snippets, exports."""

import csv
import io

import psycopg
import pytest

from approvals.models import Proposal
from audit.models import AuditEvent
from workbench.models import SqlRun

pytestmark = pytest.mark.django_db


def _run(client, project, sql, **body):
    return client.post(f"/projects/{project.pk}/sql/run", {"sql": sql, **body}, format="json")


def _count(url, sql):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_select_returns_typed_columns_rows_and_is_history_and_audited(member_client, project, orders_synced, member):
    response = _run(
        member_client, project, "SELECT id, status, total, now() AS at FROM orders WHERE id <= 3 ORDER BY id"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["columns"] == [
        {"name": "id", "type": "int4", "masked": False},
        {"name": "status", "type": "text", "masked": False},
        {"name": "total", "type": "numeric", "masked": False},
        {"name": "at", "type": "timestamptz", "masked": False},
    ]
    assert [row[:3] for row in body["rows"]] == [
        [1, "delivered", "1.00"],
        [2, "delivered", "2.00"],
        [3, "delivered", "3.00"],
    ]
    assert body["row_count"] == 3 and body["truncated"] is False and body["duration_ms"] >= 0
    run = SqlRun.objects.get(pk=body["run"]["id"])
    assert (run.status, run.user, run.row_count, run.statement_kind) == ("success", member, 3, "select")
    event = AuditEvent.objects.get(action="sql.run", target_id=str(run.pk))
    assert event.metadata["fingerprint"] == run.fingerprint != ""
    assert "orders" not in str(event.metadata)  # the fingerprint, never the text


def test_row_cap_gives_first_page_and_a_flag(member_client, project, orders_synced):
    body = _run(member_client, project, "SELECT * FROM orders ORDER BY id", row_cap=25, page_size=10).json()
    assert body["truncated"] is True and body["row_cap"] == 25 and body["pages"] == 3
    assert [row[0] for row in body["rows"]] == list(range(1, 11))
    second = _run(member_client, project, "SELECT * FROM orders ORDER BY id", row_cap=25, page_size=10, page=3).json()
    assert [row[0] for row in second["rows"]] == list(range(21, 26))
    assert _run(member_client, project, "SELECT 1", row_cap=10**6).status_code == 400


@pytest.fixture
def rows_received(monkeypatch):
    """How many rows each fetch brought from the database to DBooster."""
    counts = []
    for name in ("fetchall", "fetchmany"):
        original = getattr(psycopg.Cursor, name)

        def counting(self, *args, _original=original, **kwargs):
            rows = _original(self, *args, **kwargs)
            counts.append(len(rows))
            return rows

        monkeypatch.setattr(psycopg.Cursor, name, counting)
    return counts


def test_pages_and_sorts_on_the_server_holding_one_page(member_client, project, orders_synced, rows_received):
    sql = "SELECT id, status, total FROM orders  -- every order\n;"
    body = _run(member_client, project, sql, row_cap=1000, page_size=20).json()
    assert [r[0] for r in body["rows"]] == list(range(1, 21))
    assert (body["row_count"], body["truncated"], body["pages"]) == (1000, True, 50)
    assert max(rows_received) <= 20  # never the 1000 rows of the cap, only the page
    run_id, runs = body["run"]["id"], SqlRun.objects.count()
    page_url = f"/projects/{project.pk}/sql/history/{run_id}/page"
    third = member_client.post(page_url, {"page": 3, "page_size": 20, "row_cap": 1000}, format="json").json()
    assert [r[0] for r in third["rows"]] == list(range(41, 61)) and third["page"] == 3
    # Sorted by the database over the whole result (then capped), NULLs last, both ways.
    rows_received.clear()
    by_total = member_client.post(page_url, {"page_size": 5, "sort_column": 2, "sort_order": "desc"}, format="json")
    assert [r[2] for r in by_total.json()["rows"]] == ["3000.00", "2999.00", "2998.00", "2997.00", "2996.00"]
    assert max(rows_received) <= 5
    last = member_client.post(page_url, {"page": 50, "page_size": 20, "row_cap": 1000, "sort_column": 0},
                              format="json").json()  # fmt: skip
    assert [r[0] for r in last["rows"]] == list(range(981, 1001)) and last["truncated"] is True
    assert SqlRun.objects.count() == runs  # pages are not new runs
    beyond = member_client.post(page_url, {"page": 51, "page_size": 20, "row_cap": 1000}, format="json")
    assert beyond.status_code == 400 and "row cap of 1000" in beyond.json()["detail"]
    short = _run(member_client, project, "SELECT id FROM orders WHERE id <= 45", page_size=20, page=3).json()
    assert [r[0] for r in short["rows"]] == list(range(41, 46)) and short["row_count"] == 45 and short["pages"] == 3


def test_sorting_keeps_error_positions_and_refuses_writes(member_client, project, orders_writable):
    response = _run(member_client, project, "SELECT id,\n  colour FROM orders", sort_column=0)
    assert response.status_code == 404 and response.json()["position"] == 14
    update = _run(member_client, project, "UPDATE orders SET status = 'x' WHERE id = 1 RETURNING id", sort_column=0)
    assert update.status_code == 400 and update.json()["code"] == "invalid_sort"
    dml = _run(member_client, project, "UPDATE orders SET status = 'x' WHERE id < 3 RETURNING id").json()
    page_url = f"/projects/{project.pk}/sql/history/{dml['run']['id']}/page"
    assert member_client.post(page_url, {}, format="json").status_code == 409  # a write is not re-run to page it


def test_unknown_table_and_column_are_404_naming_them_with_position(member_client, project, orders_synced):
    response = _run(member_client, project, "SELECT * FROM nope")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_table" and '"nope"' in response.json()["detail"]
    assert response.json()["position"] == 15
    response = _run(member_client, project, "SELECT colour FROM orders")
    assert response.status_code == 404 and '"colour"' in response.json()["detail"]
    run = SqlRun.objects.get(pk=response.json()["run_id"])
    assert (run.status, run.error_code, run.error_position) == ("error", "unknown_column", 8)


def test_syntax_error_has_its_position(member_client, project, orders_synced):
    response = _run(member_client, project, "SELECT * FORM orders")
    assert response.status_code == 400 and response.json()["position"] == 10
    assert SqlRun.objects.get(pk=response.json()["run_id"]).error_position == 10
    assert _run(member_client, project, "SELECT 1; SELECT 2").json()["code"] == "not_single_statement"


def test_writes_on_read_only_and_production_are_403_naming_the_setting(
    member_client, project, orders_synced, orders_database
):
    before = _count(orders_database, "SELECT count(*) FROM orders WHERE status = 'paid'")
    response = _run(member_client, project, "UPDATE orders SET status = 'paid'", commit=True)
    assert response.status_code == 403 and "read_only=true" in response.json()["detail"]
    # A write hidden in a SELECT meets the READ ONLY transaction.
    hidden = _run(member_client, project, "WITH d AS (DELETE FROM orders RETURNING 1) SELECT count(*) FROM d")
    assert hidden.status_code == 403
    orders_synced.read_only, orders_synced.environment = False, "production"
    orders_synced.save()
    response = _run(member_client, project, "DELETE FROM orders", commit=True)
    assert response.status_code == 403 and "environment=production" in response.json()["detail"]
    assert _count(orders_database, "SELECT count(*) FROM orders WHERE status = 'paid'") == before


def test_dml_rolls_back_unless_committed(member_client, project, orders_writable, orders_database):
    body = _run(member_client, project, "UPDATE orders SET status = 'paid' WHERE id <= 5 RETURNING id").json()
    assert body["row_count"] == 5 and body["committed"] is False
    assert any("rolled back" in n for n in body["notices"])
    assert _count(orders_database, "SELECT count(*) FROM orders WHERE id <= 5 AND status = 'paid'") == 0
    body = _run(member_client, project, "UPDATE orders SET status = 'paid' WHERE id <= 5", commit=True).json()
    assert body["committed"] is True and body["row_count"] == 5
    assert _count(orders_database, "SELECT count(*) FROM orders WHERE id <= 5 AND status = 'paid'") == 5


def test_ddl_is_409_and_goes_through_a_proposal(member_client, project, orders_writable, orders_database):
    ddl = "ALTER TABLE orders ADD COLUMN note text"
    response = _run(member_client, project, ddl)
    assert response.status_code == 409 and response.json()["code"] == "ddl_needs_proposal"
    assert f"/projects/{project.pk}/schema-changes" in response.json()["detail"]
    response = member_client.post(
        f"/projects/{project.pk}/schema-changes", {"sql": ddl, "reason": "notes on orders"}, format="json"
    )
    assert response.status_code == 201, response.json()
    # The proposal carries its migration-safety review from the moment it is submitted.
    assert len(response.json()["safety_review"]["statements"]) == 1
    proposal = Proposal.objects.get(pk=response.json()["id"])
    assert (proposal.kind, proposal.sql, proposal.connection_id) == ("ddl", ddl, orders_writable.pk)
    assert _count(orders_database, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") == 0


def test_timeout_is_504_naming_the_limit(member_client, project, orders_synced):
    response = _run(member_client, project, "SELECT pg_sleep(60)", timeout_ms=300)
    assert response.status_code == 504 and "300 ms" in response.json()["detail"]
    assert response.json()["limit_ms"] == 300


@pytest.mark.parametrize("timeout_ms", [1, 2, 5])
def test_a_tiny_timeout_never_loses_the_connection(member_client, project, orders_synced, timeout_ms):
    """The session's idle-in-transaction timeout has a floor: a 1 ms statement timeout used to end the session
    between two of our own statements (502, connection lost). Now the statement answers or times out, or the
    guard, whose catalog check ran out of time too, refuses to run what it could not check."""
    response = _run(member_client, project, "SELECT id FROM orders WHERE id = 1", timeout_ms=timeout_ms)
    assert response.status_code in (200, 403, 504), response.json()
    if response.status_code == 504:
        assert response.json()["limit_ms"] == timeout_ms
    if response.status_code == 403:
        assert response.json()["code"] == "side_effect_call"


@pytest.mark.parametrize("timeout_ms", [0, 30_001])
def test_timeout_out_of_range_is_a_field_error(member_client, project, orders_synced, timeout_ms):
    response = _run(member_client, project, "SELECT 1", timeout_ms=timeout_ms)
    assert response.status_code == 400 and "timeout_ms" in response.json()["errors"]


def test_calls_a_rollback_cannot_undo_are_refused(member_client, project, orders_synced):
    response = _run(member_client, project, "SELECT pg_terminate_backend(pg_backend_pid())")
    assert response.status_code == 403 and response.json()["code"] == "side_effect_call"


def test_history_lists_and_reruns(member_client, viewer_client, project, orders_synced):
    first = _run(member_client, project, "SELECT count(*) FROM customers").json()["run"]
    _run(member_client, project, "SELECT * FROM nope")
    history = viewer_client.get(f"/projects/{project.pk}/sql/history").json()["results"]
    assert [(h["status"], h["error_code"]) for h in history] == [("error", "unknown_table"), ("success", "")]
    assert history[1]["user"]["email"] and history[1]["row_count"] == 1
    rerun = member_client.post(f"/projects/{project.pk}/sql/history/{first['id']}/rerun", {}, format="json").json()
    assert rerun["rows"] == [[50]] and rerun["run"]["id"] != first["id"]
    assert SqlRun.objects.filter(project=project).count() == 3


def test_snippets_are_shared_in_the_project(member_client, admin_client, project, orders_synced):
    url = f"/projects/{project.pk}/sql/snippets"
    created = member_client.post(
        url, {"name": "paid", "sql": "SELECT * FROM orders WHERE status = 'paid'"}, format="json"
    )
    assert created.status_code == 201
    assert member_client.post(url, {"name": "paid", "sql": "SELECT 1"}, format="json").status_code == 409
    listed = admin_client.get(url).json()["results"]
    assert [s["name"] for s in listed] == ["paid"]
    detail = f"{url}/{created.json()['id']}"
    assert admin_client.patch(detail, {"name": "paid orders"}, format="json").json()["name"] == "paid orders"
    assert admin_client.delete(detail).status_code == 204
    assert admin_client.get(detail).status_code == 404


def test_export_csv_defuses_formulas_and_json_keys_rows(member_client, project, orders_synced):
    sql = "SELECT '=HYPERLINK(1)' AS f, id FROM customers ORDER BY id LIMIT 2"
    response = member_client.post(f"/projects/{project.pk}/sql/export", {"sql": sql, "format": "csv"}, format="json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["f", "id"], ["'=HYPERLINK(1)", "1"], ["'=HYPERLINK(1)", "2"]]
    response = member_client.post(f"/projects/{project.pk}/sql/export", {"sql": sql, "format": "json"}, format="json")
    assert response.json()["rows"][1] == {"f": "=HYPERLINK(1)", "id": 2}
    refused = member_client.post(f"/projects/{project.pk}/sql/export", {"sql": "DELETE FROM orders"}, format="json")
    assert refused.status_code == 400


def test_index_create_rename_drop_are_proposals(member_client, project, orders_synced):
    plain = member_client.post(
        f"/projects/{project.pk}/schema-changes",
        {"sql": "CREATE INDEX orders_total_idx ON orders (total)", "reason": "reports"},
        format="json",
    ).json()
    assert "require-concurrent-index-creation" in {f["rule"] for f in plain["safety_review"]["findings"]}
    for ddl in (
        "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status)",
        "ALTER INDEX orders_status_idx RENAME TO orders_by_status",
        "DROP INDEX CONCURRENTLY orders_by_status",
    ):
        assert _run(member_client, project, ddl).status_code == 409
        response = member_client.post(
            f"/projects/{project.pk}/schema-changes", {"sql": ddl, "reason": "index upkeep"}, format="json"
        )
        assert response.status_code == 201, response.json()
    assert list(Proposal.objects.filter(project=project).values_list("state", flat=True)) == ["proposed"] * 4
    refused = member_client.post(
        f"/projects/{project.pk}/schema-changes", {"sql": "DELETE FROM orders", "reason": "x"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_ddl"
