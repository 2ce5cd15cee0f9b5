"""The approvals API: proposals, their decisions, applying and exports (serializers + thin views)."""

from __future__ import annotations

import functools

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors, services
from approvals.models import ApplyAttempt, Proposal, ProposalEvent
from dbooster.api import encoded_json, paginated_list, paginated_response
from dbooster.errors import NotFound
from dbooster.permissions import OrganizationRole
from dbooster.roles import Role, role_at_least


class ProposalEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProposalEvent
        fields = ["id", "actor", "actor_email", "from_state", "to_state", "comment", "created_at"]
        read_only_fields = fields


class ApplyAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplyAttempt
        fields = [
            "id",
            "status",
            "statement",
            "error",
            "cleanup",
            "rows_changed",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField(allow_null=True)


class ConnectionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    environment = serializers.CharField()
    read_only = serializers.BooleanField()


class ProposalSerializer(serializers.ModelSerializer):
    proposer = UserBriefSerializer(read_only=True, allow_null=True)
    decided_by = UserBriefSerializer(read_only=True, allow_null=True)
    connection = ConnectionBriefSerializer(read_only=True, allow_null=True)
    project = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    source_suggestion = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "kind",
            "title",
            "state",
            "sql",
            "reason",
            "evidence",
            "safety_review",
            "project",
            "connection",
            "source_suggestion",
            "source_file",
            "source_line",
            "original_query",
            "proposer",
            "decided_by",
            "decided_at",
            "applied_at",
            "apply_error",
            "row_limit",
            "rows_changed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProposalDetailSerializer(ProposalSerializer):
    events = ProposalEventSerializer(many=True, read_only=True)
    attempts = ApplyAttemptSerializer(many=True, read_only=True)
    can = serializers.SerializerMethodField()
    export_formats = serializers.SerializerMethodField()

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "events", "attempts", "can", "export_formats"]
        read_only_fields = fields

    def get_can(self, obj) -> dict:
        user = self.context.get("user")
        return actions_for(user, obj) if user is not None else {}

    def get_export_formats(self, obj) -> list[str]:
        return list(services.EXPORT_FORMATS[obj.kind])


def actions_for(user, proposal: Proposal) -> dict:
    """What the user may do with the proposal now: the pages and a front end show these buttons."""
    open_ = proposal.state in (Proposal.State.PROPOSED, Proposal.State.APPROVED)
    is_admin = role_at_least(user.role, Role.ADMIN)
    return {
        "approve": proposal.state == Proposal.State.PROPOSED and services.can_decide(actor=user, proposal=proposal)[0],
        "reject": open_ and is_admin,
        "withdraw": open_ and proposal.proposer_id == user.pk and role_at_least(user.role, Role.MEMBER),
        "apply": is_admin
        and proposal.state in (Proposal.State.APPROVED, Proposal.State.FAILED)
        and proposal.kind != Proposal.Kind.REWRITE,
        "export": proposal.state in (Proposal.State.APPROVED, Proposal.State.APPLIED),
    }


class ProposalSubmitSerializer(serializers.Serializer):
    suggestion_id = serializers.IntegerField(required=False, help_text="Submit an optimizer suggestion.")
    kind = serializers.ChoiceField(choices=Proposal.Kind.choices, required=False, default=Proposal.Kind.DDL)
    sql = serializers.CharField(required=False, max_length=100_000, trim_whitespace=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    connection_id = serializers.IntegerField(required=False, allow_null=True)
    project_id = serializers.IntegerField(required=False, allow_null=True)
    occurrence_id = serializers.IntegerField(required=False, allow_null=True, help_text="Where a scan found the query.")
    evidence = serializers.DictField(required=False, default=dict, help_text="What the change rests on (an object).")
    row_limit = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text=(
            "Data changes only: the most rows the change may change; applying it rolls back if it changes more. "
            "Default: max(2 x the plan's estimate, estimate + 100); at most max(10 x estimate, estimate + 10,000)."
        ),
    )

    def validate(self, attrs):
        if attrs.get("suggestion_id") is None and not (attrs.get("sql") or "").strip():
            raise serializers.ValidationError("Give a suggestion_id, or the SQL (DDL) with a reason.", code="required")
        return attrs


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class RejectionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=10_000, help_text="Why the proposal is rejected (required).")


def _detail(proposal: Proposal, user) -> dict:
    proposal = (
        Proposal.objects.prefetch_related("events", "attempts")
        .select_related("proposer", "decided_by", "connection")
        .get(pk=proposal.pk)
    )
    return ProposalDetailSerializer(proposal, context={"user": user}).data


_STATE = "(" + "|".join(Proposal.State.values) + ")"
_PROPOSAL_PARAMETERS = [
    OpenApiParameter(
        "state", str, description="One state, or several separated by commas.", pattern=f"^$|^{_STATE}(,{_STATE})*$"
    ),
    OpenApiParameter("kind", str, enum=Proposal.Kind.values),
    OpenApiParameter("project", int),
    OpenApiParameter("connection", int),
]


class ProposalListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(ProposalSerializer, parameters=_PROPOSAL_PARAMETERS, tags=["approvals"])
    def get(self, request):
        items = selectors.proposals(
            org=request.user.organization, user=request.user, filters=request.query_params.dict()
        )
        return paginated_response(items, ProposalSerializer, request, self)

    @extend_schema(request=ProposalSubmitSerializer, responses={201: ProposalDetailSerializer}, tags=["approvals"])
    def post(self, request):
        data = ProposalSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("suggestion_id") is not None:
            proposal = services.proposal_submit_suggestion(
                actor=request.user,
                suggestion_id=values["suggestion_id"],
                reason=values.get("reason", ""),
                occurrence_id=values.get("occurrence_id"),
                request=request,
            )
        else:
            proposal = services.proposal_submit_sql(
                actor=request.user,
                kind=values["kind"],
                sql=values["sql"],
                reason=values.get("reason", ""),
                connection_id=values.get("connection_id"),
                project_id=values.get("project_id"),
                occurrence_id=values.get("occurrence_id"),
                evidence=values.get("evidence") or {},
                row_limit=values.get("row_limit"),
                request=request,
            )
        return Response(_detail(proposal, request.user), status=status.HTTP_201_CREATED)


class ProposalDetailView(APIView):
    permission_classes = [OrganizationRole]

    @extend_schema(responses={200: ProposalDetailSerializer}, tags=["approvals"])
    def get(self, request, pk):
        proposal = selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
        return Response(_detail(proposal, request.user))


class _ProposalActionView(APIView):
    permission_classes = [OrganizationRole]
    action_name = ""
    success_status = status.HTTP_200_OK
    input_serializer = CommentSerializer

    def act(self, *, proposal, actor, comment, request):
        raise NotImplementedError

    def post(self, request, pk):
        proposal = selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.act(proposal=proposal, actor=request.user, comment=data.validated_data["comment"], request=request)
        return Response(_detail(proposal, request.user), status=self.success_status)


_ACTION_SCHEMA = {"request": CommentSerializer, "responses": {200: ProposalDetailSerializer}, "tags": ["approvals"]}


class ProposalApproveView(_ProposalActionView):
    def act(self, **kwargs):
        services.proposal_approve(**kwargs)

    @extend_schema(**_ACTION_SCHEMA, description="Admins only; not your own proposal when another admin exists.")
    def post(self, request, pk):
        return super().post(request, pk)


class ProposalRejectView(_ProposalActionView):
    input_serializer = RejectionSerializer

    def act(self, **kwargs):
        services.proposal_reject(**kwargs)

    @extend_schema(
        **{**_ACTION_SCHEMA, "request": RejectionSerializer}, description="Admins only; the comment (why) is required."
    )
    def post(self, request, pk):
        return super().post(request, pk)


class ProposalWithdrawView(_ProposalActionView):
    def act(self, **kwargs):
        services.proposal_withdraw(**kwargs)

    @extend_schema(**_ACTION_SCHEMA, description="The proposer withdraws their own open proposal.")
    def post(self, request, pk):
        return super().post(request, pk)


class ProposalApplyView(_ProposalActionView):
    success_status = status.HTTP_202_ACCEPTED

    def act(self, **kwargs):
        services.proposal_apply(**kwargs)

    @extend_schema(
        request=CommentSerializer,
        responses={202: ProposalDetailSerializer},
        tags=["approvals"],
        description="Admins only. Queues the change for the worker: CREATE INDEX CONCURRENTLY, or DDL on "
        "development/staging. 409 on a read-only connection, for DDL on production, or when already applying.",
    )
    def post(self, request, pk):
        return super().post(request, pk)


class ProposalExportView(APIView):
    permission_classes = [OrganizationRole]

    def perform_content_negotiation(self, request, force=False):
        # `?format=` names the file format here, not a DRF renderer; errors still answer in JSON.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["sql", "django", "patch"])],
        responses={
            (200, "text/plain"): OpenApiTypes.STR,
            409: OpenApiResponse(description="Only an approved or applied change is exported."),
        },
        tags=["approvals"],
    )
    def get(self, request, pk):
        proposal = selectors.proposal_get(org=request.user.organization, user=request.user, pk=pk)
        exported = services.proposal_export(
            proposal=proposal, fmt=request.query_params.get("format", ""), actor=request.user, request=request
        )
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response


class MigrationRuleSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    why = serializers.CharField()
    flagged = serializers.ListField(child=serializers.CharField(), help_text="Statements the rule fires on.")
    passes = serializers.ListField(child=serializers.CharField(), help_text="Statements it leaves alone.")
    safer_example = serializers.CharField(allow_blank=True)


@functools.cache
def _migration_rules_encoded() -> bytes:
    """GET /migration-rules: the rules are code, so the document is built and encoded once per process."""
    return JSONRenderer().render(selectors.migration_rules())


class MigrationRuleListView(APIView):
    """Public: the rules describe DBooster's review, not anyone's data."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: MigrationRuleSerializer(many=True)},
        tags=["approvals"],
        summary="The migration-safety rules every schema change is reviewed with",
    )
    def get(self, request):
        return encoded_json(_migration_rules_encoded())


class MigrationRuleDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MigrationRuleSerializer}, tags=["approvals"], summary="One migration-safety rule")
    def get(self, request, rule_id):
        rule = selectors.migration_rule(rule_id)
        if rule is None:
            raise NotFound(f"No migration-safety rule {rule_id!r}.")
        return Response(rule)
