"""Optimizer pages: paste or pick a query, see findings, measured suggestions and plans; the workload."""

from __future__ import annotations

from django import forms
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dbooster.errors import DomainError, NotFound
from dbooster.ratelimit import rate_limited
from dbooster.roles import Role, role_at_least
from dbooster.verified import verified_required
from optimizer import selectors, services
from optimizer.models import WorkloadQuery
from organizations.page_access import not_found, role_required
from projects.models import Project
from repositories.models import ExtractedQuery
from schema_metadata.models import DatabaseConnection
from schema_metadata.plan import summarize
from schema_metadata.views import plan_rows


class OptimizeForm(forms.Form):
    query = forms.CharField(max_length=100_000, widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))
    project = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    connection = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    ai = forms.BooleanField(required=False, initial=True, label="Ask the AI")
    verify = forms.BooleanField(required=False, initial=True, label="Verify rewrites on the database")

    def __init__(self, *args, projects=(), connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "No project (lint only)")] + [(p.pk, p.name) for p in projects]
        self.fields["connection"].choices = [("", "The project's default")] + [
            (c.pk, f"{c.project.name} · {c.name} ({c.environment})") for c in connections
        ]


class WorkloadForm(forms.Form):
    project = forms.TypedChoiceField(coerce=int)
    connection = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    budget_mb = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1024, label="Budget (MB)")
    max_indexes = forms.IntegerField(min_value=1, max_value=50, initial=10, label="At most this many indexes")

    def __init__(self, *args, projects=(), connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.pk, p.name) for p in projects]
        self.fields["connection"].choices = [("", "The project's default")] + [
            (c.pk, f"{c.project.name} · {c.name}") for c in connections
        ]


def _choices(org):
    projects = list(Project.objects.filter(organization=org).order_by("name"))
    connections = list(DatabaseConnection.objects.filter(project__organization=org).select_related("project"))
    return projects, connections


def _picked_queries(org, project_id):
    """The project's scanned queries, to pick one instead of pasting."""
    if not project_id:
        return []
    queries = list(
        ExtractedQuery.objects.filter(project__organization=org, project_id=project_id)
        .prefetch_related("occurrences")
        .order_by("id")[:200]
    )
    # The latest workload import says how much time each could save: most first.
    savings: dict[int, float] = {}
    for row in WorkloadQuery.objects.filter(extracted_query__in=queries, workload__project_id=project_id).order_by(
        "workload__created_at"
    ):
        savings[row.extracted_query_id] = row.saving_ms or 0.0
    for q in queries:
        q.saving_ms = savings.get(q.pk)
    return sorted(queries, key=lambda q: -(q.saving_ms or 0))


@require_http_methods(["GET", "POST"])
@role_required(Role.VIEWER)
@verified_required
@rate_limited("optimize")
def optimize_page(request):
    org = request.user.organization
    projects, connections = _choices(org)
    can_run = role_at_least(request.user.role, Role.MEMBER)
    initial = {"ai": True, "verify": True}
    project_id = request.GET.get("project")
    if not project_id and len(projects) == 1:
        # One project: plan against its default connection without making the user pick it.
        project_id = str(projects[0].pk)
    picks = _picked_queries(org, project_id) if project_id and project_id.isdigit() else []
    if project_id and project_id.isdigit():
        initial["project"] = int(project_id)
        pick = request.GET.get("pick")
        chosen = next((q for q in picks if str(q.pk) == pick), None)
        if chosen is not None:
            initial["query"] = chosen.sql or chosen.normalized_text
    form = OptimizeForm(request.POST or None, initial=initial, projects=projects, connections=connections)
    status = 200
    if request.method == "POST":
        if not can_run:
            form.add_error(None, f"Your role ({request.user.role}) cannot run optimizations; it needs member or above.")
            status = 403
        elif form.is_valid():
            data = form.cleaned_data
            try:
                run = services.optimize_query(
                    user=request.user,
                    query=data["query"],
                    project_id=data["project"],
                    connection_id=data["connection"],
                    use_ai=data["ai"],
                    verify=data["verify"],
                    request=request,
                )
            except DomainError as exc:
                form.add_error("query" if exc.status_code == 400 else None, exc.detail)
                status = exc.status_code
            else:
                return redirect(f"/app/optimize/{run.pk}/")
        else:
            status = 400
    recent = selectors.recent_runs(org=org, limit=15)
    context = {"form": form, "picks": picks, "can_run": can_run, "recent": recent, "project_id": project_id}
    return render(request, "optimizer/optimize.html", context, status=status)


