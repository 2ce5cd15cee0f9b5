"""Pages of the target-databases app: connections, the schema browser, the explain page.

The same services and rules as the API; the session signs the user in instead of a token.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dbooster.errors import DomainError, NotFound
from dbooster.ratelimit import rate_limited
from dbooster.roles import Role, role_at_least
from dbooster.verified import verified_required
from organizations.page_access import not_found, role_required
from projects import selectors as project_selectors
from schema_metadata import selectors, services
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
    return render(request, "schema_metadata/connection_form.html", {"form": form, "project": project, "creating": True})


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
        estimated, actual = node.get("estimated_rows") or 0, node.get("actual_rows")
        off = None
        if actual is not None:
            high, low = max(estimated, actual), max(min(estimated, actual), 1)
            off = high / low
        rows.append(
            {
                **node,
                "indent": node["depth"] * 1.5,
                "share_pct": round(min(1.0, share) * 100, 1),
                "share_basis": basis,
                "misestimate": off is not None and off >= 10,
                "details": {
                    k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in node["details"].items()
                },
            }
        )
    return rows


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
            "rows": plan_rows(analysis.summary) if analysis else [],
            "history": selectors.analysis_list(project=project)[:10],
            "connections": connections,
        },
        status=status,
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
            "rows": plan_rows(analysis.summary),
            "history": selectors.analysis_list(project=analysis.project)[:10],
            "connections": connections,
        },
    )
