"""Pages of the target-databases app: connections, the schema browser, the explain page.

The same services and rules as the API; the session signs the user in instead of a token.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dbooster.errors import DomainError, NotFound
from dbooster.ratelimit import rate_limited
from dbooster.roles import Role, role_at_least
from dbooster.verified import verified_required
from organizations.page_access import not_found, role_required
from projects import selectors as project_selectors
from schema_metadata import demo_shop, plan_insights, selectors, services, target
from schema_metadata.models import DatabaseConnection


class ConnectionForm(forms.Form):
    name = forms.CharField(max_length=200)
    url = forms.CharField(
        label="Connection URL",
        max_length=4000,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="postgresql://user:password@host:5432/dbname. Stored encrypted; never shown again. "
        "Leave empty to keep the current one.",
    )
    environment = forms.ChoiceField(choices=DatabaseConnection.Environment.choices, initial="development")
    allow_analyze = forms.BooleanField(
        required=False, initial=True, label="EXPLAIN ANALYZE may execute queries (read-only, rolled back)"
    )
    allow_dml_analyze = forms.BooleanField(
        required=False, label="Analyze INSERT/UPDATE/DELETE inside a rolled-back transaction (never production)"
    )
    read_only = forms.BooleanField(required=False, initial=True, label="Read-only: DBooster never writes here")
    is_default = forms.BooleanField(required=False, label="Default connection of the project")

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["url"].required = creating


class ExplainForm(forms.Form):
    query = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}), max_length=100_000,
                            strip=False)  # fmt: skip
    connection = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    analyze = forms.BooleanField(required=False, initial=True, label="ANALYZE (execute, read-only, rolled back)")
    buffers = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = [(c.pk, f"{c.name} ({c.environment})") for c in connections]


def _project(request, pk):
    try:
        return project_selectors.project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return None


def _connection(request, project, cid):
    try:
        return selectors.connection_get(project=project, pk=cid)
    except NotFound:
        return None


@role_required(Role.VIEWER)
def databases(request):
    projects = project_selectors.project_list(org=request.user.organization).prefetch_related("connections")
    return render(
        request,
        "schema_metadata/databases.html",
        {"projects": projects, "can_admin": role_at_least(request.user.role, Role.ADMIN)},
    )


def _form_values(form, *, creating: bool) -> dict:
    values = dict(form.cleaned_data)
    if not creating and not values.get("url"):
        values.pop("url", None)
    if not creating and not values.get("is_default"):
        values.pop("is_default", None)  # unticking does not demote: make another one the default
    return values


def demo_offered() -> bool:
    """Whether to offer the demo shop: it is built on this server and this server may connect to it."""
    try:
        target.check_url(demo_shop.connection_url())
    except DomainError:
        return False
    return demo_shop.is_ready()


@require_POST
@role_required(Role.ADMIN)
def connection_create_demo(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    try:
        connection = services.demo_connection_create(project=project, actor=request.user, request=request)
    except DomainError:
        # Whatever stopped it is the operator's to fix; the user is told what they can do instead.
        messages.error(request, "The demo shop database is not available on this server: connect your own database.")
        return redirect(f"/app/projects/{project.pk}/connections/new/")
    messages.success(request, f"Connected to the demo shop ({connection.name}). Next: sync its schema.")
    return redirect(f"/app/projects/{project.pk}/connections/{connection.pk}/")


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
@verified_required
def connection_create(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    form = ConnectionForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(
                project=project, actor=request.user, request=request, **_form_values(form, creating=True)
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
            return render(
                request,
                "schema_metadata/connection_form.html",
                {"form": form, "project": project, "creating": True},
                status=exc.status_code,
            )
        messages.success(request, f"Connection {connection.name} added. Test it, then sync its schema.")
        return redirect(f"/app/projects/{project.pk}/connections/{connection.pk}/")
    return render(
        request,
        "schema_metadata/connection_form.html",
        {"form": form, "project": project, "creating": True, "demo_offered": demo_offered()},
    )


def _edit_context(request, project, connection, form, test_result=None, test_error=None):
    return {
        "form": form,
        "project": project,
        "connection": connection,
        "creating": False,
        "test_result": test_result,
        "test_error": test_error,
        "can_admin": role_at_least(request.user.role, Role.ADMIN),
        "can_work": role_at_least(request.user.role, Role.MEMBER),
        "last_sync": selectors.sync_list(project=project, connection=connection).first(),
    }


def _initial(connection) -> dict:
    return {f: getattr(connection, f) for f in ("name", "environment", "allow_analyze", "allow_dml_analyze",
                                                "read_only", "is_default")}  # fmt: skip


@require_http_methods(["GET", "POST"])
@role_required(Role.VIEWER)
@verified_required
def connection_edit(request, pk, cid):
    project = _project(request, pk)
    connection = _connection(request, project, cid) if project else None
    if connection is None:
        return not_found(request, "connection")
    if request.method == "POST":
        if not role_at_least(request.user.role, Role.ADMIN):
            messages.error(request, "Only admins change connections.")
            return redirect(request.path)
        form = ConnectionForm(request.POST, creating=False)
        if form.is_valid():
            try:
                services.connection_update(
                    connection=connection, actor=request.user, request=request, **_form_values(form, creating=False)
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
                connection.refresh_from_db()
                return render(request, "schema_metadata/connection_form.html",
                              _edit_context(request, project, connection, form), status=exc.status_code)  # fmt: skip
            messages.success(request, "Connection saved.")
            return redirect(request.path)
    else:
        form = ConnectionForm(initial=_initial(connection), creating=False)
    return render(request, "schema_metadata/connection_form.html", _edit_context(request, project, connection, form))


@require_POST
@role_required(Role.MEMBER)
@verified_required
@rate_limited("sql")
def connection_test(request, pk, cid):
    project = _project(request, pk)
    connection = _connection(request, project, cid) if project else None
    if connection is None:
        return not_found(request, "connection")
    result, error = None, None
    try:
        result = services.connection_test(connection=connection, actor=request.user, request=request)
    except DomainError as exc:
        error = exc.detail
    connection.refresh_from_db()
    form = ConnectionForm(initial=_initial(connection), creating=False)
    return render(
        request,
        "schema_metadata/connection_form.html",
        _edit_context(request, project, connection, form, test_result=result, test_error=error),
    )


@require_POST
@role_required(Role.ADMIN)
def connection_delete(request, pk, cid):
    project = _project(request, pk)
    connection = _connection(request, project, cid) if project else None
    if connection is None:
        return not_found(request, "connection")
    services.connection_delete(connection=connection, actor=request.user, request=request)
    messages.success(request, f"Connection {connection.name} deleted.")
    return redirect("/app/databases/")


@require_POST
@role_required(Role.MEMBER)
@verified_required
@rate_limited("sql")
def connection_sync(request, pk, cid):
    project = _project(request, pk)
    connection = _connection(request, project, cid) if project else None
    if connection is None:
        return not_found(request, "connection")
    try:
        sync = services.sync_request(project=project, connection_id=connection.pk, actor=request.user, request=request)
        messages.info(request, f"Sync {sync.pk} queued: this page shows it when the worker is done.")
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect(f"/app/projects/{project.pk}/schema/?connection={connection.pk}")


@role_required(Role.VIEWER)
def schema_browser(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    try:
        connection = selectors.metadata_connection(project=project, connection_id=request.GET.get("connection"))
    except DomainError:
        return not_found(request, "connection")
    table_name = request.GET.get("table") or None
    schema_name = request.GET.get("schema") or None
    tables = list(selectors.metadata_tables(connection=connection))
    selected = None
    if table_name:
        selected = next((t for t in tables if t.name == table_name and (not schema_name or t.schema_name == schema_name)),
                        None)  # fmt: skip
    context = {
        "project": project,
        "connection": connection,
        "connections": selectors.connection_list(project=project),
        "tables": tables,
        "selected": selected,
        "syncs": list(selectors.sync_list(project=project, connection=connection)[:5]) if connection else [],
        "last_sync": selectors.last_successful_sync(connection=connection) if connection else None,
        "can_work": role_at_least(request.user.role, Role.MEMBER),
    }
    if selected is not None:
        kwargs = {"connection": connection, "table": selected.name, "schema": selected.schema_name}
        context["columns"] = selectors.metadata_columns(**kwargs)
        context["indexes"] = selectors.metadata_indexes(**kwargs)
        context["foreign_keys"] = selectors.metadata_foreign_keys(**kwargs)
    return render(request, "schema_metadata/schema.html", context)


MISESTIMATE_WARN = 2  # estimated and actual rows differ 2x: worth a look
MISESTIMATE_BAD = 10  # 10x: the planner is likely choosing a poor plan


def _misestimate_level(misestimate: dict | None) -> str:
    factor = (misestimate or {}).get("factor") or 1
    return "bad" if factor >= MISESTIMATE_BAD else "warn" if factor >= MISESTIMATE_WARN else "ok"


def _buffer_parts(buffers: dict) -> list[tuple[str, int]]:
    """("shared hit", 212), ... in the order EXPLAIN prints them, zeros left out."""
    names = [
        ("Shared Hit Blocks", "shared hit"), ("Shared Read Blocks", "shared read"),
        ("Shared Dirtied Blocks", "shared dirtied"), ("Shared Written Blocks", "shared written"),
        ("Local Hit Blocks", "local hit"), ("Local Read Blocks", "local read"),
        ("Temp Read Blocks", "temp read"), ("Temp Written Blocks", "temp written"),
    ]  # fmt: skip
    return [(label, buffers[key]) for key, label in names if buffers.get(key)]


def plan_rows(summary: dict) -> list[dict]:
    """The summary's nodes, ready to draw: indent, a share of time (or of cost when not analyzed)."""
    nodes = summary.get("nodes") or []
    root_cost = nodes[0]["total_cost"] if nodes else 0
    child_cost: dict[int, float] = {}
    for node in nodes:
        if node["parent_id"] is not None:
            child_cost[node["parent_id"]] = child_cost.get(node["parent_id"], 0.0) + node["total_cost"]
    rows = []
    for node in nodes:
        if node.get("time_share") is not None:
            share, basis = node["time_share"], "time"
        else:
            own = max(0.0, node["total_cost"] - child_cost.get(node["id"], 0.0))
            share, basis = (own / root_cost if root_cost else 0.0), "cost"
        misestimate = node.get("misestimate") or plan_insights_misestimate(node)
        rows.append(
            {
                **node,
                "indent": node["depth"] * 1.5,
                "share_pct": round(min(1.0, share) * 100, 1),
                "share_basis": basis,
                "misestimate": misestimate,
                "misestimate_level": _misestimate_level(misestimate),
                "buffer_parts": _buffer_parts(node.get("buffers") or {}),
                "details": {key: _detail_text(key, value) for key, value in node["details"].items()},
            }
        )
    return rows


