"""Server-rendered pages: notifications, the audit log, the approvals inbox."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dbooster.errors import DomainError
from dbooster.roles import Role, role_at_least
from workflow import api, notifications, selectors
from workflow.models import AuditEvent, NotificationKind


def _page(request, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@login_required
def notification_list(request):
    if request.method == "POST":
        changes = {
            kind: {"in_app": f"in_app_{kind}" in request.POST, "email": f"email_{kind}" in request.POST}
            for kind in NotificationKind.values
        }
        notifications.set_preferences(user=request.user, changes=changes)
        messages.success(request, "Notification preferences saved.")
        return HttpResponseRedirect("/app/notifications/#preferences")
    labels = dict(NotificationKind.choices)
    prefs = [{"kind": k, "label": labels[k], **v} for k, v in notifications.preferences_for(request.user).items()]
    return render(
        request,
        "workflow/notifications.html",
        {
            "page": _page(request, selectors.notifications_for(user=request.user)),
            "unread": notifications.unread_count(request.user),
            "preferences": prefs,
        },
    )


@login_required
@require_POST
def notification_read(request, pk):
    try:
        notification = notifications.mark_read(user=request.user, notification_id=pk)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect("/app/notifications/")
    if request.POST.get("follow") and notification.url.startswith("/"):
        return HttpResponseRedirect(notification.url)
    return HttpResponseRedirect("/app/notifications/")


@login_required
@require_POST
def notification_read_all(request):
    notifications.mark_all_read(user=request.user)
    return HttpResponseRedirect("/app/notifications/")


def _is_org_admin(user) -> bool:
    return user.organization_id is not None and role_at_least(user.role, Role.ADMIN)


@login_required
def audit_list(request):
    if not _is_org_admin(request.user):
        return HttpResponseForbidden("Only organization admins can read the audit log.")
    filters = {k: request.GET.get(k, "") for k in selectors.AUDIT_FILTERS}
    error = ""
    try:
        events = selectors.audit_events(org=request.user.organization, filters=filters)
    except DomainError as exc:
        error, events = exc.detail, AuditEvent.objects.none()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workflow/audit.html",
        {
            "page": _page(request, events),
            "filters": filters,
            "error": error,
            "outcomes": AuditEvent.Outcome.values,
            "actions": selectors.audit_actions(org=request.user.organization),
            "querystring": query.urlencode(),
        },
    )


@login_required
def audit_export(request):
    if not _is_org_admin(request.user):
        return HttpResponseForbidden("Only organization admins can export the audit log.")
    try:
        return api.audit_csv_response(request=request, org=request.user.organization, filters=request.GET.dict())
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect("/app/audit/")
