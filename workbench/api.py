"""API of the workbench: the SQL editor and its history and snippets, tables and rows, indexes, schema changes."""

from __future__ import annotations

import csv
import io
import json

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import ProposalSerializer, UserBriefSerializer
from audit.api import csv_safe
from dbooster.api import paginated_list, paginated_response
from dbooster.errors import InvalidInput, PermissionDenied
from dbooster.openapi import error_responses
from dbooster.permissions import OrganizationRole
from dbooster.roles import Role
from projects.selectors import project_get
from schema_metadata.services import resolve_connection
from workbench import runner, selectors, services, tables
from workbench.models import Snippet, SqlRun

TAGS = ["workbench"]
CONNECTION_PARAM = OpenApiParameter("connection", int, description="Default: the project's default connection.")
SCHEMA_PARAM = OpenApiParameter("schema", str, description="The table's schema when its name is not unique.")
TABLE_PARAMS = [CONNECTION_PARAM, SCHEMA_PARAM]

# --- serializers ----------------------------------------------------------------------------


def _row_cap_field() -> serializers.IntegerField:
    """At most this many rows, up to the server's cap (WORKBENCH_ROW_CAP); none: the cap."""
    return serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=services.row_cap_limit(),
        help_text="At most this many rows (the server's cap when absent).",
    )  # fmt: skip


class RunRequestSerializer(serializers.Serializer):
    sql = serializers.CharField(trim_whitespace=False, max_length=100_000)
    connection = serializers.IntegerField(required=False, allow_null=True, default=None)
    commit = serializers.BooleanField(
        required=False, default=False, help_text="Commit a data change (writable development/staging connections)."
    )
    row_cap = _row_cap_field()
    page_size = serializers.IntegerField(required=False, default=100, min_value=1, max_value=1000)
    page = serializers.IntegerField(required=False, default=1, min_value=1)
    sort_column = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0,
        help_text="Read-only statements: order the result by this column (from 0), in the database.",
    )  # fmt: skip
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="asc")
    timeout_ms = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=settings.TARGET_STATEMENT_TIMEOUT_MS,
        help_text="A statement timeout lower than the server's (TARGET_STATEMENT_TIMEOUT_MS).",
    )  # fmt: skip


class PageRequestSerializer(serializers.Serializer):
    row_cap = _row_cap_field()
    page_size = serializers.IntegerField(required=False, default=100, min_value=1, max_value=1000)
    page = serializers.IntegerField(required=False, default=1, min_value=1)
    sort_column = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)
    sort_order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="asc")


class RerunRequestSerializer(PageRequestSerializer):
    commit = serializers.BooleanField(required=False, default=False)


class ExportRequestSerializer(serializers.Serializer):
    sql = serializers.CharField(trim_whitespace=False, max_length=100_000)
    connection = serializers.IntegerField(required=False, allow_null=True, default=None)
    format = serializers.ChoiceField(choices=["csv", "json"], default="csv")
    row_cap = _row_cap_field()


class SqlRunSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = SqlRun
        fields = [
            "id", "project", "connection", "user", "sql", "fingerprint", "statement_kind", "status", "error_code",
            "error_message", "error_position", "row_count", "truncated", "committed", "duration_ms", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


ColumnSerializer = inline_serializer(
    "ResultColumn",
    {"name": serializers.CharField(), "type": serializers.CharField(), "masked": serializers.BooleanField()},
)
RunResultSerializer = inline_serializer(
    "SqlRunResult",
    {
        "run": SqlRunSerializer(),
        "columns": serializers.ListField(child=ColumnSerializer),
        "rows": serializers.ListField(child=serializers.ListField(child=serializers.JSONField())),
        "row_count": serializers.IntegerField(),
        "truncated": serializers.BooleanField(),
        "row_cap": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "pages": serializers.IntegerField(),
        "committed": serializers.BooleanField(),
        "notices": serializers.ListField(child=serializers.CharField()),
        "duration_ms": serializers.FloatField(),
    },
)


class SnippetSerializer(serializers.ModelSerializer):
    created_by = UserBriefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Snippet
        fields = ["id", "project", "name", "sql", "description", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "project", "created_by", "created_at", "updated_at"]


class SnippetInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    sql = serializers.CharField(trim_whitespace=False, max_length=100_000)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class SnippetUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    sql = serializers.CharField(trim_whitespace=False, max_length=100_000, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class SchemaChangePreviewSerializer(serializers.Serializer):
    sql = serializers.CharField(
        trim_whitespace=False, max_length=100_000, required=False, allow_null=True, default=None,
        help_text="DDL text. Send this or change.",
    )  # fmt: skip
    change = serializers.JSONField(
        required=False, allow_null=True, default=None,
        help_text="A structured change built into DDL: {action: create_table|alter_table|drop_table|rename_table|"
        "create_index|drop_index|rename_index, table, schema, columns, operations, ...} (see docs/workbench.md).",
    )  # fmt: skip
    connection = serializers.IntegerField(required=False, allow_null=True, default=None)


class SchemaChangeSerializer(SchemaChangePreviewSerializer):
    reason = serializers.CharField(max_length=4000)


SchemaChangePreviewResultSerializer = inline_serializer(
    "SchemaChangePreview",
    {
        "kind": serializers.ChoiceField(choices=["ddl", "index"]),
        "sql": serializers.CharField(),
        "statements": serializers.ListField(child=serializers.CharField()),
        "safety_review": serializers.DictField(),
    },
)


class RowWriteSerializer(serializers.Serializer):
    connection = serializers.IntegerField(required=False, allow_null=True, default=None)
    key = serializers.DictField(required=False, default=dict, help_text="The primary key columns and their values.")
    values = serializers.DictField(required=False, default=dict, help_text="Column values to write.")


TableSerializer = inline_serializer(
    "WorkbenchTable",
    {
        "schema": serializers.CharField(),
        "name": serializers.CharField(),
        "kind": serializers.CharField(),
        "row_estimate": serializers.IntegerField(allow_null=True),
        "size_bytes": serializers.IntegerField(allow_null=True),
        "has_primary_key": serializers.BooleanField(),
        "comment": serializers.CharField(),
    },
)
TableRowsSerializer = inline_serializer(
    "TableRows",
    {
        "schema": serializers.CharField(),
        "table": serializers.CharField(),
        "primary_key": serializers.ListField(child=serializers.CharField()),
        "editable": serializers.BooleanField(),
        "read_only_reason": serializers.CharField(allow_null=True),
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.ListField(child=serializers.JSONField())),
        "has_more": serializers.BooleanField(),
        "masked_columns": serializers.ListField(child=serializers.CharField()),
        "next_after": serializers.ListField(child=serializers.JSONField(), allow_null=True),
        "next_offset": serializers.IntegerField(allow_null=True),
    },
)
TableSchemaSerializer = inline_serializer(
    "TableSchema",
    {
        "schema": serializers.CharField(),
        "name": serializers.CharField(),
        "primary_key": serializers.ListField(child=serializers.CharField()),
        "editable": serializers.BooleanField(),
        "columns": serializers.ListField(child=serializers.DictField()),
        "constraints": serializers.ListField(child=serializers.DictField()),
        "indexes": serializers.ListField(child=serializers.DictField()),
        "foreign_keys_out": serializers.ListField(child=serializers.DictField()),
        "foreign_keys_in": serializers.ListField(child=serializers.DictField()),
    },
)
RowKeySerializer = inline_serializer("RowKey", {"key": serializers.DictField()})
IndexSerializer = inline_serializer(
    "WorkbenchIndex",
    {
        "name": serializers.CharField(),
        "schema": serializers.CharField(),
        "table": serializers.CharField(),
        "definition": serializers.CharField(),
        "size_bytes": serializers.IntegerField(allow_null=True),
        "scans": serializers.IntegerField(allow_null=True),
        "valid": serializers.BooleanField(),
        "unique": serializers.BooleanField(),
        "primary": serializers.BooleanField(),
        "unused": serializers.BooleanField(),
        "duplicate_of": serializers.CharField(allow_null=True),
        "stats_reset": serializers.CharField(allow_null=True, required=False),
    },
)
IndexListSerializer = inline_serializer(
    "WorkbenchIndexList",
    {"stats_reset": serializers.CharField(allow_null=True), "indexes": serializers.ListField(child=IndexSerializer)},
)

# --- helpers ----------------------------------------------------------------------------------


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _int_param(request, name: str, default=None):
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name}: expected a whole number.", code=f"invalid_{name}") from None


