"""The result page speaks plainly: code as <code>, never raw backticks; "faster" only for measured time."""

import re

import pytest
from django.test import Client

from optimizer import services
from optimizer.models import OptimizationRun, Suggestion


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_findings_show_code_not_backticks(member):
    client = _session(member)
    query = "SELECT id FROM customers WHERE phone = NULL AND status NOT IN ('a', NULL) ORDER BY random() LIMIT 5"
    response = client.post("/app/optimize/", {"query": query})
    assert response.status_code == 302, response.content
    run = OptimizationRun.objects.get()
    assert any("`" in f["fix"] for f in run.findings)  # the stored text keeps its Markdown-style code
    html = client.get(response["Location"]).content.decode()
    assert "`" not in html
    assert "<code>phone IS NULL</code>" in html
    assert "<code>OR status IS NULL</code>" in html


def _run_with(member, **suggestion):
    run = OptimizationRun.objects.create(organization=member.organization, query="SELECT 1", plan_status="planned")
    Suggestion.objects.create(run=run, kind="index", sql="CREATE INDEX ON t (a)", verified=True, **suggestion)
    return _session(member).get(f"/app/optimize/{run.pk}/").content.decode()


@pytest.mark.django_db
def test_a_cost_ratio_is_an_estimate_not_a_speedup(member):
    # A row stored before the speed-up meant measured time only: its cost ratio still is no "faster".
    html = _run_with(member, cost_before=1000.0, cost_after=8.3, speedup=120.48)
    assert "faster" not in html
    assert re.search(r"planner cost / 120\.5</strong> <span class=\"badge\">estimate</span>", html)


@pytest.mark.django_db
def test_measured_time_is_shown_as_faster(member):
    html = _run_with(member, cost_before=1000.0, cost_after=8.3, time_before_ms=90.0, time_after_ms=3.0, speedup=30.0)
    assert '30.0× faster</strong> <span class="muted">(measured)</span>' in html
    assert "planner cost /" not in html


def test_speedup_is_measured_time_only():
    estimated = services._Draft(kind="index", sql="x", rationale="", cost_before=1000.0, cost_after=10.0)
    assert estimated.speedup() is None
    timed = services._Draft(
        kind="index", sql="x", rationale="", cost_before=1000.0, cost_after=10.0, time_before_ms=9.0, time_after_ms=3.0
    )
    assert timed.speedup() == 3.0
