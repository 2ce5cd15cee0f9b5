"""API of the target-databases app: connections, schema sync and metadata, EXPLAIN."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import paginated_list, paginated_response
from dbooster.errors import InvalidInput, NotFound
from dbooster.permissions import OrganizationRole
from dbooster.ratelimit import RateLimit
from dbooster.roles import Role
from dbooster.verified import VerifiedEmail
from projects import selectors as project_selectors
from projects.selectors import project_or_sole
from schema_metadata import explain as explain_engine
from schema_metadata import selectors, services
from schema_metadata.models import (
    DatabaseConnection,
    DbForeignKey,
    DbIndex,
    DbTable,
    QueryAnalysis,
    SchemaMetadata,
    SchemaSync,
)

# --- serializers ----------------------------------------------------------------------


class ConnectionSerializer(serializers.ModelSerializer):
    """A connection as the API shows it: the URL only ever masked."""

    masked_url = serializers.CharField(read_only=True)
    role_warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Risks of the role, from the last test."
    )

    class Meta:
        model = DatabaseConnection
        fields = [
            "id", "project", "name", "engine", "masked_url", "environment", "allow_analyze", "allow_dml_analyze",
            "read_only", "is_default", "last_tested_at", "last_test_ok", "role_warnings", "last_synced_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ConnectionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    url = serializers.CharField(max_length=4000, write_only=True, trim_whitespace=True)
    engine = serializers.ChoiceField(
        choices=["postgresql"],
        required=False,
        default="postgresql",
        error_messages={"invalid_choice": "Engine {input!r} is not supported yet; only 'postgresql' is."},
    )
    environment = serializers.ChoiceField(
        choices=DatabaseConnection.Environment.choices, required=False, default="development"
    )
    allow_analyze = serializers.BooleanField(required=False, default=True)
    allow_dml_analyze = serializers.BooleanField(required=False, default=False)
    read_only = serializers.BooleanField(required=False, default=True)
    is_default = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("The name cannot be blank.")
        return value


class ConnectionUpdateSerializer(ConnectionInputSerializer):
    name = serializers.CharField(max_length=200, required=False)
    url = serializers.CharField(max_length=4000, write_only=True, required=False)
    engine = serializers.ChoiceField(
        choices=["postgresql"],
        required=False,
        error_messages={"invalid_choice": "Engine {input!r} is not supported yet; only 'postgresql' is."},
    )
    environment = serializers.ChoiceField(choices=DatabaseConnection.Environment.choices, required=False)
    allow_analyze = serializers.BooleanField(required=False)
    allow_dml_analyze = serializers.BooleanField(required=False)
    read_only = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)


ExtensionSerializer = inline_serializer(
    "ExtensionStatus",
    {
        "installed": serializers.BooleanField(),
        "installed_version": serializers.CharField(allow_null=True),
        "available": serializers.BooleanField(),
        "default_version": serializers.CharField(allow_null=True),
        "creatable": serializers.BooleanField(),
    },
)

ConnectionTestSerializer = inline_serializer(
    "ConnectionTestResult",
    {
        "ok": serializers.BooleanField(),
        "server_version": serializers.CharField(),
        "server_version_num": serializers.IntegerField(),
        "database": serializers.CharField(),
        "user": serializers.CharField(),
        "database_size_bytes": serializers.IntegerField(),
        "read_only": serializers.BooleanField(),
        "in_recovery": serializers.BooleanField(),
        "superuser": serializers.BooleanField(),
        "can_signal_backends": serializers.BooleanField(
            help_text="The role may cancel or terminate other sessions (a superuser or in pg_signal_backend)."
        ),
        "role_warnings": serializers.ListField(child=serializers.CharField()),
        "extensions": serializers.DictField(child=ExtensionSerializer),
    },
)


class SchemaSyncSerializer(serializers.ModelSerializer):
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = SchemaSync
        fields = [
            "id", "project", "connection", "status", "progress", "stage", "error", "diff", "stats", "server_version",
            "created_at", "started_at", "finished_at", "duration_ms",
        ]  # fmt: skip
        read_only_fields = fields


class SyncRequestSerializer(serializers.Serializer):
    project = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: the organization's only project."
    )
    connection = serializers.IntegerField(required=False, allow_null=True)
    wait = serializers.BooleanField(
        required=False, default=False, help_text="Run the sync now and answer with its outcome (small schemas)."
    )


class SchemaMetadataSerializer(serializers.ModelSerializer):
    class Meta:
        model = SchemaMetadata
        fields = [
            "id", "table_name", "column_name", "column_type", "is_indexed", "is_foreign_key", "referred_table",
            "referred_column", "connection", "schema_name", "ordinal_position", "is_nullable", "column_default",
        ]  # fmt: skip
        read_only_fields = fields


class DbTableSerializer(serializers.ModelSerializer):
    class Meta:
        model = DbTable
        fields = [
            "id", "connection", "schema_name", "name", "kind", "row_estimate", "size_bytes", "last_analyze",
            "partition_key", "parent_schema", "parent_table", "partition_bound", "comment",
        ]  # fmt: skip
        read_only_fields = fields


class DbIndexSerializer(serializers.ModelSerializer):
    class Meta:
        model = DbIndex
        fields = [
            "id", "connection", "schema_name", "table_name", "name", "definition", "method", "is_unique",
            "is_primary", "is_valid", "predicate", "expressions", "columns", "include_columns", "size_bytes",
        ]  # fmt: skip
        read_only_fields = fields


class DbForeignKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = DbForeignKey
        fields = [
            "id", "connection", "schema_name", "table_name", "name", "columns", "referred_schema", "referred_table",
            "referred_columns", "on_delete", "on_update", "has_index",
        ]  # fmt: skip
        read_only_fields = fields


class ExplainRequestSerializer(serializers.Serializer):
    query = serializers.CharField(max_length=100_000, trim_whitespace=False)
    project = serializers.IntegerField(required=False, allow_null=True)
    connection = serializers.IntegerField(required=False, allow_null=True)
    analyze = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Default: what the connection allows."
    )
    buffers = serializers.BooleanField(required=False, default=True)


class QueryAnalysisSerializer(serializers.ModelSerializer):
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = QueryAnalysis
        fields = [
            "id", "project", "connection", "query", "fingerprint", "kind", "statement_kind", "analyzed",
            "generic_plan", "total_cost", "execution_ms", "planning_ms", "warnings", "summary", "plan", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_warnings(self, obj) -> list[dict]:
        return (obj.summary or {}).get("warnings", [])


class QueryAnalysisListSerializer(QueryAnalysisSerializer):
    class Meta(QueryAnalysisSerializer.Meta):
        fields = [f for f in QueryAnalysisSerializer.Meta.fields if f not in ("plan", "summary")]
        read_only_fields = fields


# --- views: connections -------------------------------------------------------------------


class ConnectionListView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    write_role = Role.ADMIN  # a connection reaches into a database: admins add them

    @paginated_list(ConnectionSerializer, tags=["connections"])
    def get(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        return paginated_response(selectors.connection_list(project=project), ConnectionSerializer, request, self)

    @extend_schema(request=ConnectionInputSerializer, responses={201: ConnectionSerializer}, tags=["connections"])
    def post(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        data = ConnectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("engine", None)
        connection = services.connection_create(project=project, actor=request.user, request=request, **fields)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)


class ConnectionDetailView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    write_role = Role.ADMIN

    def _connection(self, request, pk, cid):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        return selectors.connection_get(project=project, pk=cid)

    @extend_schema(responses={200: ConnectionSerializer}, tags=["connections"])
    def get(self, request, pk, cid):
        return Response(ConnectionSerializer(self._connection(request, pk, cid)).data)

    @extend_schema(request=ConnectionUpdateSerializer, responses={200: ConnectionSerializer}, tags=["connections"])
    def patch(self, request, pk, cid):
        connection = self._connection(request, pk, cid)
        data = ConnectionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("engine", None)
        connection = services.connection_update(connection=connection, actor=request.user, request=request, **fields)
        return Response(ConnectionSerializer(connection).data)

    @extend_schema(request=ConnectionUpdateSerializer, responses={200: ConnectionSerializer}, tags=["connections"])
    def put(self, request, pk, cid):
        return self.patch(request, pk, cid)

    @extend_schema(responses={204: None}, tags=["connections"])
    def delete(self, request, pk, cid):
        connection = self._connection(request, pk, cid)
        services.connection_delete(connection=connection, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionTestView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "sql"

    @extend_schema(request=None, responses={200: ConnectionTestSerializer}, tags=["connections"])
    def post(self, request, pk, cid):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        connection = selectors.connection_get(project=project, pk=cid)
        return Response(services.connection_test(connection=connection, actor=request.user, request=request))


# --- views: schema sync and metadata ----------------------------------------------------


class MetadataSyncView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "sql"

    @extend_schema(
        request=SyncRequestSerializer,
        responses={202: SchemaSyncSerializer, 200: SchemaSyncSerializer},
        tags=["metadata"],
        description="Queue a sync of the project's (default or named) connection into db_schema_metadata. "
        "Poll GET /metadata/syncs/{id}. With wait=true the sync runs now and the answer is its outcome.",
    )
    def post(self, request):
        data = SyncRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_or_sole(org=request.user.organization, pk=data.validated_data["project"], user=request.user)
        wait = data.validated_data["wait"]
        sync = services.sync_request(
            project=project,
            connection_id=data.validated_data.get("connection"),
            actor=request.user,
            request=request,
            defer=not wait,
        )
        if wait:
            sync = services.sync_execute(sync_id=sync.pk)
            return Response(SchemaSyncSerializer(sync).data, status=status.HTTP_200_OK)
        return Response(SchemaSyncSerializer(sync).data, status=status.HTTP_202_ACCEPTED)


class SyncListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(
        SchemaSyncSerializer,
        parameters=[OpenApiParameter("project", int, required=True), OpenApiParameter("connection", int)],
        tags=["metadata"],
    )
    def get(self, request):
        project = selectors.project_from_param(org=request.user.organization, value=request.query_params.get("project"))
        connection = None
        if request.query_params.get("connection"):
            connection = selectors.metadata_connection(
                project=project, connection_id=request.query_params["connection"]
            )
        return paginated_response(
            selectors.sync_list(project=project, connection=connection), SchemaSyncSerializer, request, self
        )


class SyncDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: SchemaSyncSerializer}, tags=["metadata"])
    def get(self, request, pk):
        return Response(SchemaSyncSerializer(selectors.sync_get(org=request.user.organization, pk=pk)).data)


_METADATA_PARAMS = [
    OpenApiParameter("project", int, required=True),
    OpenApiParameter("connection", int, description="Default: the project's default connection."),
    OpenApiParameter("table", str, description="A table name, or schema.table."),
    OpenApiParameter("schema", str),
]


class _MetadataListView(APIView):
    permission_classes = [OrganizationRole]
    selector = None
    serializer_class = None

    def get(self, request):
        params = request.query_params
        project = selectors.project_from_param(org=request.user.organization, value=params.get("project"))
        connection = selectors.metadata_connection(project=project, connection_id=params.get("connection"))
        key = _snapshot_page_key(type(self).__name__, connection, request)
        body = cache.get(key) if key else None
        if body is not None:
            return Response(body)
        qs = type(self).selector(connection=connection, table=params.get("table"), schema=params.get("schema"))
        response = paginated_response(qs, self.serializer_class, request, self)
        if key:
            cache.set(key, response.data, settings.METADATA_CACHE_SECONDS)
        return response


def _snapshot_page_key(view: str, connection, request) -> str | None:
    """The cache key of one page of a connection's snapshot, or None when there is nothing to keep.

    A snapshot changes only when a sync replaces it, in the transaction that sets `last_synced_at`: the key
    carries that time, so a sync makes every cached page of the old snapshot unreachable at once (they expire
    on their own). The page's full URL is in it too (filters, page, page size, and the host its links name).
    The tenant check ran before: the connection was found in the caller's organization.
    """
    if connection is None or connection.last_synced_at is None or not settings.METADATA_CACHE_SECONDS:
        return None
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    return f"metadata:{view}:{connection.pk}:{connection.last_synced_at.timestamp()}:{url}"


class MetadataListView(_MetadataListView):
    selector = staticmethod(selectors.metadata_columns)
    serializer_class = SchemaMetadataSerializer

    @paginated_list(SchemaMetadataSerializer, parameters=_METADATA_PARAMS, tags=["metadata"])
    def get(self, request):
        return super().get(request)


class MetadataTablesView(_MetadataListView):
    selector = staticmethod(selectors.metadata_tables)
    serializer_class = DbTableSerializer

    @paginated_list(DbTableSerializer, parameters=_METADATA_PARAMS, tags=["metadata"])
    def get(self, request):
        return super().get(request)


class MetadataIndexesView(_MetadataListView):
    selector = staticmethod(selectors.metadata_indexes)
    serializer_class = DbIndexSerializer

    @paginated_list(DbIndexSerializer, parameters=_METADATA_PARAMS, tags=["metadata"])
    def get(self, request):
        return super().get(request)


class MetadataForeignKeysView(_MetadataListView):
    selector = staticmethod(selectors.metadata_foreign_keys)
    serializer_class = DbForeignKeySerializer

    @paginated_list(DbForeignKeySerializer, parameters=_METADATA_PARAMS, tags=["metadata"])
    def get(self, request):
        return super().get(request)


# --- views: EXPLAIN ------------------------------------------------------------------------


def explain_target(*, org, project_id=None, connection_id=None, user=None):
    """(project, connection id) for an explain request; a clear 400 naming the choice when it is ambiguous."""
    if project_id is None and connection_id is None:
        try:
            # The seed's body is {"query"} alone: the user's current project (or the only one) answers it.
            return project_or_sole(org=org, user=user), None
        except InvalidInput as exc:
            raise InvalidInput(
                f'{exc.detail} {{"query": "...", "project": <project id>}} uses the project\'s default '
                'connection; add "connection": <connection id> to choose another.',
                code="project_required",
            ) from None
    if project_id is not None:
        return project_selectors.project_get(org=org, pk=project_id), connection_id
    connection = (
        DatabaseConnection.objects.select_related("project").filter(project__organization=org, pk=connection_id).first()
    )
    if connection is None:
        raise NotFound("Connection not found.")
    return connection.project, connection.pk


class ExplainView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "sql"

    @extend_schema(
        request=ExplainRequestSerializer,
        responses={200: QueryAnalysisSerializer},
        tags=["query"],
        description="EXPLAIN (ANALYZE where the connection allows it) one statement, read-only and rolled back. "
        "The answer has the raw plan, a summary with each node's time share and warnings; it is kept as "
        "query history.",
    )
    def post(self, request):
        data = ExplainRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        explain_engine.check_syntax(values["query"])  # before which project: a query that does not parse
        project, connection_id = explain_target(
            org=request.user.organization,
            project_id=values.get("project"),
            connection_id=values.get("connection"),
            user=request.user,
        )
        analysis = services.explain_query(
            project=project,
            connection_id=connection_id,
            query=values["query"],
            analyze=values.get("analyze"),
            buffers=values.get("buffers", True),
            actor=request.user,
            request=request,
        )
        return Response(QueryAnalysisSerializer(analysis).data)


class AnalysisListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(
        QueryAnalysisListSerializer, parameters=[OpenApiParameter("project", int, required=True)], tags=["query"]
    )
    def get(self, request):
        project = selectors.project_from_param(org=request.user.organization, value=request.query_params.get("project"))
        return paginated_response(selectors.analysis_list(project=project), QueryAnalysisListSerializer, request, self)


class AnalysisDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: QueryAnalysisSerializer}, tags=["query"])
    def get(self, request, pk):
        return Response(QueryAnalysisSerializer(selectors.analysis_get(org=request.user.organization, pk=pk)).data)


# --- views: pasted plans ---------------------------------------------------------------------

MAX_PLAN_CHARS = 5_000_000


@extend_schema_field(
    {"oneOf": [{"type": "string", "minLength": 1}, {"type": "object"}, {"type": "array", "items": {"type": "object"}}]}
)
class PlanField(serializers.JSONField):
    """A plan as pasted: EXPLAIN's text output (a string) or its JSON (a string or the decoded value)."""


