"""API of the assistant: chat with history, questions to SQL, proposals to accept or cancel."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import llm
from dbooster.permissions import OrganizationRole
from projects.selectors import project_get


class StatusSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="Whether a model is configured (chat and SQL need one)")
    chat_model = serializers.CharField()
    sql_model = serializers.CharField()
    settings_to_set = serializers.CharField(help_text="What to set when no model is configured")


class AssistantStatusView(APIView):
    """GET says whether the assistant has a model and which one answers each purpose."""

    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: StatusSerializer}, tags=["assistant"])
    def get(self, request, pk):
        project_get(org=request.user.organization, pk=pk)
        data = {
            "configured": llm.configured(),
            "chat_model": llm.model_for("chat"),
            "sql_model": llm.model_for("sql"),
            "settings_to_set": "" if llm.configured() else llm.SETTINGS_TO_SET,
        }
        return Response(StatusSerializer(data).data)
