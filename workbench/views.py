"""Pages of the workbench: the SQL editor, the table browser and the index list."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from dbooster.errors import DomainError, NotFound
from dbooster.roles import Role, role_at_least
from organizations.page_access import not_found, role_required
from projects import selectors as project_selectors
from schema_metadata import selectors as schema_selectors
from schema_metadata.models import DbIndex, SchemaMetadata
from schema_metadata.services import resolve_connection
from workbench import ddl, selectors, services


def _project(request, pk):
    try:
        return project_selectors.project_get(org=request.user.organization, pk=pk)
    except NotFound:
        return None


def _connection(request, project):
    """The connection named by ?connection=, or the project's default; None when there is none."""
    value = request.GET.get("connection")
    try:
        return resolve_connection(project=project, connection_id=int(value) if value and value.isdigit() else None)
    except DomainError:
        return None


def _completion_tables(connection) -> dict[str, list[str]]:
    """{table: [columns]} from the synced metadata, for the editor's completion."""
    tables: dict[str, list[str]] = {}
    rows = SchemaMetadata.objects.filter(connection=connection).values_list("table_name", "column_name")
    for table, column in rows.order_by("table_name", "ordinal_position"):
        tables.setdefault(table, []).append(column)
    return tables


def _context(request, project, connection, **extra) -> dict:
    return {
        "project": project,
        "connection": connection,
        "connections": list(schema_selectors.connection_list(project=project)),
        "can_run": role_at_least(request.user.role, Role.MEMBER),
        **extra,
    }


@require_GET
@role_required(Role.VIEWER)
def workbench_home(request):
    projects = project_selectors.project_list(org=request.user.organization)
    return render(request, "workbench/home.html", {"projects": projects})


@require_GET
@role_required(Role.VIEWER)
def sql_editor(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    connection = _connection(request, project)
    context = _context(request, project, connection)
    context["config"] = {
        "page": "editor",
        "project": project.pk,
        "canRun": context["can_run"],
        "initial": request.GET.get("sql", ""),
        "tables": _completion_tables(connection) if connection else {},
    }
    context["writable"] = connection is not None and services.write_refusal(connection) is None
    return render(request, "workbench/editor.html", context)


@require_GET
@role_required(Role.VIEWER)
def table_list(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    connection = _connection(request, project)
    tables = selectors.table_list(connection=connection) if connection else []
    return render(request, "workbench/tables.html", _context(request, project, connection, tables=tables))


@require_GET
@role_required(Role.VIEWER)
def table_browser(request, pk, table):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    connection = _connection(request, project)
    if connection is None:
        return not_found(request, "connection")
    try:
        shape = selectors.table_shape(connection=connection, table=table, schema=request.GET.get("schema"))
    except NotFound:
        return not_found(request, "table")
    refusal = services.write_refusal(connection)
    editable = refusal is None and bool(shape.primary_key) and role_at_least(request.user.role, Role.MEMBER)
    context = _context(request, project, connection, shape=shape, refusal=refusal)
    context["is_admin"] = role_at_least(request.user.role, Role.ADMIN)
    context["sensitive"] = selectors.sensitive_in_table(connection=connection, shape=shape)
    context["config"] = {
        "page": "table",
        "project": project.pk,
        "connection": connection.pk,
        "schema": shape.schema,
        "table": shape.name,
        "primaryKey": shape.primary_key,
        "editable": editable,
    }
    return render(request, "workbench/table.html", context)


@require_GET
@role_required(Role.VIEWER)
def index_list(request, pk):
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    connection = _connection(request, project)
    listing, error = {"indexes": [], "stats_reset": None}, ""
    if connection is not None:
        try:
            listing = selectors.index_list(connection=connection)
        except DomainError as exc:
            error = exc.detail
    suggestions = list(selectors.advisor_index_suggestions(project=project))
    context = _context(request, project, connection, error=error, suggestions=suggestions, **listing)
    return render(request, "workbench/indexes.html", context)


def _builder_catalog(connection) -> dict:
    """The synced tables (with their columns) and indexes the builder's selects offer."""
    columns: dict[tuple[str, str], list[str]] = {}
    rows = SchemaMetadata.objects.filter(connection=connection).order_by(
        "schema_name", "table_name", "ordinal_position"
    )
    for schema, table, column in rows.values_list("schema_name", "table_name", "column_name"):
        columns.setdefault((schema, table), []).append(column)
    return {
        "tables": [{"schema": s, "name": t, "columns": c} for (s, t), c in sorted(columns.items())],
        "indexes": [
            {"schema": s, "name": n, "table": t}
            for s, n, t in DbIndex.objects.filter(connection=connection)
            .order_by("schema_name", "name")
            .values_list("schema_name", "name", "table_name")
        ],
    }


@require_GET
@role_required(Role.VIEWER)
def schema_builder(request, pk):
    """Build a schema change in a form, see its DDL and safety review as it is built, and propose it."""
    project = _project(request, pk)
    if project is None:
        return not_found(request, "project")
    connection = _connection(request, project)
    context = _context(request, project, connection)
    context["config"] = {
        "page": "builder",
        "project": project.pk,
        "connection": connection.pk if connection else None,
        "canPropose": context["can_run"],
        "actions": list(ddl.ACTIONS),
        "operations": list(ddl.OPERATIONS),
        "constraintTypes": list(ddl.CONSTRAINT_TYPES),
        "referentialActions": list(ddl.REFERENTIAL_ACTIONS),
        "indexMethods": list(ddl.INDEX_METHODS),
        "initial": {key: request.GET.get(key, "") for key in ("action", "table", "schema", "name")},
        **(_builder_catalog(connection) if connection else {"tables": [], "indexes": []}),
    }
    return render(request, "workbench/builder.html", context)