class PlanAnalyzeRequestSerializer(serializers.Serializer):
    plan = PlanField(help_text="EXPLAIN output: FORMAT JSON (as JSON or a string) or the text format psql prints.")


class PlanAnalysisSerializer(serializers.Serializer):
    plan = serializers.JSONField(help_text="The plan in EXPLAIN's JSON format (converted when text was pasted).")
    summary = serializers.JSONField()
    hotspots = serializers.JSONField(help_text="The slowest nodes first, each with what to do about it.")


class PlanCompareRequestSerializer(serializers.Serializer):
    before = PlanField()
    after = PlanField()


class PlanComparisonSerializer(serializers.Serializer):
    totals = serializers.JSONField()
    rows = serializers.JSONField(help_text="Pairs of nodes, step by step: before, after, change, delta_ms.")
    same_shape = serializers.BooleanField()


def _pasted(value) -> dict:
    if isinstance(value, str) and len(value) > MAX_PLAN_CHARS:
        raise InvalidInput(f"The plan is longer than {MAX_PLAN_CHARS:,} characters.", code="plan_too_long")
    return selectors.pasted_plan_analysis(plan=value)


class PlanAnalyzeView(APIView):
    permission_classes = [OrganizationRole]
    write_role = Role.VIEWER  # reads a pasted plan; runs nothing

    @extend_schema(
        request=PlanAnalyzeRequestSerializer,
        responses={200: PlanAnalysisSerializer},
        tags=["query"],
        description="Analyse a plan someone pasted, without any connection: per-node time, rows, buffers and "
        "I/O, warnings, and the slowest nodes with what to do. Nothing is run and nothing is stored.",
    )
    def post(self, request):
        data = PlanAnalyzeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_pasted(data.validated_data["plan"]))


class PlanCompareView(APIView):
    permission_classes = [OrganizationRole]
    write_role = Role.VIEWER  # reads pasted plans; runs nothing

    @extend_schema(
        request=PlanCompareRequestSerializer,
        responses={200: PlanComparisonSerializer},
        tags=["query"],
        description="Two plans of the same query side by side, node by node (before and after an index, or "
        "two runs). Either may be text or JSON.",
    )
    def post(self, request):
        data = PlanCompareRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        before = _pasted(data.validated_data["before"])["summary"]
        after = _pasted(data.validated_data["after"])["summary"]
        return Response(selectors.plan_comparison(before=before, after=after))
