"""Repository pages: GitHub list and connections, scan progress, and the project's query list."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from dbooster.errors import DomainError, NotFound
from dbooster.ratelimit import rate_limited
from dbooster.roles import Role, role_at_least
from dbooster.verified import verified_required
from organizations.page_access import not_found, role_required
from projects import selectors as project_selectors
from projects.selectors import project_list
from repositories import github, selectors, services
from repositories.highlight import highlight_sql
from repositories.models import Repository

REPOSITORIES_PAGE = "/app/repositories/"


def _project(request, pk):
    try:
        return project_selectors.project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return None


@role_required(Role.VIEWER)
def repositories_page(request):
    org = request.user.organization
    projects = list(project_list(org=org))
    github_repos, github_error = [], ""
    connected_github = bool(request.user.github_token)
    if connected_github:
        try:
            github_repos = github.list_repositories(token=request.user.github_token)
        except DomainError as exc:
            github_error = exc.detail
    connected = (
        Repository.objects.filter(project__organization=org)
        .select_related("project", "last_scan", "connected_by")
        .order_by("project__name", "full_name")
    )
    context = {
        "projects": projects,
        "github_repos": github_repos,
        "github_error": github_error,
        "connected_github": connected_github,
        "connected": connected,
        "can_edit": role_at_least(request.user.role, Role.MEMBER),
    }
    return render(request, "repositories/repositories.html", context)


@require_POST
@role_required(Role.MEMBER)
def repository_connect(request):
    project = _project(request, request.POST.get("project"))
    if project is None:
        return not_found(request, "project")
    try:
        repository = services.repository_connect(
            project=project,
            url=request.POST.get("url", ""),
            full_name=request.POST.get("full_name", ""),
            default_branch=request.POST.get("default_branch", ""),
            private=request.POST.get("private") == "true",
            actor=request.user,
            request=request,
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{repository.full_name} is connected to {project.name}.")
    return redirect(REPOSITORIES_PAGE)


@require_POST
@role_required(Role.MEMBER)
@verified_required
@rate_limited("scans")
def scan_start(request):
    project = _project(request, request.POST.get("project"))
    if project is None:
        return not_found(request, "project")
    try:
        scan, joined = services.scan_start(
            project=project,
            repo_url=request.POST.get("repo_url", ""),
            branch=request.POST.get("branch", ""),
            actor=request.user,
            request=request,
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(REPOSITORIES_PAGE)
    if joined:
        messages.info(request, "This repository and branch is already being scanned: here is that scan.")
    return redirect(f"/app/scans/{scan.pk}/")


@require_POST
@role_required(Role.MEMBER)
@verified_required
@rate_limited("scans")
def scan_upload(request):
    project = _project(request, request.POST.get("project"))
    if project is None:
        return not_found(request, "project")
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, "Choose a .zip or .tar.gz archive to upload.")
        return redirect(REPOSITORIES_PAGE)
    try:
        scan = services.scan_start_upload(project=project, uploaded=uploaded, actor=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(REPOSITORIES_PAGE)
    return redirect(f"/app/scans/{scan.pk}/")


REJECTED_SHOWN = 100


@role_required(Role.VIEWER)
def scan_page(request, pk: int):
    try:
        scan = selectors.scan_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "scan")
    reason = request.GET.get("reason", "").strip()
    context = {
        "scan": scan,
        "rejected": selectors.rejected_list(scan=scan, reason=reason)[:REJECTED_SHOWN],
        "reason": reason,
        "reasons": selectors.rejected_by_reason(scan=scan),
        "problems": selectors.scan_problems(scan=scan),
    }
    return render(request, "repositories/scan.html", context)


@role_required(Role.VIEWER)
def query_list_page(request, pk: int):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    filters = {key: request.GET.get(key, "").strip() for key in ("table", "file", "q", "scan")}
    try:
        queries = selectors.query_list(project=project, **filters)
    except NotFound:
        return not_found(request, "scan")
    page = Paginator(queries, 25).get_page(request.GET.get("page"))
    rows = [{"query": query, "html": highlight_sql(query.sql or query.normalized_text)} for query in page.object_list]
    query_string = urlencode({k: v for k, v in filters.items() if v})
    context = {"project": project, "page": page, "rows": rows, "filters": filters, "query_string": query_string}
    return render(request, "repositories/queries.html", context)
