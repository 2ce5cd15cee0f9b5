"""API of the health app: run the checks over a project's connection, propose a finding's fix."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import ProposalSerializer
from dbooster.permissions import OrganizationRole
from health import selectors, services
from health.models import HealthRun
from projects.selectors import project_get


class FindingSerializer(serializers.Serializer):
    check = serializers.CharField()
    severity = serializers.CharField(help_text="critical, warning or info")
    title = serializers.CharField()
    objects = serializers.ListField(child=serializers.CharField())
    detail = serializers.CharField()
    why = serializers.CharField()
    fix = serializers.CharField()
    fix_sql = serializers.CharField(allow_blank=True)
    fix_kind = serializers.CharField(allow_blank=True)
    data = serializers.DictField()


class HealthRunSerializer(serializers.ModelSerializer):
    findings = FindingSerializer(many=True)
    counts = serializers.SerializerMethodField()
    skipped = serializers.DictField(child=serializers.CharField())
    errors = serializers.DictField(child=serializers.CharField())
    ran = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = HealthRun
        fields = ["id", "project", "connection", "created_at", "elapsed_ms", "counts", "findings", "ran",
                  "skipped", "errors"]  # fmt: skip

    def get_counts(self, obj) -> dict[str, int]:
        return obj.counts()


class HealthView(APIView):
    """GET runs every check over the connection now (read only) and returns the stored run."""

    permission_classes = [OrganizationRole]

    @extend_schema(
        parameters=[
            OpenApiParameter("connection", int, description="A connection of the project; default: its default")
        ],
        responses={200: HealthRunSerializer},
        tags=["health"],
    )
    def get(self, request, pk):
        project = project_get(org=request.user.organization, pk=pk)
        connection = selectors.health_connection(project=project, connection_id=request.query_params.get("connection"))
        run = services.health_run(connection=connection, actor=request.user, request=request)
        return Response(HealthRunSerializer(run).data)


class HealthProposeView(APIView):
    """POST submits the SQL fix of one finding of a stored run for approval."""

    permission_classes = [OrganizationRole]

    @extend_schema(request=None, responses={201: ProposalSerializer}, tags=["health"])
    def post(self, request, pk, run, index):
        project = project_get(org=request.user.organization, pk=pk)
        health_run = selectors.run_get(project=project, pk=int(run))
        proposal = services.health_propose_fix(run=health_run, index=int(index), actor=request.user, request=request)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)
