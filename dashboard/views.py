"""The home page (/app/) and a project's page: where the user stands and what to do next."""

from __future__ import annotations

from django.shortcuts import redirect, render

from dashboard import selectors
from dbooster.errors import NotFound
from dbooster.roles import Role
from organizations.page_access import not_found, role_required
from projects import selectors as project_selectors
from projects import services as project_services


def _project_context(project) -> dict:
    return {
        "project": project,
        "steps": selectors.checklist(project),
        "measured": selectors.measured_queries(project),
        "findings": selectors.open_findings(project),
        "approvals": selectors.pending_approvals(project),
    }


@role_required(needs_organization=False)
def home(request):
    """Something measured for the current project; without an organization or project, the first step."""
    context: dict = {}
    if request.user.organization_id:
        projects = list(project_selectors.project_list(org=request.user.organization)[:20])
        current = project_selectors.current_project(user=request.user)
        context.update(projects=projects, current=current)
        if current is not None:
            context.update(_project_context(current))
    return render(request, "dashboard/home.html", context)


@role_required(Role.VIEWER)
def project_page(request, pk):
    """A project's checklist and measurements; opening it makes it the user's current project."""
    try:
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "project")
    project_services.set_current_project(user=request.user, project=project)
    return render(request, "dashboard/project.html", _project_context(project))


@role_required(Role.VIEWER)
def explain_entry(request):
    """The Explain menu item: the current project's explain page, or the projects to choose from."""
    current = project_selectors.current_project(user=request.user)
    if current is not None:
        return redirect(f"/app/projects/{current.pk}/explain/")
    return redirect("/app/projects/?next=explain")
