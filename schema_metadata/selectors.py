"""Reads of the target-databases app, always scoped to an organization (another tenant gets 404)."""

from __future__ import annotations

from dbooster.composed import ComposedQuery
from dbooster.errors import InvalidInput, NotFound
from projects.selectors import project_get
from schema_metadata import plan as plan_analyser
from schema_metadata import plan_insights, plan_text
from schema_metadata.models import (
    DatabaseConnection,
    DbForeignKey,
    DbIndex,
    DbTable,
    QueryAnalysis,
    SchemaMetadata,
    SchemaSync,
)


def connection_list(*, project):
    return (
        DatabaseConnection.objects.filter(project=project)
        .select_related("project")
        .order_by("-is_default", "name", "id")
    )


# Read on every optimization of a project: composed once (dbooster.composed). At most one row: a project has one
# default connection (the model's constraint), so no ordering is needed.
_DEFAULT_CONNECTION = ComposedQuery(
    lambda project_id: DatabaseConnection.objects.filter(project_id=project_id, is_default=True).order_by()[:1],
    project_id=-7_301_001,
)


def default_connection(*, project) -> DatabaseConnection | None:
    """The project's default connection, if it has one (the project was read in the caller's organization)."""
    found = _DEFAULT_CONNECTION.instances(project_id=project.pk)
    return found[0] if found else None


def connection_in_org(*, org, pk, project=None) -> DatabaseConnection:
    """A connection of any project in `org` (of `project` when given); another tenant's is a 404."""
    qs = DatabaseConnection.objects.select_related("project").filter(project__organization=org)
    if project is not None:
        qs = qs.filter(project=project)
    try:
        return qs.get(pk=pk)
    except (DatabaseConnection.DoesNotExist, ValueError, TypeError):
        raise NotFound("Connection not found.") from None


def connection_get(*, project, pk) -> DatabaseConnection:
    try:
        return DatabaseConnection.objects.select_related("project__organization").get(project=project, pk=pk)
    except (DatabaseConnection.DoesNotExist, ValueError, TypeError):
        raise NotFound("Connection not found.") from None


def sync_get(*, org, pk) -> SchemaSync:
    try:
        return SchemaSync.objects.select_related("connection", "project").get(project__organization=org, pk=pk)
    except (SchemaSync.DoesNotExist, ValueError, TypeError):
        raise NotFound("Sync not found.") from None


def sync_list(*, project, connection=None):
    qs = SchemaSync.objects.filter(project=project).select_related("connection")
    if connection is not None:
        qs = qs.filter(connection=connection)
    return qs.order_by("-created_at", "-id")


def last_successful_sync(*, connection) -> SchemaSync | None:
    return (
        SchemaSync.objects.filter(connection=connection, status=SchemaSync.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def project_from_param(*, org, value) -> object:
    """The project named by a query parameter or body field, with clear errors."""
    if value in (None, ""):
        raise InvalidInput("Name the project: ?project=<id>.", code="project_required")
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"project must be a project id (a number), not {value!r}.", code="invalid") from None
    return project_get(org=org, pk=pk)


def metadata_connection(*, project, connection_id=None) -> DatabaseConnection | None:
    """The connection whose snapshot to show: the given one, else the project's default."""
    if connection_id not in (None, ""):
        try:
            return connection_get(project=project, pk=int(connection_id))
        except ValueError:
            raise InvalidInput("connection must be a connection id (a number).", code="invalid") from None
    qs = DatabaseConnection.objects.filter(project=project)
    return qs.filter(is_default=True).first() or qs.order_by("created_at", "id").first()


def _filtered(qs, *, table=None, schema=None, table_field="table_name"):
    if table:
        # "schema.table" or a bare table name.
        if "." in table and not schema:
            schema, table = table.split(".", 1)
        qs = qs.filter(**{table_field: table})
    if schema:
        qs = qs.filter(schema_name=schema)
    return qs


def metadata_columns(*, connection, table=None, schema=None):
    if connection is None:
        return SchemaMetadata.objects.none()
    qs = SchemaMetadata.objects.filter(connection=connection)
    return _filtered(qs, table=table, schema=schema).order_by("schema_name", "table_name", "ordinal_position", "id")


def metadata_tables(*, connection, table=None, schema=None):
    if connection is None:
        return DbTable.objects.none()
    qs = DbTable.objects.filter(connection=connection)
    return _filtered(qs, table=table, schema=schema, table_field="name").order_by("schema_name", "name")


def metadata_indexes(*, connection, table=None, schema=None):
    if connection is None:
        return DbIndex.objects.none()
    qs = DbIndex.objects.filter(connection=connection)
    return _filtered(qs, table=table, schema=schema).order_by("schema_name", "table_name", "name")


def metadata_foreign_keys(*, connection, table=None, schema=None):
    if connection is None:
        return DbForeignKey.objects.none()
    qs = DbForeignKey.objects.filter(connection=connection)
    return _filtered(qs, table=table, schema=schema).order_by("schema_name", "table_name", "name")


def analysis_list(*, project):
    return QueryAnalysis.objects.filter(project=project).select_related("connection").order_by("-created_at", "-id")


def analysis_get(*, org, pk) -> QueryAnalysis:
    try:
        return QueryAnalysis.objects.select_related("connection", "project").get(project__organization=org, pk=pk)
    except (QueryAnalysis.DoesNotExist, ValueError, TypeError):
        raise NotFound("Query analysis not found.") from None


def pasted_plan_analysis(*, plan, foreign_keys=None, table_rows=None) -> dict:
    """A pasted plan (JSON or text) read without any connection: the plan as JSON, its summary, its hotspots."""
    try:
        plan_json = plan_text.load(plan)
        summary = plan_analyser.summarize(plan_json, foreign_keys=foreign_keys, table_rows=table_rows)
    except plan_text.PlanTextError as exc:
        raise InvalidInput(str(exc), code="invalid_plan") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidInput(f"This is not an EXPLAIN plan: {exc}.", code="invalid_plan") from None
    return {"plan": plan_json, "summary": summary, "hotspots": plan_insights.hotspots(summary)}


def plan_comparison(*, before: dict, after: dict) -> dict:
    """Two plan summaries of one query side by side (see plan_insights.compare)."""
    return plan_insights.compare(before, after)
