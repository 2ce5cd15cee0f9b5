"""API of the analytics app: a project's storage, execution time and usage over time, and one query's history."""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.selectors import TOP_QUERY_ORDER
from analytics.timerange import parse_range
from dbooster.errors import InvalidInput
from dbooster.permissions import OrganizationRole
from projects.selectors import project_get, project_or_sole

FINGERPRINT_RE = re.compile(r"^[0-9a-f]{1,64}$")
LIMIT_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 200}

_DURATION = r"^[0-9]{1,6}[smhd]?$"  # analytics.timerange.DURATION_RE
RANGE_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATETIME, description="Start, ISO 8601 (default: `to` minus 24 hours, or minus `range`)"
    ),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="End, ISO 8601 (default: now)"),
    OpenApiParameter(
        "range", str, pattern=_DURATION, description="Instead of `from`: a span ending at `to`, e.g. 6h, 7d, 30d"
    ),
    OpenApiParameter(
        "step",
        str,
        pattern=_DURATION,
        description="One point per step, e.g. 15m, 1h, 1d (at least 1m, at most 1,000 "
        "points; default: about 200 points)",
    ),  # fmt: skip
    OpenApiParameter("connection", int, description="A connection of the project; default: its default"),
]


def _series(**kwargs):
    return serializers.ListField(child=serializers.FloatField(allow_null=True), **kwargs)


class AnalyticsRangeSerializer(serializers.Serializer):
    connection = serializers.IntegerField()
    range = serializers.DictField(help_text="from, to (ISO 8601) and step_s")
    times = serializers.ListField(child=serializers.CharField(), help_text="Start of each point, ISO 8601")
    snapshots = serializers.IntegerField(help_text="Snapshots the points are made of")


class RelationSeriesSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="table (heap + TOAST) or index")
    table = serializers.CharField()
    bytes = serializers.IntegerField()
    rows = serializers.IntegerField(allow_null=True)
    growth_bytes = serializers.IntegerField(allow_null=True, help_text="Since the range's first snapshot")
    series = _series(help_text="Bytes per point")


class StorageHistorySerializer(AnalyticsRangeSerializer):
    database_bytes = _series()
    relations = RelationSeriesSerializer(many=True)
    last_taken_at = serializers.DateTimeField(allow_null=True)


class ExecutionSeriesSerializer(serializers.Serializer):
    calls = _series()
    total_ms = _series()
    mean_ms = _series()


class AnalyticsTopQuerySerializer(serializers.Serializer):
    fingerprint = serializers.CharField(help_text="The scans' fingerprint: /query/fingerprints/{fp}/history")
    query = serializers.CharField()
    calls = serializers.IntegerField()
    total_ms = serializers.FloatField()
    mean_ms = serializers.FloatField()
    rows = serializers.IntegerField()
    shared_blks_hit = serializers.IntegerField()
    shared_blks_read = serializers.IntegerField()
    extracted_query_id = serializers.IntegerField(allow_null=True, help_text="The scanned code's query, if any")
    series = ExecutionSeriesSerializer()


class ExecutionTimeHistorySerializer(AnalyticsRangeSerializer, ExecutionSeriesSerializer):
    top_queries = AnalyticsTopQuerySerializer(many=True)


class DatabaseUsageSerializer(AnalyticsRangeSerializer):
    connections = serializers.DictField(child=_series(), help_text="Sessions by state (peak per point)")
    cache_hit_ratio = _series(help_text="Blocks found in shared buffers / blocks read, per point")
    xact_commit = _series()
    xact_rollback = _series()
    stats_resets = serializers.ListField(child=serializers.BooleanField())


class QueryHistoryTotalsSerializer(serializers.Serializer):
    calls = serializers.IntegerField()
    total_ms = serializers.FloatField()
    mean_ms = serializers.FloatField()
    rows = serializers.IntegerField()
    shared_blks_hit = serializers.IntegerField()
    shared_blks_read = serializers.IntegerField()


class FingerprintHistorySerializer(ExecutionSeriesSerializer):
    fingerprint = serializers.CharField()
    project = serializers.IntegerField()
    connections = serializers.ListField(child=serializers.IntegerField())
    query = serializers.CharField()
    extracted_query_id = serializers.IntegerField(allow_null=True)
    first_seen_scan = serializers.IntegerField(allow_null=True)
    range = serializers.DictField()
    times = serializers.ListField(child=serializers.CharField())
    totals = QueryHistoryTotalsSerializer()


