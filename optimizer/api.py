import functools

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import ModelSerializer, Serializer, paginated_list, paginated_response, row_plan
from dbooster.errors import InvalidInput
from dbooster.permissions import OrganizationRole
from dbooster.ratelimit import RateLimit
from dbooster.verified import VerifiedEmail
from optimizer import selectors, services
from optimizer.models import OptimizationRun, Suggestion, WorkloadImport, WorkloadQuery
from projects import selectors as project_selectors
from schema_metadata.selectors import default_connection


class OptimizeInputSerializer(Serializer):
    query = serializers.CharField(max_length=100_000, trim_whitespace=False)
    project = serializers.IntegerField(required=False, allow_null=True, default=None)
    connection = serializers.IntegerField(required=False, allow_null=True, default=None)
    ai = serializers.BooleanField(required=False, default=True)
    verify = serializers.BooleanField(required=False, default=True)

    def validate_query(self, value):
        if not value.strip():
            raise serializers.ValidationError("Send the query to optimize.")
        return value


class SuggestionSerializer(ModelSerializer):
    source = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = [
            "id", "kind", "sql", "rationale", "rule_id", "cost_before", "cost_after", "time_before_ms",
            "time_after_ms", "speedup", "size_bytes", "planner_used", "verification", "verified",
            "unverified_reason", "advice_only", "source", "model_name", "dropped", "drop_reason",
        ]  # fmt: skip
        read_only_fields = fields

    def get_source(self, obj) -> str:
        return obj.source


def _suggestion_lines(suggestions: list) -> list[dict]:
    # No serializer to build for an empty list (most runs without a connection drop nothing).
    return SuggestionSerializer(suggestions, many=True).data if suggestions else []


class PastRunSerializer(ModelSerializer):
    class Meta:
        model = OptimizationRun
        fields = list(selectors.HISTORY_FIELDS)
        read_only_fields = fields


@functools.cache
def _past_run_steps() -> tuple:
    """How PastRunSerializer renders each value of a history row, worked out once: (name, the type it renders as
    itself, its rendering), as `dbooster.api.row_plan` reads it; each renders a value alone."""
    plan = row_plan(PastRunSerializer)
    if plan:
        return tuple((name, unchanged, rendering) for name, _attribute, unchanged, rendering in plan)
    fields = PastRunSerializer().fields
    return tuple((name, None, fields[name].to_representation) for name in PastRunSerializer.Meta.fields)


def past_run_lines(run) -> list[dict]:
    """PastRunSerializer's answer for the run's history, from plain rows: no model instance per line."""
    steps = _past_run_steps()
    # A run just stored by the optimizer read its history in the same statement (optimize_query).
    rows = getattr(run, "history_rows", None)
    if rows is None:
        rows = selectors.past_run_rows(run=run)
    return [
        {
            name: value if type(value) is unchanged or value is None else render(value)
            for (name, unchanged, render), value in zip(steps, row, strict=True)
        }
        for row in rows
    ]


