"""GET /projects/{id}/assistant/report: the written report on the project's database.

Everyone in the organization may read it (viewers too); another organization's project is a 404. With a model
configured the prose is the model's, checked number by number against the facts; without one (or with
`?model=false`) the templates write it. Rate-limited with the assistant's other routes: it may call the model.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import reporting
from dbooster.errors import InvalidInput, NotFound
from dbooster.permissions import OrganizationRole
from dbooster.ratelimit import RateLimit
from projects.selectors import project_get
from schema_metadata.selectors import metadata_connection

TAGS = ["assistant"]


class PrioritySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    title = serializers.CharField()
    why = serializers.CharField(help_text="The facts that put it at this rank")
    action = serializers.CharField(help_text="What to do (inline code in backticks)")
    sql = serializers.CharField(allow_blank=True)


class SectionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["size", "health", "queries", "first"])
    title = serializers.CharField()
    facts = serializers.DictField(help_text="The section's facts, every value formatted as the report shows it")
    prose = serializers.CharField()
    prose_source = serializers.ChoiceField(choices=["model", "template"])
    template_prose = serializers.CharField(help_text="The template's text for the same facts")
    rejected = serializers.CharField(allow_blank=True, help_text="Why the model's prose was not used, if it was not")


class ReportSerializer(serializers.Serializer):
    project = serializers.CharField()
    database = serializers.CharField(help_text="The connection the report is about")
    written_by = serializers.ChoiceField(choices=["model", "templates"])
    sections = SectionSerializer(many=True)
    priorities = PrioritySerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


def report_connection(*, project, connection_id):
    connection = metadata_connection(project=project, connection_id=connection_id)
    if connection is None:
        raise NotFound("This project has no database connection: add one to get a report on it.")
    return connection


def use_model(value) -> bool:
    if value in (None, "", "true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InvalidInput("model must be true or false.", code="invalid")


class ReportView(APIView):
    """GET the report: size and growth, health findings, the slowest queries with advice, what to do first."""

    permission_classes = [OrganizationRole]
    throttle_classes = [RateLimit]
    rate_limit_scope = "assistant"

    @extend_schema(
        parameters=[
            OpenApiParameter("connection", OpenApiTypes.INT, description="The connection (default: the project's)"),
            OpenApiParameter("model", OpenApiTypes.BOOL, description="false: the templates write the prose"),
        ],
        responses={200: ReportSerializer},
        tags=TAGS,
    )
    def get(self, request, pk):
        project = project_get(org=request.user.organization, pk=pk)
        connection = report_connection(project=project, connection_id=request.query_params.get("connection"))
        report = reporting.project_report(
            project=project, connection=connection, use_model=use_model(request.query_params.get("model"))
        )
        return Response(ReportSerializer(report.as_dict()).data)