class _ProjectSeriesView(APIView):
    permission_classes = [OrganizationRole]

    def _context(self, request, pk):
        project = project_get(org=request.user.organization, pk=pk)
        connection = selectors.analytics_connection(
            project=project, connection_id=request.query_params.get("connection")
        )
        rng = parse_range(request.query_params, now=timezone.now())
        return connection, rng, {"connection": connection.pk, "range": rng.as_dict()}


class StorageView(_ProjectSeriesView):
    """GET the database's size and its largest tables' and indexes' sizes over time."""

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: StorageHistorySerializer}, tags=["analytics"])
    def get(self, request, pk):
        connection, rng, head = self._context(request, pk)
        return Response(
            StorageHistorySerializer({**head, **selectors.storage_series(connection=connection, rng=rng)}).data
        )


class ExecutionTimeView(_ProjectSeriesView):
    """GET every statement's calls, total and mean time over time, and the top statements of the range."""

    @extend_schema(
        parameters=[
            *RANGE_PARAMETERS,
            OpenApiParameter("order", str, enum=sorted(TOP_QUERY_ORDER), description="Top queries by (total_ms)"),
            OpenApiParameter("limit", LIMIT_SCHEMA, description="Top queries listed (1-200, default 50)"),
        ],
        responses={200: ExecutionTimeHistorySerializer},
        tags=["analytics"],
    )
    def get(self, request, pk):
        connection, rng, head = self._context(request, pk)
        order = request.query_params.get("order") or "total_ms"
        if order not in TOP_QUERY_ORDER:
            raise InvalidInput(
                f"order must be one of {', '.join(sorted(TOP_QUERY_ORDER))}.", code="invalid_order",
                extra={"param": "order"},
            )  # fmt: skip
        limit = _limit(request.query_params.get("limit"))
        data = {
            **head,
            **selectors.execution_series(connection=connection, rng=rng),
            "top_queries": selectors.top_queries(connection=connection, rng=rng, order=order, limit=limit),
        }
        return Response(ExecutionTimeHistorySerializer(data).data)


def _limit(value) -> int:
    """`limit`, as LIMIT_SCHEMA documents it."""
    if value in (None, ""):
        return 50
    if not str(value).isdigit() or not 1 <= int(value) <= 200:
        raise InvalidInput(
            "limit must be a whole number from 1 to 200.", code="invalid_limit", extra={"param": "limit"}
        )
    return int(value)


class UsageView(_ProjectSeriesView):
    """GET sessions by state, the cache hit ratio and transactions committed and rolled back over time."""

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: DatabaseUsageSerializer}, tags=["analytics"])
    def get(self, request, pk):
        connection, rng, head = self._context(request, pk)
        return Response(
            DatabaseUsageSerializer({**head, **selectors.usage_series(connection=connection, rng=rng)}).data
        )


class FingerprintHistoryView(APIView):
    """GET one statement's calls, total and mean time over time (by the scans' fingerprint): did a fix help?"""

    permission_classes = [OrganizationRole]

    @extend_schema(
        parameters=[
            OpenApiParameter("fp", str, OpenApiParameter.PATH, pattern=FINGERPRINT_RE.pattern),
            OpenApiParameter("project", int, description="Default: your current project"),
            *RANGE_PARAMETERS[:-1],
            OpenApiParameter("connection", int, description="One connection of the project; default: all of them"),
        ],
        responses={200: FingerprintHistorySerializer},
        tags=["analytics"],
    )
    def get(self, request, fp):
        if not FINGERPRINT_RE.match(fp):
            raise InvalidInput(
                "The fingerprint must be the hexadecimal fingerprint of a query (as scans and health list them).",
                code="invalid_fingerprint",
            )
        project_id = request.query_params.get("project")
        if project_id not in (None, "") and not str(project_id).isdigit():
            raise InvalidInput("project must be a project id (a number).", code="invalid_project")
        project = project_or_sole(org=request.user.organization, pk=project_id or None, user=request.user)
        rng = parse_range(request.query_params, now=timezone.now())
        history = selectors.fingerprint_history(
            project=project, fingerprint=fp, rng=rng, connection_id=request.query_params.get("connection")
        )
        return Response(FingerprintHistorySerializer({**history, "range": rng.as_dict()}).data)
