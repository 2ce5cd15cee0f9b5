"""Reads for organizations, members and invitations."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from dbooster.api import get_for_org
from dbooster.errors import NotFound
from organizations.models import Invitation, Organization


def organization_list_for(*, user):
    """The organizations `user` belongs to: at most one (a user belongs to one organization)."""
    if user.organization_id is None:
        return Organization.objects.none()
    return with_member_count(Organization.objects.filter(pk=user.organization_id)).order_by("name")


def with_member_count(queryset):
    return queryset.annotate(member_count=Count("members", distinct=True))


def organization_get(*, pk) -> Organization:
    organization = with_member_count(Organization.objects.filter(pk=pk)).first()
    if organization is None:
        raise NotFound("Organization not found.")
    return organization


def member_list(*, org):
    return get_user_model().objects.filter(organization=org).order_by("email")


def member_get(*, org, pk):
    return get_for_org(get_user_model().objects.all(), org, pk=pk)


def admin_count(*, org) -> int:
    return get_user_model().objects.filter(organization=org, role="admin", is_active=True).count()


def invitation_list(*, org):
    """Pending invitations; accepted and revoked ones stay in the table for the record."""
    return (
        Invitation.objects.filter(organization=org, status=Invitation.Status.PENDING)
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_get(*, org, pk) -> Invitation:
    return get_for_org(Invitation.objects.select_related("invited_by"), org, pk=pk)


def invitation_by_token(*, token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    return Invitation.objects.select_related("organization", "invited_by").filter(token=token).first()


def seats_used(*, org) -> int:
    """Seats a plan counts: members plus invitations still waiting for an answer."""
    counts = Organization.objects.filter(pk=org.pk).aggregate(
        members=Count("members", distinct=True),
        pending=Count("invitations", filter=Q(invitations__status=Invitation.Status.PENDING), distinct=True),
    )
    return (counts["members"] or 0) + (counts["pending"] or 0)
