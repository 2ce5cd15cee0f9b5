"""Project pages: list, create, edit, delete. Same services and rules as the API."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dbooster.errors import Conflict, DomainError, NotFound
from dbooster.roles import Role, role_at_least
from organizations.page_access import not_found, role_required
from projects import selectors, services

PROJECTS_PAGE = "/app/projects/"


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("The name cannot be blank.")
        return name


def _project_or_none(request, pk):
    try:
        return selectors.project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return None


@role_required(Role.VIEWER)
def project_list(request):
    page = Paginator(selectors.project_list(org=request.user.organization), 25).get_page(request.GET.get("page"))
    can_edit = role_at_least(request.user.role, Role.MEMBER)
    return render(request, "projects/list.html", {"page": page, "can_edit": can_edit})


def _save_failed(form, exc: DomainError) -> None:
    # A taken name belongs next to the name field; a quota or other refusal above the form.
    form.add_error("name" if isinstance(exc, Conflict) else None, exc.detail)


@require_http_methods(["GET", "POST"])
@role_required(Role.MEMBER)
def project_create(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(
                org=request.user.organization, created_by=request.user, request=request, **form.cleaned_data
            )
        except DomainError as exc:
            _save_failed(form, exc)
            context = {"form": form, "creating": True, "upgrade": exc.status_code == 402}
            return render(request, "projects/form.html", context, status=exc.status_code)
        messages.success(request, f"Project {project.name} created.")
        return redirect(PROJECTS_PAGE)
    status = 400 if form.errors else 200
    return render(request, "projects/form.html", {"form": form, "creating": True}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.MEMBER)
def project_edit(request, pk: int):
    project = _project_or_none(request, pk)
    if project is None:
        return not_found(request, "project")
    initial = {"name": project.name, "description": project.description}
    form = ProjectForm(request.POST or None, initial=initial)
    context = {"form": form, "project": project, "creating": False}
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(project=project, actor=request.user, request=request, **form.cleaned_data)
        except DomainError as exc:
            _save_failed(form, exc)
            return render(request, "projects/form.html", context, status=exc.status_code)
        messages.success(request, f"Project {project.name} saved.")
        return redirect(PROJECTS_PAGE)
    return render(request, "projects/form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(Role.MEMBER)
def project_delete(request, pk: int):
    project = _project_or_none(request, pk)
    if project is None:
        return not_found(request, "project")
    if request.method == "POST":
        name = project.name
        services.project_delete(project=project, actor=request.user, request=request)
        messages.success(request, f"Project {name} deleted.")
        return redirect(PROJECTS_PAGE)
    return render(request, "projects/confirm_delete.html", {"project": project})