class OptimizationSerializer(ModelSerializer):
    suggestions = serializers.SerializerMethodField()
    dropped = serializers.SerializerMethodField()
    ai = serializers.SerializerMethodField()
    plan = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = OptimizationRun
        fields = [
            "id", "project", "connection", "query", "normalized", "fingerprint", "findings", "suggestions",
            "dropped", "plan_status", "plan_error", "plan", "cost_before", "measurement", "ai", "notes",
            "rejected", "history", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _all(self, obj):
        # A run just stored by the optimizer carries its suggestions (optimize_query): no need to read them back.
        kept = getattr(obj, "suggestions_in_order", None)
        return kept if kept is not None else list(obj.suggestions.all())

    def get_suggestions(self, obj) -> list[dict]:
        return _suggestion_lines([s for s in self._all(obj) if not s.dropped])

    def get_dropped(self, obj) -> list[dict]:
        return _suggestion_lines([s for s in self._all(obj) if s.dropped])

    def get_ai(self, obj) -> dict:
        return {"status": obj.ai_status, "reason": obj.ai_reason, "model": obj.ai_model}

    def get_plan(self, obj) -> dict | None:
        if obj.plan_before is None:
            return None
        return {"before": obj.plan_before, "after": obj.plan_after}

    def get_history(self, obj) -> list[dict]:
        return past_run_lines(obj)


class OptimizationListSerializer(ModelSerializer):
    suggestions = serializers.SerializerMethodField()
    best_speedup = serializers.SerializerMethodField()

    class Meta:
        model = OptimizationRun
        fields = [
            "id", "query", "fingerprint", "plan_status", "cost_before", "measurement", "ai_status",
            "suggestions", "best_speedup", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_suggestions(self, obj) -> int:
        return sum(1 for s in obj.suggestions.all() if not s.dropped)

    def get_best_speedup(self, obj) -> float | None:
        speedups = [s.speedup for s in obj.suggestions.all() if s.verified and s.speedup]
        return max(speedups) if speedups else None


def prepare_once(query: str) -> dict | None:
    """The query prepared for the optimizer, parsed once for the whole request.

    A parse error is answered at once; other refusals (a utility statement...) are left to the service,
    which audits them, and None is returned so it asks again.
    """
    try:
        return services.prepare(query)
    except InvalidInput as exc:
        if exc.code == "parse_error":
            raise
        return None


def default_target(user) -> tuple:
    """The seed's body is {"query"} alone: it runs on the user's current project (the only one when they have
    not chosen) and its default connection; an organization without projects gets rules only, (None, None);
    several projects and no choice is a 400. Both read in the user's organization, so the service need not
    read them again."""
    project, connection = selectors.current_project_and_connection(user=user)
    if project is not None:
        return project, connection
    # The user chose no project here and the organization has none or several: no need to ask for the choice again.
    if not project_selectors.project_list(org=user.organization).exists():
        return None, None
    project = project_selectors.project_or_sole(org=user.organization)  # several: the 400 that names them
    return project, default_connection(project=project)


class OptimizeView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "optimize"

    @extend_schema(request=OptimizeInputSerializer, responses={201: OptimizationSerializer}, tags=["optimizer"])
    def post(self, request):
        data = OptimizeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        prepared = prepare_once(v["query"])  # before which project: a query that does not parse is the news
        target = None
        if v["project"] is None and v["connection"] is None and "project" not in request.data:
            target = default_target(request.user)
        run = services.optimize_query(
            user=request.user,
            query=v["query"],
            project_id=v["project"],
            target=target,
            connection_id=v["connection"],
            use_ai=v["ai"],
            verify=v["verify"],
            request=request,
            prepared=prepared,
        )
        # The answer is the run as just stored, built from memory: GET /query/optimize/<id> reads the same.
        return Response(OptimizationSerializer(run).data, status=status.HTTP_201_CREATED)


class OptimizationDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: OptimizationSerializer}, tags=["optimizer"])
    def get(self, request, pk):
        return Response(OptimizationSerializer(selectors.run_get(org=request.user.organization, pk=pk)).data)


class ProjectOptimizationsView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(OptimizationListSerializer, tags=["optimizer"])
    def get(self, request, pk):
        project = project_selectors.project_get(org=request.user.organization, pk=pk)
        runs = selectors.project_runs(
            org=request.user.organization, project=project, fingerprint=request.query_params.get("fingerprint")
        )
        return paginated_response(runs, OptimizationListSerializer, request, self)


class WorkloadInputSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    connection = serializers.IntegerField(required=False, allow_null=True, default=None)
    queries = serializers.ListField(
        child=serializers.CharField(max_length=100_000), required=False, allow_empty=False, min_length=1, max_length=200
    )
    budget_bytes = serializers.IntegerField(required=False, min_value=8192, default=1 << 30)
    max_indexes = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
    from_scan = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Use the project's scanned SELECT queries instead of pg_stat_statements.",
    )


class WorkloadQuerySerializer(ModelSerializer):
    class Meta:
        model = WorkloadQuery
        fields = [
            "id", "query", "fingerprint", "calls", "total_time_ms", "mean_time_ms", "rows", "share", "saving_ms",
            "extracted_query", "locations",
        ]  # fmt: skip
        read_only_fields = fields


class WorkloadSerializer(ModelSerializer):
    queries = serializers.SerializerMethodField()

    class Meta:
        model = WorkloadImport
        fields = ["id", "project", "connection", "total_time_ms", "advice", "queries", "created_at"]
        read_only_fields = fields

    def get_queries(self, obj) -> list[dict]:
        # Sorted by the time the advised indexes could save, then by time spent.
        rows = sorted(obj.queries.all(), key=lambda q: (-(q.saving_ms or 0), -q.total_time_ms))
        return WorkloadQuerySerializer(rows, many=True).data


class WorkloadAdviseView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    throttle_classes = [RateLimit]
    rate_limit_scope = "optimize"

    @extend_schema(request=WorkloadInputSerializer, responses={201: WorkloadSerializer}, tags=["optimizer"])
    def post(self, request):
        data = WorkloadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        record = services.advise_workload(
            user=request.user,
            project_id=v["project"],
            connection_id=v["connection"],
            queries=v.get("queries"),
            budget_bytes=v["budget_bytes"],
            max_indexes=v["max_indexes"],
            limit=v["limit"],
            from_scan=v["from_scan"],
            request=request,
        )
        return Response(WorkloadSerializer(record).data, status=status.HTTP_201_CREATED)


class WorkloadDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: WorkloadSerializer}, tags=["optimizer"])
    def get(self, request, pk):
        return Response(WorkloadSerializer(selectors.workload_get(org=request.user.organization, pk=pk)).data)
