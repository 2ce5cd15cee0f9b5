"""The health page of a project: the last run's findings by severity, run again, propose a fix."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dbooster.errors import DomainError, NotFound
from dbooster.roles import Role, role_at_least
from health import selectors, services
from health.checks.base import SEVERITIES
from projects.selectors import project_get


def _project(request, pk):
    try:
        return project_get(org=request.user.organization, pk=pk)
    except NotFound:
        raise Http404("Project not found") from None


@login_required
def health_page(request, pk):
    project = _project(request, pk)
    try:
        connection = selectors.health_connection(project=project, connection_id=request.GET.get("connection"))
    except DomainError as exc:
        return render(request, "health/health.html", {"project": project, "error": exc.detail})
    run = selectors.last_run(connection=connection)
    groups = []
    if run is not None:
        indexed = list(enumerate(run.findings))
        groups = [(s, [(i, f) for i, f in indexed if f["severity"] == s]) for s in SEVERITIES]
    context = {
        "project": project,
        "connection": connection,
        "connections": project.connections.order_by("name"),
        "run": run,
        "groups": [(s, items) for s, items in groups if items],
        "can_propose": role_at_least(request.user.role, Role.MEMBER),
        "interval_minutes": settings.HEALTH_RUN_INTERVAL_MINUTES,
    }
    return render(request, "health/health.html", context)


@login_required
@require_POST
def health_run_page(request, pk):
    project = _project(request, pk)
    try:
        connection = selectors.health_connection(project=project, connection_id=request.POST.get("connection"))
        services.health_run(connection=connection, actor=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(f"/app/projects/{project.pk}/health/")
    return HttpResponseRedirect(f"/app/projects/{project.pk}/health/?connection={connection.pk}")


@login_required
@require_POST
def health_propose_page(request, pk, run, index):
    project = _project(request, pk)
    try:
        health_run = selectors.run_get(project=project, pk=run)
        proposal = services.health_propose_fix(run=health_run, index=index, actor=request.user, request=request)
    except NotFound:
        raise Http404("Finding not found") from None
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(f"/app/projects/{project.pk}/health/")
    messages.success(request, f"Proposed for approval as #{proposal.pk}.")
    return HttpResponseRedirect(f"/app/approvals/{proposal.pk}/")
