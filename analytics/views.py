"""The analytics pages: a project's database over time (charts and the top queries), and one query's history."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from analytics import selectors, services
from analytics.timerange import parse_range
from dbooster.errors import DomainError, NotFound
from dbooster.roles import Role, role_at_least
from projects.selectors import current_project, project_get

RANGES = (("6h", "6 hours"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"))


def _project(request, pk):
    try:
        return project_get(org=request.user.organization, pk=pk)
    except NotFound:
        raise Http404("Project not found") from None


def _range(request):
    """The page's range: one of RANGES (default 24 hours) ending now, with the automatic step."""
    chosen = request.GET.get("range") if request.GET.get("range") in dict(RANGES) else "24h"
    return chosen, parse_range({"range": chosen}, now=timezone.now())


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}" if n != 1 else unit
    return f"{seconds} seconds"


@login_required
def analytics_home(request):
    """The menu's Analytics: the current project's page, else the projects to choose from."""
    project = current_project(user=request.user)
    if project is None:
        messages.info(request, "Open a project to see its database over time.")
        return HttpResponseRedirect("/app/projects/")
    return HttpResponseRedirect(f"/app/projects/{project.pk}/analytics/")


def _charts(storage: dict, execution: dict, usage: dict) -> dict:
    """What the page's charts draw: times and named series, each with its unit."""
    times = storage["times"]
    return {
        "storage": {"times": times, "unit": "bytes", "series": [
            {"label": "Database", "values": storage["database_bytes"]},
        ]},
        "relations": {"times": times, "unit": "bytes", "series": [
            {"label": r["name"], "values": r["series"]} for r in storage["relations"][:5]
        ]},
        "time": {"times": times, "unit": "ms", "series": [
            {"label": "Total time", "values": execution["total_ms"]},
        ]},
        "mean": {"times": times, "unit": "ms", "series": [{"label": "Mean time", "values": execution["mean_ms"]}]},
        "calls": {"times": times, "unit": "count", "series": [{"label": "Calls", "values": execution["calls"]}]},
        "cache": {"times": times, "unit": "ratio", "series": [
            {"label": "Cache hit", "values": usage["cache_hit_ratio"]},
        ]},
        "sessions": {"times": times, "unit": "count", "series": [
            {"label": state, "values": values} for state, values in usage["connections"].items()
        ]},
    }  # fmt: skip


@login_required
def analytics_page(request, pk):
    project = _project(request, pk)
    chosen, rng = _range(request)
    try:
        connection = selectors.analytics_connection(project=project, connection_id=request.GET.get("connection"))
    except DomainError as exc:
        return render(request, "analytics/analytics.html", {"project": project, "error": exc.detail})
    storage = selectors.storage_series(connection=connection, rng=rng)
    execution = selectors.execution_series(connection=connection, rng=rng)
    usage = selectors.usage_series(connection=connection, rng=rng)
    top = selectors.top_queries(connection=connection, rng=rng, limit=30)
    context = {
        "project": project,
        "connection": connection,
        "connections": project.connections.order_by("name"),
        "ranges": RANGES,
        "chosen": chosen,
        "rng": rng,
        "state": selectors.collector_state(connection=connection),
        "storage": storage,
        "charts": _charts(storage, execution, usage),
        "top_queries": top,
        "sparklines": {"times": storage["times"], "values": [q["series"]["mean_ms"] for q in top]},
        "can_snapshot": role_at_least(request.user.role, Role.MEMBER),
        "interval_minutes": settings.ANALYTICS_SNAPSHOT_INTERVAL_MINUTES,
        "retention_days": settings.ANALYTICS_RETENTION_DAYS,
        "step_label": _duration(rng.step_s),
    }
    return render(request, "analytics/analytics.html", context)


@login_required
@require_POST
def snapshot_now_page(request, pk):
    """Take a snapshot now (read only, like the scheduled ones), rather than wait for the next interval."""
    project = _project(request, pk)
    if not role_at_least(request.user.role, Role.MEMBER):
        messages.error(request, "Your role cannot take snapshots; a member can.")
        return HttpResponseRedirect(f"/app/projects/{project.pk}/analytics/")
    try:
        connection = selectors.analytics_connection(project=project, connection_id=request.POST.get("connection"))
        snapshot = services.snapshot_take(connection=connection)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(f"/app/projects/{project.pk}/analytics/")
    if snapshot.calls is None and snapshot.xact_commit is None:
        messages.success(request, "First snapshot taken: the next one shows what ran in between.")
    else:
        messages.success(request, "Snapshot taken.")
    return HttpResponseRedirect(f"/app/projects/{project.pk}/analytics/?connection={connection.pk}")


@login_required
def query_history_page(request, pk, fp):
    project = _project(request, pk)
    chosen, rng = _range(request)
    try:
        history = selectors.fingerprint_history(
            project=project, fingerprint=fp, rng=rng, connection_id=request.GET.get("connection")
        )
    except NotFound:
        raise Http404("No history of this query") from None
    except DomainError as exc:
        return render(request, "analytics/query.html", {"project": project, "error": exc.detail})
    chart = {"times": history["times"], "series": [{"label": "Mean time", "values": history["mean_ms"]}], "unit": "ms"}
    calls = {"times": history["times"], "series": [{"label": "Calls", "values": history["calls"]}], "unit": "count"}
    context = {
        "project": project,
        "history": history,
        # The project's queries page filters by text: the scanned query's own text finds it.
        "code_filter": history["extracted_query_text"][:80],
        "ranges": RANGES,
        "chosen": chosen,
        "charts": {"mean": chart, "calls": calls},
    }
    return render(request, "analytics/query.html", context)