_KILOBYTE_DETAILS = ("Sort Space Used", "Peak Memory Usage")


def _detail_text(key: str, value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if key in _KILOBYTE_DETAILS and isinstance(value, (int, float)):
        return f"{value:,.0f} kB"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def plan_insights_misestimate(node: dict) -> dict | None:
    """For analyses stored before the summary carried it: the factor from the rows themselves."""
    estimated, actual = node.get("estimated_rows") or 0, node.get("actual_rows")
    if actual is None:
        return None
    high, low = max(estimated, actual), max(min(estimated, actual), 1)
    return {"factor": round(high / low, 1), "direction": "under" if actual > estimated else "over"}


def plan_context(summary: dict, plan_json) -> dict:
    """What the plan partial draws: the nodes, the hotspots ranked, the raw plan as valid JSON."""
    return {
        "rows": plan_rows(summary),
        "hotspots": plan_insights.hotspots(summary),
        "raw_plan": json.dumps(plan_json, indent=2),
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.VIEWER)
@verified_required
@rate_limited("sql")
def explain_page(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    connections = list(selectors.connection_list(project=project))
    initial = {"analyze": True, "buffers": True, "query": request.GET.get("query", "")}
    form = ExplainForm(request.POST or None, connections=connections, initial=initial)
    analysis, status = None, 200
    if request.method == "POST":
        if not role_at_least(request.user.role, Role.MEMBER):
            messages.error(request, "Viewers cannot run queries; ask a member.")
        elif form.is_valid():
            try:
                chosen = services.resolve_connection(project=project, connection_id=form.cleaned_data["connection"])
                # The box asks for ANALYZE; a connection that forbids it gets a plain EXPLAIN.
                analysis = services.explain_query(
                    project=project,
                    connection_id=chosen.pk,
                    query=form.cleaned_data["query"],
                    analyze=form.cleaned_data["analyze"] and chosen.allow_analyze,
                    buffers=form.cleaned_data["buffers"],
                    actor=request.user,
                    request=request,
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
                status = exc.status_code
    return render(
        request,
        "schema_metadata/explain.html",
        {
            "project": project,
            "form": form,
            "analysis": analysis,
            **(plan_context(analysis.summary, analysis.plan) if analysis else {}),
            "same_query": _other_runs(analysis) if analysis else [],
            "history": selectors.analysis_list(project=project)[:10],
            "connections": connections,
        },
        status=status,
    )


def _other_runs(analysis) -> list:
    """Earlier and later analyses of the same query, to compare this one with."""
    if not analysis.fingerprint:
        return []
    return list(
        selectors.analysis_list(project=analysis.project)
        .filter(fingerprint=analysis.fingerprint)
        .exclude(pk=analysis.pk)[:10]
    )


@role_required(Role.VIEWER)
def analysis_detail(request, pk):
    try:
        analysis = selectors.analysis_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "analysis")
    connections = list(selectors.connection_list(project=analysis.project))
    form = ExplainForm(
        initial={"query": analysis.query, "connection": analysis.connection_id, "analyze": analysis.analyzed,
                 "buffers": True},
        connections=connections,
    )  # fmt: skip
    return render(
        request,
        "schema_metadata/explain.html",
        {
            "project": analysis.project,
            "form": form,
            "analysis": analysis,
            **plan_context(analysis.summary, analysis.plan),
            "same_query": _other_runs(analysis),
            "history": selectors.analysis_list(project=analysis.project)[:10],
            "connections": connections,
        },
    )


class PastePlanForm(forms.Form):
    plan = forms.CharField(
        label="Plan",
        max_length=5_000_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="The output of EXPLAIN (ANALYZE, BUFFERS), as text or FORMAT JSON. Nothing is run.",
    )
    compare_with = forms.CharField(
        label="Second plan of the same query (optional)",
        max_length=5_000_000,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="Paste the plan after a change (an index, new statistics) to compare them node by node.",
    )


def _pasted_or_error(form, field: str) -> dict | None:
    try:
        return selectors.pasted_plan_analysis(plan=form.cleaned_data[field])
    except DomainError as exc:
        form.add_error(field, exc.detail)
        return None


@require_http_methods(["GET", "POST"])
@role_required(Role.VIEWER)
def paste_plan_page(request):
    """Analyse a plan pasted from anywhere (psql, a log, another tool) without a connection."""
    form = PastePlanForm(request.POST or None)
    context: dict = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        first = _pasted_or_error(form, "plan")
        second = _pasted_or_error(form, "compare_with") if form.cleaned_data["compare_with"].strip() else None
        if first is not None:
            context.update(plan_context(first["summary"], first["plan"]), summary=first["summary"])
        if first is not None and second is not None:
            context["comparison"] = comparison_context(first["summary"], second["summary"])
        if form.errors:
            status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "schema_metadata/paste_plan.html", context, status=status)


def comparison_context(before: dict, after: dict) -> dict:
    comparison = selectors.plan_comparison(before=before, after=after)
    for row in comparison["rows"]:
        for side in ("before", "after"):
            node = row[side]
            if node is not None:
                node["misestimate"] = node.get("misestimate") or plan_insights_misestimate(node)
                node["misestimate_level"] = _misestimate_level(node["misestimate"])
    return comparison


@role_required(Role.VIEWER)
def compare_analyses_page(request):
    """Two stored analyses side by side, node by node (before and after an index, or two runs)."""
    try:
        before = selectors.analysis_get(org=request.user.organization, pk=request.GET.get("before"))
        after = selectors.analysis_get(org=request.user.organization, pk=request.GET.get("after"))
    except NotFound:
        return not_found(request, "analysis")
    context = {
        "before": before,
        "after": after,
        "project": after.project,
        "comparison": comparison_context(before.summary, after.summary),
        "same_query": before.fingerprint == after.fingerprint,
    }
    return render(request, "schema_metadata/compare.html", context)


@role_required(Role.VIEWER)
def sync_status(request, pk):
    """A sync's state for the page that polls it: {"text", "progress", "final"}."""
    try:
        sync = selectors.sync_get(org=request.user.organization, pk=pk)
    except NotFound:
        return JsonResponse({"detail": "Sync not found.", "code": "not_found"}, status=404)
    final = sync.status in (sync.Status.SUCCEEDED, sync.Status.FAILED)
    text = f"{sync.status}" + (f" · {sync.stage}" if sync.stage and not final else "")
    return JsonResponse({"status": sync.status, "text": text, "progress": sync.progress, "final": final})
