"""API of the assistant: chat with history (streamed as server-sent events), questions to SQL, the changes it
proposed (accept or cancel), its settings and whether a model is configured.

Members write, viewers read, another organization's projects are 404. Chat and SQL need a model: without one
they answer 503 naming the settings to set.
"""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import ProposalSerializer
from assistant import llm, selectors, services
from assistant.models import Conversation, Message
from dbooster.api import paginated_list, paginated_response
from dbooster.permissions import OrganizationRole
from dbooster.ratelimit import RateLimit
from dbooster.roles import Role
from projects.selectors import project_get

TAGS = ["assistant"]
MODEL_ERRORS = {
    402: OpenApiResponse(description="The plan's AI limit is used up this month (`quota_exceeded`)."),
    502: OpenApiResponse(
        description="The model failed: `model_timeout`, `model_rate_limited` (429 after the retries), "
        "`model_http_error`, `model_unreachable` or `model_malformed`."
    ),
    503: OpenApiResponse(description="No model is configured (`model_not_configured`): `detail` names the settings."),
}


class _ProjectView(APIView):
    permission_classes = [OrganizationRole]

    def project(self, request, pk):
        return project_get(org=request.user.organization, pk=pk)


class StatusSerializer(serializers.Serializer):
    configured = serializers.BooleanField(help_text="Whether a model is configured (chat and SQL need one)")
    chat_model = serializers.CharField()
    sql_model = serializers.CharField()
    settings_to_set = serializers.CharField(help_text="What to set when no model is configured")
    share_row_values = serializers.BooleanField(help_text="Whether row values may reach the model")


def status_data(project) -> dict:
    return {
        "configured": llm.configured(),
        "chat_model": llm.model_for("chat"),
        "sql_model": llm.model_for("sql"),
        "settings_to_set": "" if llm.configured() else llm.SETTINGS_TO_SET,
        "share_row_values": selectors.settings_for(project=project).share_row_values,
    }


class AssistantStatusView(_ProjectView):
    """GET says whether the assistant has a model, which one answers each purpose, and what it may see."""

    @extend_schema(responses={200: StatusSerializer}, tags=TAGS)
    def get(self, request, pk):
        return Response(StatusSerializer(status_data(self.project(request, pk))).data)


class SettingsSerializer(serializers.Serializer):
    share_row_values = serializers.BooleanField(
        help_text="Send row values of query results to the model (off: it sees columns and counts only)"
    )


class AssistantSettingsView(_ProjectView):
    """GET the project's assistant settings; PATCH them (admins)."""

    write_role = Role.ADMIN

    @extend_schema(responses={200: SettingsSerializer}, tags=TAGS)
    def get(self, request, pk):
        found = selectors.settings_for(project=self.project(request, pk))
        return Response({"share_row_values": found.share_row_values})

    @extend_schema(request=SettingsSerializer, responses={200: SettingsSerializer}, tags=TAGS)
    def patch(self, request, pk):
        project = self.project(request, pk)
        data = SettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = services.settings_update(
            project=project,
            actor=request.user,
            share_row_values=data.validated_data["share_row_values"],
            request=request,
        )
        return Response({"share_row_values": found.share_row_values})


# --- chat -------------------------------------------------------------------------------------------------


class MessageRequestSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=services.MAX_QUESTION_CHARS)
    conversation = serializers.IntegerField(required=False, allow_null=True, help_text="Continue this conversation")
    connection = serializers.IntegerField(required=False, allow_null=True, help_text="Default: the project's")


class StreamEventSerializer(serializers.Serializer):
    """One server-sent event of an answer (`event: <name>` and `data: <JSON>` lines)."""

    event = serializers.CharField(
        help_text="conversation, delta, tool_call, tool_result, proposal, then done or error (last)"
    )
    data = serializers.CharField(help_text="JSON: {id} | {text} | {name, arguments} | {name, result} | ...")


def sse(events) -> bytes:
    for item in events:
        yield f"event: {item['event']}\ndata: {json.dumps(item['data'], default=str)}\n\n".encode()


class MessagesView(_ProjectView):
    """POST a question: the answer streams as server-sent events (conversation, delta, tool_call, tool_result,
    proposal, then done or error) and is stored with the tool calls and SQL it ran."""

    throttle_classes = [RateLimit]
    rate_limit_scope = "assistant"

    def perform_content_negotiation(self, request, force=False):
        # A client that accepts only text/event-stream still gets its errors (before the stream) as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        request=MessageRequestSerializer,
        responses={(200, "text/event-stream"): StreamEventSerializer, **MODEL_ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk):
        project = self.project(request, pk)
        data = MessageRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        turn = services.ChatTurn(
            project=project,
            actor=request.user,
            question=data.validated_data["question"],
            conversation_id=data.validated_data.get("conversation"),
            connection_id=data.validated_data.get("connection"),
            request=request,
        )
        response = StreamingHttpResponse(sse(turn.events()), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # proxies pass each event on as it comes
        return response


class ConversationSerializer(serializers.ModelSerializer):
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "title", "created_at", "updated_at", "message_count"]


class ToolCallSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    function = serializers.DictField()


class MessageSerializer(serializers.ModelSerializer):
    # Plain text, not an enum: "role" is the organization roles' enum name in the schema.
    role = serializers.CharField(help_text="user, assistant or tool")
    tool_calls = ToolCallSerializer(many=True)
    sql = serializers.ListField(child=serializers.DictField(), help_text="What the tools ran for this turn")
    proposals = serializers.ListField(child=serializers.IntegerField(), help_text="Draft proposals it made")

    class Meta:
        model = Message
        fields = ["id", "role", "content", "tool_calls", "tool_call_id", "tool_name", "sql", "proposals", "error",
                  "model", "elapsed_ms", "created_at"]  # fmt: skip


class ConversationDetailSerializer(serializers.ModelSerializer):
    messages = MessageSerializer(many=True)

    class Meta:
        model = Conversation
        fields = ["id", "title", "created_at", "updated_at", "messages"]


class ConversationsView(_ProjectView):
    @paginated_list(ConversationSerializer, tags=TAGS)
    def get(self, request, pk):
        found = selectors.conversation_list(project=self.project(request, pk))
        return paginated_response(found, ConversationSerializer, request, self)


class ConversationDetailView(_ProjectView):
    @extend_schema(responses={200: ConversationDetailSerializer}, tags=TAGS)
    def get(self, request, pk, cid):
        conversation = selectors.conversation_get(project=self.project(request, pk), pk=cid)
        return Response(ConversationDetailSerializer(conversation).data)


# --- questions to SQL ---------------------------------------------------------------------------------------


class SqlRequestSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=services.MAX_QUESTION_CHARS)
    run = serializers.BooleanField(default=False, help_text="Also run it (read-only statements only)")
    connection = serializers.IntegerField(required=False, allow_null=True, help_text="Default: the project's")


class SqlAnswerSerializer(serializers.Serializer):
    sql = serializers.CharField()
    tables = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField(allow_blank=True)
    read_only = serializers.BooleanField()
    statement_kind = serializers.CharField()
    attempts = serializers.IntegerField(help_text="Model answers needed (a wrong table or column asks again)")
    grounded_tables = serializers.ListField(child=serializers.CharField())
    plan = serializers.DictField(allow_null=True)
    plan_error = serializers.CharField(allow_blank=True)
    result = serializers.DictField(allow_null=True)
    result_error = serializers.CharField(allow_blank=True)
    proposal = serializers.DictField(allow_null=True, help_text="The draft proposal of a statement that writes")
    proposal_error = serializers.CharField(allow_blank=True)


class SqlView(_ProjectView):
    """POST a question: one statement, checked against the schema, explained, and run read-only when asked."""

    throttle_classes = [RateLimit]
    rate_limit_scope = "assistant"

    @extend_schema(
        request=SqlRequestSerializer,
        responses={
            200: SqlAnswerSerializer,
            422: OpenApiResponse(
                description="The model's SQL still names unknown tables or columns after the retries."
            ),
            **MODEL_ERRORS,
        },
        tags=TAGS,
    )
    def post(self, request, pk):
        project = self.project(request, pk)
        data = SqlRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.question_to_sql(
            project=project,
            actor=request.user,
            question=data.validated_data["question"],
            run=data.validated_data["run"],
            connection_id=data.validated_data.get("connection"),
            request=request,
        )
        return Response(SqlAnswerSerializer(answer).data)


# --- proposals ---------------------------------------------------------------------------------------------


class AcceptSerializer(serializers.Serializer):
    proposal = ProposalSerializer()
    applying = serializers.IntegerField(allow_null=True, help_text="The apply attempt queued, if any")
    note = serializers.CharField()


class ProposalAcceptView(_ProjectView):
    """POST submits the assistant's draft for approval (and applies it where you may and the connection allows)."""

    @extend_schema(request=None, responses={200: AcceptSerializer}, tags=TAGS)
    def post(self, request, pk, pid):
        proposal = services.assistant_proposal(project=self.project(request, pk), actor=request.user, pk=pid)
        outcome = services.proposal_accept(proposal=proposal, actor=request.user, request=request)
        return Response(AcceptSerializer(outcome).data)


class ProposalCancelView(_ProjectView):
    """POST withdraws the assistant's proposal."""

    @extend_schema(request=None, responses={200: ProposalSerializer}, tags=TAGS)
    def post(self, request, pk, pid):
        proposal = services.assistant_proposal(project=self.project(request, pk), actor=request.user, pk=pid)
        proposal = services.proposal_cancel(proposal=proposal, actor=request.user, request=request)
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_200_OK)
