"""The organization page (members, roles, invitations) and the invitation accept page.

Every action is a POST form that calls the same service as the API, then
redirects back with a message (post/redirect/get).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dbooster.errors import DomainError, NotFound
from dbooster.roles import Role
from dbooster.verified import verified_required
from organizations import selectors, services
from organizations.page_access import ORGANIZATION_PAGE, flash_domain_error, not_found, role_required


class OrganizationNameForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organization name")


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254, label="E-mail")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def _form_errors(form) -> str:
    return " ".join(
        f"{'' if field == '__all__' else field + ': '}{' '.join(errs)}" for field, errs in form.errors.items()
    )


@role_required(needs_organization=False)
def organization_page(request, invite_form=None, name_form=None, status=200):
    user = request.user
    if user.organization_id is None:
        form = name_form or OrganizationNameForm()
        return render(request, "organizations/no_organization.html", {"form": form}, status=status)
    org = selectors.organization_get(pk=user.organization_id)
    context = {
        "organization": org,
        "members": selectors.member_list(org=org),
        "invitations": selectors.invitation_list(org=org),
        "is_admin": user.role == Role.ADMIN,
        "roles": Role.choices,
        "invite_form": invite_form or InviteForm(),
        "name_form": name_form or OrganizationNameForm(initial={"name": org.name}),
        "seats_used": selectors.seats_used(org=org),
        # A plan limit (402) gets a way out next to the message.
        "upgrade": status == 402,
    }
    return render(request, "organizations/organization.html", context, status=status)


@require_POST
@role_required(needs_organization=False)
def organization_create(request):
    form = OrganizationNameForm(request.POST)
    if not form.is_valid():
        return organization_page(request, name_form=form, status=400)
    try:
        org = services.organization_create_for(user=request.user, name=form.cleaned_data["name"], request=request)
    except DomainError as exc:
        form.add_error("name", exc.detail)
        return organization_page(request, name_form=form, status=exc.status_code)
    messages.success(request, f"Organization {org.name} created; you are its admin.")
    return redirect(ORGANIZATION_PAGE)


@require_POST
@role_required(Role.ADMIN)
def organization_rename(request):
    form = OrganizationNameForm(request.POST)
    if not form.is_valid():
        return organization_page(request, name_form=form, status=400)
    try:
        services.organization_rename(
            org=request.user.organization, name=form.cleaned_data["name"], actor=request.user, request=request
        )
    except DomainError as exc:
        form.add_error("name", exc.detail)
        return organization_page(request, name_form=form, status=exc.status_code)
    messages.success(request, "Organization renamed.")
    return redirect(ORGANIZATION_PAGE)


@require_POST
@role_required(Role.ADMIN)
def member_role(request, pk: int):
    try:
        member = selectors.member_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "member")
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(ORGANIZATION_PAGE)
    try:
        services.member_change_role(
            org=request.user.organization,
            member=member,
            role=form.cleaned_data["role"],
            actor=request.user,
            request=request,
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, f"{member.email} is now {form.cleaned_data['role']}.")
    return redirect(ORGANIZATION_PAGE)


@require_POST
@role_required(Role.ADMIN)
def member_remove(request, pk: int):
    try:
        member = selectors.member_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "member")
    try:
        services.member_remove(org=request.user.organization, member=member, actor=request.user, request=request)
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, f"{member.email} was removed from the organization.")
    return redirect(ORGANIZATION_PAGE)


@require_POST
@role_required(Role.ADMIN)
@verified_required
def invitation_create(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return organization_page(request, invite_form=form, status=400)
    try:
        invitation = services.invitation_create(
            org=request.user.organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
            request=request,
        )
    except DomainError as exc:
        form.add_error("email", exc.detail)
        return organization_page(request, invite_form=form, status=exc.status_code)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect(ORGANIZATION_PAGE)


@require_POST
@role_required(Role.ADMIN)
def invitation_revoke(request, pk: int):
    try:
        invitation = selectors.invitation_get(org=request.user.organization, pk=pk)
    except NotFound:
        return not_found(request, "invitation")
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return redirect(ORGANIZATION_PAGE)


@require_http_methods(["GET", "POST"])
def invitation_accept(request):
    """The link in the invitation e-mail. Signing in (or up) first brings the visitor back here."""
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    invitation = selectors.invitation_by_token(token=token)
    if request.method == "POST":
        try:
            services.invitation_accept(token=token, user=request.user, request=request)
        except DomainError as exc:
            return render(
                request,
                "organizations/accept.html",
                {"invitation": invitation, "token": token, "error": exc.detail},
                status=exc.status_code,
            )
        messages.success(request, f"Welcome to {invitation.organization.name}!")
        return redirect(ORGANIZATION_PAGE)
    error = None
    if invitation is None or invitation.status == invitation.Status.REVOKED:
        error = "This invitation does not exist or was revoked; ask an admin for a new one."
    elif invitation.status == invitation.Status.ACCEPTED:
        error = "This invitation has already been used."
    elif invitation.email.lower() != request.user.email.lower():
        error = (
            f"This invitation was sent to another e-mail address; you are signed in as {request.user.email}. "
            "Sign out and sign in (or sign up) with the invited address."
        )
    context = {"invitation": invitation if error is None else None, "token": token, "error": error}
    return render(request, "organizations/accept.html", context, status=404 if invitation is None else 200)