def _bars(suggestions):
    """Width percentages for before/after bars, on one scale per suggestion."""
    rows = []
    for s in suggestions:
        cost_scale = max(s.cost_before or 0, s.cost_after or 0) or 1
        time_scale = max(s.time_before_ms or 0, s.time_after_ms or 0) or 1
        rows.append(
            {
                "s": s,
                "cost_before_pct": round(100 * (s.cost_before or 0) / cost_scale, 1),
                "cost_after_pct": round(100 * (s.cost_after or 0) / cost_scale, 1),
                "time_before_pct": round(100 * (s.time_before_ms or 0) / time_scale, 1),
                "time_after_pct": round(100 * (s.time_after_ms or 0) / time_scale, 1),
            }
        )
    return rows


def _tree(plan: dict | None):
    """The plan drawn as the explain page draws it (the same summarizer and rows)."""
    if not plan:
        return []
    return plan_rows(summarize([plan]))


def _findings_with_text(run) -> list[dict]:
    """Each finding with the part of the query it is about, so the page can show where."""
    out = []
    for f in run.findings or []:
        loc = f.get("location") or {}
        start, end = loc.get("start"), loc.get("end")
        text = run.query[start:end] if isinstance(start, int) and isinstance(end, int) else ""
        out.append({**f, "text": text})
    return out


@role_required(Role.VIEWER)
def optimization_page(request, pk: int):
    try:
        run = selectors.run_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "optimization")
    suggestions = list(run.suggestions.all())
    context = {
        "run": run,
        "findings": _findings_with_text(run),
        "can_submit": role_at_least(request.user.role, Role.MEMBER),
        "kept": _bars([s for s in suggestions if not s.dropped]),
        "dropped": [s for s in suggestions if s.dropped],
        "history": selectors.past_runs(run=run),
        "tree_before": _tree(run.plan_before),
        "tree_after": _tree(run.plan_after),
    }
    return render(request, "optimizer/result.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.VIEWER)
@verified_required
@rate_limited("optimize")
def workload_page(request):
    org = request.user.organization
    projects, connections = _choices(org)
    can_run = role_at_least(request.user.role, Role.MEMBER)
    form = WorkloadForm(request.POST or None, projects=projects, connections=connections)
    status = 200
    if request.method == "POST":
        if not can_run:
            form.add_error(
                None, f"Your role ({request.user.role}) cannot run workload advice; it needs member or above."
            )
            status = 403
        elif form.is_valid():
            data = form.cleaned_data
            try:
                record = services.advise_workload(
                    user=request.user,
                    project_id=data["project"],
                    connection_id=data["connection"],
                    budget_bytes=data["budget_mb"] * 1024 * 1024,
                    max_indexes=data["max_indexes"],
                    request=request,
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
                status = exc.status_code
            else:
                return redirect(f"/app/workload/{record.pk}/")
        else:
            status = 400
    context = {"form": form, "can_run": can_run, "recent": selectors.recent_workloads(org=org)}
    return render(request, "optimizer/workload.html", context, status=status)


@role_required(Role.VIEWER)
def workload_result_page(request, pk: int):
    try:
        record = selectors.workload_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "workload")
    queries = sorted(record.queries.all(), key=lambda q: (-(q.saving_ms or 0), -q.total_time_ms))
    advice = record.advice or {}
    budget = advice.get("budget") or {}
    used_pct = (
        round(100 * budget.get("bytes_used", 0) / budget["bytes_allowed"], 1) if budget.get("bytes_allowed") else 0
    )
    context = {
        "record": record,
        "advice": advice,
        "queries": queries,
        "budget": budget,
        "used_pct": used_pct,
        "gain_pct": round(100 * (advice.get("estimated_gain") or 0), 1),
    }
    return render(request, "optimizer/workload_result.html", context)
