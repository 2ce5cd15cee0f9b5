"""The analytics API over real snapshots of a real database: series, top queries, a query's history, bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from analytics import services
from analytics.tests.conftest import run_queries
from optimizer.workload import fingerprint
from repositories.models import ExtractedQuery
from schema_metadata.models import DatabaseConnection

QUERY = "SELECT count(*) FROM orders WHERE status = %s"
FP = fingerprint("SELECT count(*) FROM orders WHERE status = 'paid'")
pytestmark = pytest.mark.django_db


@pytest.fixture
def history(stats_connection, stats_database):
    """Three snapshots 15 minutes apart, an hour ago: the query ran 6 times, then 2 times."""
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    services.snapshot_take(connection=stats_connection, now=start)
    run_queries(stats_database, QUERY, 6, "paid")
    services.snapshot_take(connection=stats_connection, now=start + timedelta(minutes=15))
    run_queries(stats_database, QUERY, 2, "paid")
    services.snapshot_take(connection=stats_connection, now=start + timedelta(minutes=30))
    return start


def get(client, path, **params):
    return client.get(path, params)


def test_storage_series_and_the_largest_relations(viewer_client, project, history):
    response = get(viewer_client, f"/projects/{project.pk}/analytics/storage", range="2h", step="15m")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["range"]["step_s"] == 900 and len(data["times"]) == 8 == len(data["database_bytes"])
    assert data["snapshots"] == 3
    assert len([b for b in data["database_bytes"] if b]) == 3 and all(
        b > 1_000_000 for b in data["database_bytes"] if b
    )
    orders = next(r for r in data["relations"] if r["name"] == "public.orders")
    assert orders["kind"] == "table" and orders["rows"] == 3000 and orders["growth_bytes"] == 0
    assert [b for b in orders["series"] if b] == [orders["bytes"]] * 3
    assert any(r["kind"] == "index" and r["table"] == "public.orders" for r in data["relations"])


def test_execution_time_series_and_top_queries(viewer_client, project, history):
    response = get(viewer_client, f"/projects/{project.pk}/analytics/execution-time", range="2h", step="15m")
    assert response.status_code == 200, response.content
    data = response.json()
    top = next(q for q in data["top_queries"] if q["fingerprint"] == FP)
    assert top["calls"] == 8 and top["query"].startswith("SELECT count(*) FROM orders")
    assert [c for c in top["series"]["calls"] if c] == [6, 2]
    assert top["mean_ms"] == pytest.approx(top["total_ms"] / 8)
    assert sum(c or 0 for c in data["calls"]) >= 8
    assert all(m is None or m >= 0 for m in data["mean_ms"])
    by_calls = get(viewer_client, f"/projects/{project.pk}/analytics/execution-time", order="calls", limit=1).json()
    assert len(by_calls["top_queries"]) == 1


def test_usage_series(viewer_client, project, history):
    data = get(viewer_client, f"/projects/{project.pk}/analytics/usage", range="2h", step="1h").json()
    assert len(data["times"]) == 2
    assert any(r is not None and 0 < r <= 1 for r in data["cache_hit_ratio"])
    assert sum(c or 0 for c in data["xact_commit"]) >= 8
    assert data["connections"] == {} or all(len(v) == 2 for v in data["connections"].values())


def test_a_querys_history_links_to_the_scanned_code(viewer_client, project, history, stats_connection):
    extracted = ExtractedQuery.objects.create(
        project=project, fingerprint=FP, normalized_text="SELECT count(*) FROM orders WHERE status = ?",
        statement_type="select",
    )  # fmt: skip
    data = get(viewer_client, f"/query/fingerprints/{FP}/history", project=project.pk, range="2h", step="15m").json()
    assert data["extracted_query_id"] == extracted.pk and data["connections"] == [stats_connection.pk]
    assert [c for c in data["calls"] if c] == [6, 2] and data["totals"]["calls"] == 8
    assert data["totals"]["mean_ms"] == pytest.approx(data["totals"]["total_ms"] / 8)
    # The current project is the default (the organization's only one).
    assert get(viewer_client, f"/query/fingerprints/{FP}/history").json()["totals"]["calls"] == 8


@pytest.mark.parametrize(
    ("params", "param", "words"),
    [
        ({"from": "yesterday"}, "from", "ISO 8601"),
        ({"to": "2026-13-45"}, "to", "ISO 8601"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from", "must be before"),
        ({"from": "2026-01-01T00:00:00Z", "range": "7d"}, "range", "not both"),
        ({"range": "forever"}, "range", "duration"),
        ({"range": "1000d"}, "range", "at most 400"),
        ({"step": "abc"}, "step", "duration"),
        ({"step": "0m"}, "step", "duration"),
        ({"step": "30s"}, "step", "at least 60"),
        ({"range": "30d", "step": "1m"}, "step", "at most 1000"),
    ],
)
def test_bad_ranges_and_steps_are_400s_that_say_what_is_wrong(viewer_client, project, orders_connection, params,
                                                              param, words):  # fmt: skip
    for path in ("storage", "execution-time", "usage"):
        response = get(viewer_client, f"/projects/{project.pk}/analytics/{path}", **params)
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == f"invalid_{param}" and words in body["detail"], body


def test_other_bad_input(viewer_client, project, orders_connection, other_org_user):
    base = f"/projects/{project.pk}/analytics/execution-time"
    assert get(viewer_client, base, order="name").json()["code"] == "invalid_order"
    assert get(viewer_client, base, limit="0").json()["code"] == "invalid_limit"
    assert get(viewer_client, base, connection="x").status_code == 400
    elsewhere = DatabaseConnection.objects.create(
        project=type(project).objects.create(organization=other_org_user.organization, name="theirs"),
        name="theirs", url=orders_connection.url, environment="production",
    )  # fmt: skip
    assert get(viewer_client, base, connection=elsewhere.pk).status_code == 404
    assert get(viewer_client, "/query/fingerprints/not-hex!/history").json()["code"] == "invalid_fingerprint"
    missing = get(viewer_client, "/query/fingerprints/0123456789abcdef/history", project=project.pk)
    assert missing.status_code == 404 and "0123456789abcdef" in missing.json()["detail"]
    assert get(viewer_client, f"/query/fingerprints/{FP}/history", project="one").status_code == 400


def test_a_project_without_connection_is_a_clear_404(viewer_client, project):
    response = get(viewer_client, f"/projects/{project.pk}/analytics/usage")
    assert response.status_code == 404 and "no database connection" in response.json()["detail"]


def test_old_points_come_from_rolled_up_snapshots(viewer_client, project, stats_connection, stats_database):
    """Two days ago at 15-minute snapshots, rolled up into hours: the API's hourly points keep the sums."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    for i in range(5):
        run_queries(stats_database, QUERY, i + 1, "paid")
        services.snapshot_take(connection=stats_connection, now=start + timedelta(minutes=15 * i + 1))
    services.snapshots_roll_up(connection=stats_connection)
    data = get(viewer_client, f"/query/fingerprints/{FP}/history", project=project.pk,
               **{"from": start.isoformat(), "to": (start + timedelta(hours=2)).isoformat(), "step": "1h"}).json()  # fmt: skip
    # Snapshots 2..4 (the first is the baseline) fall in the first hour, the fifth in the second.
    assert data["calls"] == [2 + 3 + 4, 5]
