"""`GET /dashboard` and `GET /projects/{id}/summary` (ai-db-assistant's `/api/dashboard` and
`/api/projects/:id/summary`): counts, the worst health findings and the queries with the most time to save."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard import selectors
from dbooster.permissions import OrganizationRole
from projects.selectors import project_get


class DashboardOpenFindingsSerializer(serializers.Serializer):
    health = serializers.IntegerField(help_text="Critical and warning findings of each connection's last health run")
    suggestions = serializers.IntegerField(help_text="Measured optimizer suggestions not submitted for approval")


class DashboardSeveritiesSerializer(serializers.Serializer):
    critical = serializers.IntegerField()
    warning = serializers.IntegerField()
    info = serializers.IntegerField()


class DashboardCountsSerializer(serializers.Serializer):
    projects = serializers.IntegerField()
    connections = serializers.IntegerField()
    queries_found = serializers.IntegerField(help_text="Distinct queries found by repository scans")
    open_findings = serializers.IntegerField(help_text="health + suggestions of open_findings_by_source")
    open_findings_by_source = DashboardOpenFindingsSerializer()
    health_findings_by_severity = DashboardSeveritiesSerializer()
    pending_approvals = serializers.IntegerField(help_text="Proposals proposed or approved, not yet applied")


class DashboardWorstFindingSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    project_name = serializers.CharField()
    connection = serializers.IntegerField()
    connection_name = serializers.CharField()
    run = serializers.IntegerField(
        help_text="The health run; propose its fix at .../health/runs/{run}/findings/{index}"
    )
    index = serializers.IntegerField()
    ran_at = serializers.DateTimeField()
    check = serializers.CharField()
    severity = serializers.CharField(help_text="critical or warning")
    title = serializers.CharField()
    objects = serializers.ListField(child=serializers.CharField())
    detail = serializers.CharField()
    fix = serializers.CharField()
    fix_sql = serializers.CharField(allow_blank=True)


class DashboardTimeToSaveSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="optimizer (a measured suggestion) or workload (the workload advisor)")
    project = serializers.IntegerField()
    project_name = serializers.CharField()
    connection = serializers.IntegerField(allow_null=True)
    query = serializers.CharField()
    fingerprint = serializers.CharField(allow_blank=True)
    fix = serializers.CharField(allow_blank=True, help_text="The suggested index or rewrite (optimizer only)")
    kind = serializers.CharField()
    speedup = serializers.FloatField(allow_null=True)
    verified = serializers.BooleanField()
    calls = serializers.IntegerField(allow_null=True, help_text="Calls counted by pg_stat_statements; null: unknown")
    per_call_ms = serializers.FloatField(allow_null=True)
    saving_ms = serializers.FloatField(help_text="Time saved over `calls` calls (one call when calls is null)")
    optimization = serializers.IntegerField(allow_null=True)
    suggestion = serializers.IntegerField(allow_null=True)


class DashboardSerializer(serializers.Serializer):
    counts = DashboardCountsSerializer()
    worst_findings = DashboardWorstFindingSerializer(
        many=True, help_text="Critical, then warning findings of each connection's last health run (at most 10)"
    )
    time_to_save = DashboardTimeToSaveSerializer(many=True)


class DashboardSyncSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    finished_at = serializers.DateTimeField(allow_null=True)


class DashboardHealthRunBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    counts = serializers.SerializerMethodField()

    @extend_schema_field(DashboardSeveritiesSerializer)
    def get_counts(self, run) -> dict[str, int]:
        return run.counts()


class DashboardConnectionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="connection.pk")
    name = serializers.CharField(source="connection.name")
    environment = serializers.CharField(source="connection.environment")
    is_default = serializers.BooleanField(source="connection.is_default")
    tables = serializers.IntegerField(source="connection.table_count", help_text="Tables known from the last sync")
    size_bytes = serializers.IntegerField(
        source="connection.size_bytes", allow_null=True, help_text="Synced tables with their indexes and TOAST"
    )
    last_synced_at = serializers.DateTimeField(source="connection.last_synced_at", allow_null=True)
    last_sync = DashboardSyncSerializer(allow_null=True)
    last_health_run = DashboardHealthRunBriefSerializer(allow_null=True)


class DashboardScanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    queries_found = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class DashboardProjectBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProjectSummarySerializer(DashboardSerializer):
    project = DashboardProjectBriefSerializer()
    connections = DashboardConnectionSummarySerializer(many=True)
    last_scan = DashboardScanSerializer(allow_null=True)


class DashboardView(APIView):
    """Your organization across its projects."""

    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: DashboardSerializer}, tags=["dashboard"])
    def get(self, request):
        return Response(DashboardSerializer(selectors.dashboard(org=request.user.organization)).data)


class ProjectSummaryView(APIView):
    """One project: the dashboard's counts and lists, its connections' sizes, last sync and last scan."""

    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: ProjectSummarySerializer}, tags=["dashboard"])
    def get(self, request, pk):
        project = project_get(org=request.user.organization, pk=pk)
        return Response(ProjectSummarySerializer(selectors.project_summary(project=project)).data)
