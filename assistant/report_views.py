"""The report page of a project: the same report as the API, sections with their facts, and what to do first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from assistant import reporting
from assistant.report_api import report_connection, use_model
from dbooster.errors import DomainError, NotFound
from projects.selectors import project_get


@login_required
def report_page(request, pk):
    try:
        project = project_get(org=request.user.organization, pk=pk)
    except NotFound:
        raise Http404("Project not found") from None
    context = {"project": project, "connections": project.connections.order_by("name")}
    try:
        connection = report_connection(project=project, connection_id=request.GET.get("connection"))
        report = reporting.project_report(
            project=project, connection=connection, use_model=use_model(request.GET.get("model"))
        )
    except DomainError as exc:
        return render(request, "assistant/report.html", {**context, "error": exc.message})
    sections = {s.key: s for s in report.sections}
    context.update({"connection": connection, "report": report, "sections": sections})
    return render(request, "assistant/report.html", context)