def _page(values: dict) -> runner.Page:
    return runner.Page(
        number=values["page"],
        size=values["page_size"],
        sort_column=values["sort_column"],
        descending=values["sort_order"] == "desc",
    )


def _run_body(run: SqlRun, result: dict, *, page: runner.Page) -> dict:
    return {
        "run": SqlRunSerializer(run).data,
        "columns": result["columns"],
        "rows": result["rows"],
        "row_count": result["row_count"],
        "truncated": result["truncated"],
        "row_cap": result["row_cap"],
        "page": page.number,
        "page_size": page.size,
        "pages": max(1, -(-result["row_count"] // page.size)),
        "committed": result["committed"],
        "notices": result["notices"],
        "duration_ms": result["duration_ms"],
    }


class _ProjectView(APIView):
    permission_classes = [OrganizationRole]

    def project(self, request, pk):
        return project_get(org=request.user.organization, pk=pk)

    def connection(self, request, project):
        return resolve_connection(project=project, connection_id=_int_param(request, "connection"))


# --- SQL editor --------------------------------------------------------------------------------


class SqlRunView(_ProjectView):
    @extend_schema(
        request=RunRequestSerializer,
        responses={200: RunResultSerializer, **error_responses(422, 504)},
        tags=TAGS,
        description="Run ONE statement through the SQL guard. Production and read-only connections: read-only "
        "statements in a READ ONLY transaction. Writable development/staging connections: data changes are "
        "rolled back unless commit=true. DDL answers 409: propose it under /projects/{id}/schema-changes.",
    )
    def post(self, request, pk):
        values = _valid(RunRequestSerializer, request.data)
        run, result = services.sql_run(
            project=self.project(request, pk),
            actor=request.user,
            sql=values["sql"],
            connection_id=values["connection"],
            commit=values["commit"],
            row_cap=values["row_cap"],
            timeout_ms=values["timeout_ms"],
            page=_page(values),
            request=request,
        )
        return Response(_run_body(run, result, page=_page(values)))


class SqlHistoryView(_ProjectView):
    @paginated_list(SqlRunSerializer, tags=TAGS)
    def get(self, request, pk):
        runs = selectors.run_list(project=self.project(request, pk))
        return paginated_response(runs, SqlRunSerializer, request, self)


class SqlHistoryDetailView(_ProjectView):
    @extend_schema(responses={200: SqlRunSerializer}, tags=TAGS)
    def get(self, request, pk, rid):
        return Response(SqlRunSerializer(selectors.run_get(project=self.project(request, pk), pk=rid)).data)


class SqlRerunView(_ProjectView):
    @extend_schema(request=RerunRequestSerializer, responses={200: RunResultSerializer}, tags=TAGS)
    def post(self, request, pk, rid):
        values = _valid(RerunRequestSerializer, request.data)
        previous = selectors.run_get(project=self.project(request, pk), pk=rid)
        run, result = services.sql_rerun(
            run=previous,
            actor=request.user,
            commit=values["commit"],
            row_cap=values["row_cap"],
            page=_page(values),
            request=request,
        )
        return Response(_run_body(run, result, page=_page(values)))


class SqlPageView(_ProjectView):
    @extend_schema(
        request=PageRequestSerializer,
        responses={200: RunResultSerializer},
        tags=TAGS,
        description="Another page, or another order, of a read-only run's result: the statement is run again "
        "read-only through the guard (ordered in the database when sort_column is given) and only that page "
        "is returned. Not a new run: the history is unchanged.",
    )
    def post(self, request, pk, rid):
        values = _valid(PageRequestSerializer, request.data)
        run = selectors.run_get(project=self.project(request, pk), pk=rid)
        result = services.sql_page(run=run, actor=request.user, page=_page(values), row_cap=values["row_cap"])
        return Response(_run_body(run, result, page=_page(values)))


def _csv_body(result: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(c["name"]) for c in result["columns"]])
    for row in result["rows"]:
        writer.writerow([csv_safe(json.dumps(v) if isinstance(v, (dict, list)) else v) for v in row])
    return out.getvalue()


class SqlExportView(_ProjectView):
    @extend_schema(
        request=ExportRequestSerializer,
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.OBJECT},
        tags=TAGS,
        description="Run a read-only statement and download its rows as CSV (formula cells defused) or JSON.",
    )
    def post(self, request, pk):
        values = _valid(ExportRequestSerializer, request.data)
        result = services.sql_export_rows(
            project=self.project(request, pk),
            actor=request.user,
            sql=values["sql"],
            connection_id=values["connection"],
            row_cap=values["row_cap"],
            request=request,
        )
        if values["format"] == "json":
            names = [c["name"] for c in result["columns"]]
            body = json.dumps(
                {"columns": result["columns"], "rows": [dict(zip(names, r, strict=True)) for r in result["rows"]]}
            )
            response = HttpResponse(body, content_type="application/json")
        else:
            response = HttpResponse(_csv_body(result), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="result.{values["format"]}"'
        return response


class SnippetListView(_ProjectView):
    @paginated_list(SnippetSerializer, tags=TAGS)
    def get(self, request, pk):
        return paginated_response(
            selectors.snippet_list(project=self.project(request, pk)), SnippetSerializer, request, self
        )

    @extend_schema(request=SnippetInputSerializer, responses={201: SnippetSerializer}, tags=TAGS)
    def post(self, request, pk):
        values = _valid(SnippetInputSerializer, request.data)
        snippet = services.snippet_create(
            project=self.project(request, pk), actor=request.user, request=request, **values
        )
        return Response(SnippetSerializer(snippet).data, status=status.HTTP_201_CREATED)


class SnippetDetailView(_ProjectView):
    def snippet(self, request, pk, sid):
        return selectors.snippet_get(project=self.project(request, pk), pk=sid)

    @extend_schema(responses={200: SnippetSerializer}, tags=TAGS)
    def get(self, request, pk, sid):
        return Response(SnippetSerializer(self.snippet(request, pk, sid)).data)

    @extend_schema(request=SnippetUpdateSerializer, responses={200: SnippetSerializer}, tags=TAGS)
    def patch(self, request, pk, sid):
        values = _valid(SnippetUpdateSerializer, request.data)
        snippet = services.snippet_update(
            snippet=self.snippet(request, pk, sid), actor=request.user, request=request, **values
        )
        return Response(SnippetSerializer(snippet).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, pk, sid):
        services.snippet_delete(snippet=self.snippet(request, pk, sid), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchemaChangeView(_ProjectView):
    @extend_schema(
        request=SchemaChangeSerializer,
        responses={201: ProposalSerializer},
        tags=TAGS,
        description="Propose DDL (create/alter/drop a table, column, constraint or index) for approval: DDL text "
        "in sql, or a structured change (see /schema-changes/preview) built into DDL with identifiers quoted.",
    )
    def post(self, request, pk):
        values = _valid(SchemaChangeSerializer, request.data)
        proposal = services.schema_change_propose(
            project=self.project(request, pk),
            actor=request.user,
            sql=values["sql"],
            change=values["change"],
            reason=values["reason"],
            connection_id=values["connection"],
            request=request,
        )
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class SchemaChangePreviewView(_ProjectView):
    write_role = Role.VIEWER  # a POST that stores nothing: anyone who can read the schema may preview

    @extend_schema(
        request=SchemaChangePreviewSerializer,
        responses={200: SchemaChangePreviewResultSerializer},
        tags=TAGS,
        description="The DDL of a change (text, or built from a structured change) and its migration-safety "
        "review, as a proposal would carry them; nothing is stored.",
    )
    def post(self, request, pk):
        values = _valid(SchemaChangePreviewSerializer, request.data)
        project = self.project(request, pk)
        connection = resolve_connection(project=project, connection_id=values["connection"])
        return Response(
            selectors.schema_change_preview(
                project=project, connection=connection, sql=values["sql"], change=values["change"]
            )
        )


# --- tables and rows -----------------------------------------------------------------------------


class TableListView(_ProjectView):
    @extend_schema(
        parameters=[CONNECTION_PARAM], responses={200: serializers.ListSerializer(child=TableSerializer)}, tags=TAGS
    )
    def get(self, request, pk):
        connection = self.connection(request, self.project(request, pk))
        return Response(selectors.table_list(connection=connection))


_ROW_PARAMS = [
    *TABLE_PARAMS,
    OpenApiParameter("limit", int, description="Rows per page (1-500, default 50)."),
    OpenApiParameter("sort", str, description="Sort column (default: the primary key)."),
    OpenApiParameter("order", str, enum=["asc", "desc"]),
    OpenApiParameter(
        "after", str, description="Keyset cursor: next_after of the previous page, as JSON (sort column, then key)."
    ),
    OpenApiParameter("offset", int, description="Tables without a primary key only: rows to skip."),
    OpenApiParameter("filter_column", str),
    OpenApiParameter("filter_op", str, enum=list(tables.ALL_OPS)),
    OpenApiParameter("filter_value", str),
]


class _TableView(_ProjectView):
    def table(self, request, pk, table):
        connection = self.connection(request, self.project(request, pk))
        shape = selectors.table_shape(connection=connection, table=table, schema=request.query_params.get("schema"))
        return connection, shape


def _cursor(value):
    if not value:
        return None
    try:
        cursor = json.loads(value)
    except ValueError:
        raise InvalidInput(
            "after: expected a JSON list (next_after of the previous page).", code="invalid_cursor"
        ) from None
    if not isinstance(cursor, list):
        raise InvalidInput("after: expected a JSON list.", code="invalid_cursor")
    return cursor


class TableRowsView(_TableView):
    @extend_schema(parameters=_ROW_PARAMS, responses={200: TableRowsSerializer}, tags=TAGS)
    def get(self, request, pk, table):
        connection, shape = self.table(request, pk, table)
        params = request.query_params
        masked = _masked_columns(request.user, connection, shape)
        for name in ("sort", "filter_column"):
            if params.get(name) in masked:
                raise PermissionDenied(
                    f"{name}: the column {params[name]!r} is marked sensitive; only an admin sorts or filters by it.",
                    code="sensitive_column",
                )
        limit = _int_param(request, "limit", 50)
        if not 1 <= limit <= 500:
            raise InvalidInput("limit: between 1 and 500.", code="invalid_limit")
        offset = _int_param(request, "offset", 0)
        query, args = tables.select_page(
            shape,
            limit=limit,
            sort=params.get("sort") or None,
            descending=params.get("order") == "desc",
            after=_cursor(params.get("after")),
            offset=offset,
            filter_column=params.get("filter_column") or None,
            filter_op=params.get("filter_op") or "eq",
            filter_value=params.get("filter_value"),
        )
        page = selectors.table_rows(
            connection=connection,
            shape=shape,
            query=query,
            params=args,
            limit=limit,
            cursor_columns=tables.cursor_columns(shape, params.get("sort") or None),
        )
        keyset = bool(shape.primary_key)
        refusal = services.write_refusal(connection) or (
            None if shape.primary_key else "The table has no primary key: its rows are read-only."
        )
        return Response(
            {
                "schema": shape.schema,
                "table": shape.name,
                "primary_key": shape.primary_key,
                "editable": refusal is None,
                "read_only_reason": refusal,
                "columns": page["columns"],
                "rows": _mask_rows(page["columns"], page["rows"], masked),
                "masked_columns": sorted(masked),
                "has_more": page["has_more"],
                "next_after": page["next_after"] if keyset and page["has_more"] else None,
                "next_offset": offset + limit if not keyset and page["has_more"] else None,
            }
        )


def _masked_columns(user, connection, shape) -> set[str]:
    """Sensitive columns shown masked to `user` (below admin); a primary-key column stays shown: it is the
    row's identity, which paging and editing need."""
    if selectors.sees_sensitive_values(user):
        return set()
    return set(selectors.sensitive_in_table(connection=connection, shape=shape)) - set(shape.primary_key)


def _mask_rows(columns: list[str], rows: list[list], masked: set[str]) -> list[list]:
    positions = {i for i, name in enumerate(columns) if name in masked}
    return [[runner.MASK if i in positions else v for i, v in enumerate(row)] for row in rows]


class SensitiveColumnsInputSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField(max_length=63), max_length=1600)


SensitiveColumnsSerializer = inline_serializer(
    "SensitiveColumns",
    {
        "schema": serializers.CharField(),
        "table": serializers.CharField(),
        "columns": serializers.ListField(child=serializers.CharField()),
    },
)
SensitiveColumnSerializer = inline_serializer(
    "SensitiveColumn",
    {"schema": serializers.CharField(), "table": serializers.CharField(), "column": serializers.CharField()},
)


class TableSensitiveColumnsView(_TableView):
    """The table's columns marked sensitive: everyone reads the list, an admin sets it."""

    write_role = Role.ADMIN

    @extend_schema(parameters=TABLE_PARAMS, responses={200: SensitiveColumnsSerializer}, tags=TAGS)
    def get(self, request, pk, table):
        connection, shape = self.table(request, pk, table)
        columns = sorted(selectors.sensitive_in_table(connection=connection, shape=shape))
        return Response({"schema": shape.schema, "table": shape.name, "columns": columns})

    @extend_schema(
        parameters=TABLE_PARAMS,
        request=SensitiveColumnsInputSerializer,
        responses={200: SensitiveColumnsSerializer},
        tags=TAGS,
        description="Mark exactly these columns sensitive (admins). Below admin their values are masked in the "
        "table browser and the SQL grid; they never reach the audit log (a sensitive key column is logged as "
        "its SHA-256) nor, through the assistant, a model.",
    )
    def put(self, request, pk, table):
        values = _valid(SensitiveColumnsInputSerializer, request.data)
        connection, shape = self.table(request, pk, table)
        columns = services.sensitive_columns_set(
            connection=connection, shape=shape, columns=values["columns"], actor=request.user, request=request
        )
        return Response({"schema": shape.schema, "table": shape.name, "columns": columns})


class SensitiveColumnListView(_ProjectView):
    @extend_schema(
        parameters=[CONNECTION_PARAM],
        responses={200: serializers.ListSerializer(child=SensitiveColumnSerializer)},
        tags=TAGS,
        description="Every column marked sensitive on the connection: what the assistant keeps from a model.",
    )
    def get(self, request, pk):
        connection = self.connection(request, self.project(request, pk))
        return Response(
            [
                {"schema": schema, "table": table, "column": column}
                for schema, table, column in sorted(selectors.sensitive_columns(connection=connection))
            ]
        )


class TableSchemaView(_TableView):
    @extend_schema(parameters=TABLE_PARAMS, responses={200: TableSchemaSerializer}, tags=TAGS)
    def get(self, request, pk, table):
        connection, shape = self.table(request, pk, table)
        return Response(selectors.table_schema(connection=connection, shape=shape))


def _row_write_schema(status_code: int):
    return extend_schema(
        parameters=TABLE_PARAMS, request=RowWriteSerializer, responses={status_code: RowKeySerializer}, tags=TAGS
    )


class TableRowWriteView(_TableView):
    """Insert, update and delete one row by primary key on a connection that allows writes."""

    def _write(self, request, pk, table, service, fields: tuple[str, ...]) -> dict:
        values = _valid(RowWriteSerializer, request.data)
        connection = resolve_connection(
            project=self.project(request, pk), connection_id=values["connection"] or _int_param(request, "connection")
        )
        shape = selectors.table_shape(connection=connection, table=table, schema=request.query_params.get("schema"))
        given = {name: values[name] for name in fields}
        return service(connection=connection, shape=shape, actor=request.user, request=request, **given)

    @_row_write_schema(201)
    def post(self, request, pk, table):
        key = self._write(request, pk, table, services.row_insert, ("values",))
        return Response({"key": key}, status=status.HTTP_201_CREATED)

    @_row_write_schema(200)
    def patch(self, request, pk, table):
        return Response({"key": self._write(request, pk, table, services.row_update, ("key", "values"))})

    @_row_write_schema(200)
    def delete(self, request, pk, table):
        return Response({"key": self._write(request, pk, table, services.row_delete, ("key",))})


# --- indexes -------------------------------------------------------------------------------------


class IndexListView(_ProjectView):
    @extend_schema(
        parameters=[CONNECTION_PARAM],
        responses={200: IndexListSerializer},
        tags=TAGS,
        operation_id="projects_indexes_list",
    )
    def get(self, request, pk):
        connection = self.connection(request, self.project(request, pk))
        return Response(selectors.index_list(connection=connection))


class IndexDetailView(_ProjectView):
    @extend_schema(parameters=[CONNECTION_PARAM], responses={200: IndexSerializer}, tags=TAGS)
    def get(self, request, pk, name):
        connection = self.connection(request, self.project(request, pk))
        return Response(selectors.index_get(connection=connection, name=name))
