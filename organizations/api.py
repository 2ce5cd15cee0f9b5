"""Organizations, members and invitations: serializers and thin views over the services."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dbooster.api import paginated_list, paginated_response
from dbooster.permissions import OrganizationRole
from dbooster.roles import Role
from dbooster.verified import VerifiedEmail
from organizations import selectors, services
from organizations.models import Invitation, Organization


class OrganizationSerializer(serializers.ModelSerializer):
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "plan", "created_at", "member_count"]
        read_only_fields = fields

    def get_member_count(self, org) -> int:
        count = getattr(org, "member_count", None)
        return count if count is not None else org.members.count()


class OrganizationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)

    def validate_name(self, value):
        if not value.strip():
            raise serializers.ValidationError("The name cannot be blank.")
        return value.strip()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField(allow_null=True)
    picture = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices)
    created_at = serializers.DateTimeField()


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as its organization sees it. The token is never returned: it travels by e-mail only."""

    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "invited_by", "created_at", "accepted_at"]
        read_only_fields = fields

    def get_invited_by(self, invitation) -> str | None:
        return invitation.invited_by.email if invitation.invited_by else None


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)


AcceptedSerializer = inline_serializer(
    "InvitationAccepted",
    {"organization": OrganizationSerializer(), "role": serializers.ChoiceField(choices=Role.choices)},
)


def _current(request) -> Organization:
    return selectors.organization_get(pk=request.user.organization_id)


class OrganizationListView(APIView):
    """Signed-in users without an organization may list (none) and create one."""

    permission_classes = [IsAuthenticated]

    @paginated_list(OrganizationSerializer, tags=["organizations"])
    def get(self, request):
        return paginated_response(
            selectors.organization_list_for(user=request.user), OrganizationSerializer, request, self
        )

    @extend_schema(
        request=OrganizationInputSerializer,
        responses={201: OrganizationSerializer},
        tags=["organizations"],
        description="Create an organization; you become its admin. 409 `already_in_organization` when your "
        "current organization has other members; if you are its only member and it holds no projects, "
        "it is deleted and you move to the new one.",
    )
    def post(self, request):
        data = OrganizationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organization_create_for(user=request.user, name=data.validated_data["name"], request=request)
        return Response(
            OrganizationSerializer(selectors.organization_get(pk=org.pk)).data, status=status.HTTP_201_CREATED
        )


class OrganizationCurrentView(APIView):
    permission_classes = [OrganizationRole]
    write_role = Role.ADMIN

    @extend_schema(responses={200: OrganizationSerializer}, tags=["organizations"])
    def get(self, request):
        return Response(OrganizationSerializer(_current(request)).data)

    @extend_schema(request=OrganizationInputSerializer, responses={200: OrganizationSerializer}, tags=["organizations"])
    def patch(self, request):
        data = OrganizationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.organization_rename(
            org=_current(request), name=data.validated_data["name"], actor=request.user, request=request
        )
        return Response(OrganizationSerializer(_current(request)).data)


class MemberListView(APIView):
    permission_classes = [OrganizationRole]

    @paginated_list(MemberSerializer, tags=["organizations"])
    def get(self, request):
        return paginated_response(selectors.member_list(org=request.user.organization), MemberSerializer, request, self)


class MemberDetailView(APIView):
    permission_classes = [OrganizationRole]
    write_role = Role.ADMIN

    @extend_schema(
        request=MemberRoleSerializer,
        responses={200: MemberSerializer},
        tags=["organizations"],
        description="Change a member's role (admin only). 409 `last_admin` when it would leave no admin.",
    )
    def patch(self, request, pk):
        member = selectors.member_get(org=request.user.organization, pk=pk)
        data = MemberRoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.member_change_role(
            org=request.user.organization,
            member=member,
            role=data.validated_data["role"],
            actor=request.user,
            request=request,
        )
        return Response(MemberSerializer(member).data)

    @extend_schema(
        responses={204: None},
        tags=["organizations"],
        description="Remove a member from the organization (admin only). 409 `last_admin` for the last admin.",
    )
    def delete(self, request, pk):
        member = selectors.member_get(org=request.user.organization, pk=pk)
        services.member_remove(org=request.user.organization, member=member, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(APIView):
    permission_classes = [OrganizationRole, VerifiedEmail]
    write_role = Role.ADMIN

    @paginated_list(InvitationSerializer, tags=["organizations"])
    def get(self, request):
        return paginated_response(
            selectors.invitation_list(org=request.user.organization), InvitationSerializer, request, self
        )

    @extend_schema(
        request=InvitationInputSerializer,
        responses={201: InvitationSerializer},
        tags=["organizations"],
        description="Invite someone by e-mail (admin only); the accept link is e-mailed by a background job. "
        "402 when the plan's seats (members + pending invitations) are used up.",
    )
    def post(self, request):
        data = InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            org=request.user.organization,
            email=data.validated_data["email"],
            role=data.validated_data["role"],
            invited_by=request.user,
            request=request,
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(APIView):
    permission_classes = [OrganizationRole]
    write_role = Role.ADMIN

    @extend_schema(responses={204: None}, tags=["organizations"], description="Revoke a pending invitation.")
    def delete(self, request, pk):
        invitation = selectors.invitation_get(org=request.user.organization, pk=pk)
        services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={200: AcceptedSerializer},
        tags=["organizations"],
        description="Join the invitation's organization with the invited role. Your e-mail must match (403); "
        "an unknown or revoked token is 404, a used one 409.",
    )
    def post(self, request):
        data = InvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_accept(token=data.validated_data["token"], user=request.user, request=request)
        org = selectors.organization_get(pk=invitation.organization_id)
        return Response({"organization": OrganizationSerializer(org).data, "role": invitation.role})
