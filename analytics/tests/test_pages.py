"""The analytics pages, signed in as the pages are used: charts' data, top queries, a query's history."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from analytics.models import Snapshot
from analytics.tests.conftest import run_queries
from optimizer.workload import fingerprint
from repositories.models import ExtractedQuery

FP = fingerprint("SELECT count(*) FROM orders WHERE status = 'paid'")
pytestmark = pytest.mark.django_db


def charts(response) -> dict:
    html = response.content.decode()
    return json.loads(html.split('id="analytics-charts" type="application/json">', 1)[1].split("</script>", 1)[0])


def test_the_page_carries_every_chart_and_the_top_queries(browser_for, viewer, project, stats_connection,
                                                          stats_database):  # fmt: skip
    start = timezone.now() - timedelta(minutes=40)
    services.snapshot_take(connection=stats_connection, now=start)
    run_queries(stats_database, "SELECT count(*) FROM orders WHERE status = %s", 4, "paid")
    services.snapshot_take(connection=stats_connection, now=start + timedelta(minutes=15))
    response = browser_for(viewer).get(f"/app/projects/{project.pk}/analytics/")
    assert response.status_code == 200
    data = charts(response)
    assert set(data) == {"storage", "relations", "time", "mean", "calls", "cache", "sessions"}
    assert any(v for v in data["storage"]["series"][0]["values"])
    assert any(v for v in data["calls"]["series"][0]["values"])
    assert f'data-fingerprint="{FP}"' in response.content.decode()
    assert b"Take a snapshot now" not in response.content  # a viewer only reads
    history = browser_for(viewer).get(f"/app/projects/{project.pk}/analytics/queries/{FP}/")
    assert history.status_code == 200 and b"4 calls" in history.content
    assert b'id="code-link"' not in history.content  # no scan found it in the code
    ExtractedQuery.objects.create(project=project, fingerprint=FP, statement_type="select",
                                  normalized_text="SELECT count(*) FROM orders WHERE status = ?")  # fmt: skip
    history = browser_for(viewer).get(f"/app/projects/{project.pk}/analytics/queries/{FP}/")
    assert b"queries/?q=SELECT%20count%28%2A%29%20FROM%20orders" in history.content


def test_the_menu_leads_to_the_current_projects_page(browser_for, viewer, project):
    response = browser_for(viewer).get("/app/analytics/")
    assert response.status_code == 302 and response["Location"] == f"/app/projects/{project.pk}/analytics/"
    empty = browser_for(viewer).get(f"/app/projects/{project.pk}/analytics/")
    assert b"no database connection" in empty.content


def test_a_member_takes_a_snapshot_now_a_viewer_cannot(browser_for, member, viewer, project, stats_connection):
    url = f"/app/projects/{project.pk}/analytics/snapshot/"
    browser_for(viewer).post(url, {"connection": stats_connection.pk})
    assert not Snapshot.objects.exists()
    response = browser_for(member).post(url, {"connection": stats_connection.pk})
    assert response.status_code == 302 and Snapshot.objects.filter(connection=stats_connection).count() == 1


def test_another_organizations_project_is_a_404(browser_for, other_org_user, project, stats_connection):
    client = browser_for(other_org_user)
    assert client.get(f"/app/projects/{project.pk}/analytics/").status_code == 404
    assert client.get(f"/app/projects/{project.pk}/analytics/queries/{FP}/").status_code == 404
