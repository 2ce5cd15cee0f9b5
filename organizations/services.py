"""Writes for organizations, members and invitations.

Membership rules (a user belongs to one organization, as in the seed):

- Creating an organization makes the creator its admin. Someone whose current
  organization has other members cannot create another one (409
  `already_in_organization`): they would leave those people behind.
- Moving to another organization (creating one, or accepting an invitation)
  leaves the current one. If the user is its only member it is deleted when
  empty, and the move is refused (409 `organization_not_empty`) while it still
  holds projects or a paid plan, so nothing stored or paid for is lost. The last admin of an organization
  with other members cannot leave it (409 `last_admin`).
- The last admin cannot demote or remove themself (409 `last_admin`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from audit import services as audit
from dbooster import jobs
from dbooster.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dbooster.roles import Role
from organizations import selectors
from organizations.models import Invitation, Organization
from plans.quotas import enforce_quota

INVITATION_EMAIL_TASK = "organizations.send_invitation_email"  # organizations/tasks.py


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("The organization name cannot be blank.", code="blank")
    if len(name) > 200:
        raise InvalidInput("The organization name can have at most 200 characters.", code="max_length")
    return name


def _name_taken(name: str) -> Conflict:
    return Conflict(f"An organization named {name!r} already exists.", code="name_taken")


@transaction.atomic
def organization_create(*, name: str, creator, role: str = Role.ADMIN) -> Organization:
    """A new organization with `creator` as its first member (an admin).

    The low-level step used by sign-up; the API goes through `organization_create_for`.
    """
    name = _clean_name(name)
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name)
    except IntegrityError:
        raise _name_taken(name) from None
    creator.organization = org
    creator.role = role
    creator.save(update_fields=["organization", "role"])
    return org


def _other_members(user):
    return get_user_model().objects.filter(organization_id=user.organization_id).exclude(pk=user.pk)


def _leave_current_organization(*, user, request=None) -> None:
    """Take `user` out of their organization before they join another (see the module rules)."""
    old = user.organization
    if old is None:
        return
    others = _other_members(user)
    if others.exists():
        if user.role == Role.ADMIN and not others.filter(role=Role.ADMIN, is_active=True).exists():
            raise Conflict(
                f"You are the last admin of {old.name!r}: make another member admin before you leave.",
                code="last_admin",
            )
        audit.record(action="organization.member_leave", actor=user, organization=old, target=user, request=request)
        return
    if old.plan != "free":
        raise Conflict(
            f"Your organization {old.name!r} is on the paid {old.plan} plan and you are its only member: "
            "cancel the plan on the billing page first, or rename your organization instead.",
            code="organization_not_empty",
        )
    held = _stored_in(old)
    if held:
        raise Conflict(
            f"Your organization {old.name!r} still holds {', '.join(held)} and you are its only member: "
            "delete or move them first, or rename your organization instead.",
            code="organization_not_empty",
        )
    audit.record(action="organization.delete", actor=user, organization=None, target=old, request=request)
    user.organization = None
    user.save(update_fields=["organization"])
    old.delete()


def leave_current_organization(*, user, request=None) -> None:
    """`user` leaves their organization for good (account deletion), under the rules above."""
    _leave_current_organization(user=user, request=request)


def _stored_in(org) -> list[str]:
    """What deleting `org` would delete with it, e.g. ["2 projects"].

    Looks at every relation that cascades from an organization, so what later apps
    store (connections, scans, proposals, billing) counts without this list changing.
    Invitations are the organization's own paperwork and go with it.
    """
    held = []
    for relation in Organization._meta.related_objects:
        if relation.on_delete is not models.CASCADE or relation.related_model is Invitation:
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: org}).count()
        if count:
            meta = relation.related_model._meta
            held.append(f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}")
    return held


@transaction.atomic
def organization_create_for(*, user, name: str, request=None) -> Organization:
    """The API's create: `user` becomes the admin of a new organization."""
    name = _clean_name(name)
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.organization_id is not None and _other_members(user).exists():
        raise Conflict(
            f"You already belong to {user.organization.name!r}, which has other members. "
            "A user belongs to one organization: leave it (or ask an admin to remove you) first.",
            code="already_in_organization",
        )
    if Organization.objects.filter(name=name).exists():
        raise _name_taken(name)
    _leave_current_organization(user=user, request=request)
    org = organization_create(name=name, creator=user, role=Role.ADMIN)
    audit.record(action="organization.create", actor=user, organization=org, target=org, request=request)
    return org


@transaction.atomic
def organization_rename(*, org: Organization, name: str, actor, request=None) -> Organization:
    name = _clean_name(name)
    if name == org.name:
        return org
    old_name = org.name
    org.name = name
    try:
        with transaction.atomic():
            org.save(update_fields=["name"])
    except IntegrityError:
        org.name = old_name
        raise _name_taken(name) from None
    audit.record(
        action="organization.rename",
        actor=actor,
        organization=org,
        target=org,
        request=request,
        metadata={"from": old_name, "to": name},
    )
    return org


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}; use one of: {', '.join(Role.values)}.", code="invalid_choice")
    return role


def _refuse_losing_last_admin(*, org, member, action: str) -> None:
    if member.role == Role.ADMIN and selectors.admin_count(org=org) <= 1:
        raise Conflict(
            f"{member.email} is the last admin of {org.name!r} and cannot be {action}: make another member admin first.",
            code="last_admin",
        )


@transaction.atomic
def member_change_role(*, org: Organization, member, role: str, actor, request=None):
    role = _check_role(role)
    member = get_user_model().objects.select_for_update().get(pk=member.pk)
    if member.organization_id != org.pk:
        raise NotFound("User not found.")
    if member.role == role:
        return member
    if role != Role.ADMIN:
        _refuse_losing_last_admin(org=org, member=member, action="demoted")
    old_role = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit.record(
        action="organization.member_role_change",
        actor=actor,
        organization=org,
        target=member,
        request=request,
        metadata={"from": old_role, "to": role},
    )
    return member


@transaction.atomic
def member_remove(*, org: Organization, member, actor, request=None) -> None:
    member = get_user_model().objects.select_for_update().get(pk=member.pk)
    if member.organization_id != org.pk:
        raise NotFound("User not found.")
    _refuse_losing_last_admin(org=org, member=member, action="removed")
    member.organization = None
    member.role = Role.MEMBER
    member.save(update_fields=["organization", "role"])
    audit.record(action="organization.member_remove", actor=actor, organization=org, target=member, request=request)


def invitation_link(invitation: Invitation) -> str:
    """The page the invitee opens to accept: it asks them to sign in or sign up first."""
    return f"{settings.SITE_URL.rstrip('/')}/app/invitations/accept/?{urlencode({'token': invitation.token})}"


def _normalize_email(email: str) -> str:
    email = get_user_model().objects.normalize_email((email or "").strip()).lower()
    if not email or "@" not in email:
        raise InvalidInput("Enter a valid e-mail address.", code="invalid_email")
    return email


@transaction.atomic
def invitation_create(
    *, org: Organization, email: str, role: str = Role.MEMBER, invited_by, request=None
) -> Invitation:
    """Invite `email` into `org` with `role`; the e-mail goes out from a background job after commit."""
    email = _normalize_email(email)
    role = _check_role(role)
    # Serialise invitations per organization so two at once cannot both squeeze under the seat limit.
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    if get_user_model().objects.filter(organization=org, email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of {org.name!r}.", code="already_member")
    if Invitation.objects.filter(organization=org, email=email, status=Invitation.Status.PENDING).exists():
        raise Conflict(
            f"{email} already has a pending invitation; revoke it first to send a new one.", code="already_invited"
        )
    enforce_quota(organization=org, resource="seats", used=selectors.seats_used(org=org))
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(organization=org, email=email, role=role, invited_by=invited_by)
    except IntegrityError:
        raise Conflict(f"{email} already has a pending invitation.", code="already_invited") from None
    audit.record(
        action="organization.invitation_create",
        actor=invited_by,
        organization=org,
        target=invitation,
        request=request,
        metadata={"email": email, "role": role},
    )
    invitation_id = invitation.pk
    transaction.on_commit(lambda: jobs.defer(INVITATION_EMAIL_TASK, invitation_id=invitation_id))
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor, request=None) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(f"This invitation is already {invitation.status}.", code=f"invitation_{invitation.status}")
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit.record(
        action="organization.invitation_revoke",
        actor=actor,
        organization=invitation.organization,
        target=invitation,
        request=request,
        metadata={"email": invitation.email},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user, request=None) -> Invitation:
    """The signed-in `user` joins the invitation's organization with the invited role."""
    found = selectors.invitation_by_token(token=token)
    if found is None:
        raise NotFound("This invitation does not exist; ask for a new one.", code="invitation_not_found")
    invitation = Invitation.objects.select_for_update().select_related("organization").get(pk=found.pk)
    if invitation.status == Invitation.Status.REVOKED:
        raise NotFound("This invitation was revoked; ask an admin for a new one.", code="invitation_revoked")
    if invitation.status == Invitation.Status.ACCEPTED:
        raise Conflict("This invitation has already been used.", code="invitation_used")
    if invitation.email.lower() != (user.email or "").lower():
        raise PermissionDenied(
            f"This invitation was sent to another e-mail address; sign in as that address to accept it "
            f"(you are signed in as {user.email}).",
            code="email_mismatch",
        )
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    org = invitation.organization
    if user.organization_id == org.pk:
        raise Conflict(f"You already belong to {org.name!r}.", code="already_member")
    _leave_current_organization(user=user, request=request)
    user.organization = org
    user.role = invitation.role
    user.save(update_fields=["organization", "role"])
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_at"])
    audit.record(
        action="organization.invitation_accept",
        actor=user,
        organization=org,
        target=invitation,
        request=request,
        metadata={"role": invitation.role},
    )
    return invitation
