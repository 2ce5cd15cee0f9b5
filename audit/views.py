"""Server-rendered pages: the audit log and its CSV export (organization admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render

from audit import api, selectors
from audit.models import AuditEvent
from dbooster.errors import DomainError
from dbooster.page_utils import page_of
from dbooster.roles import is_org_admin


@login_required
def audit_list(request):
    if not is_org_admin(request.user):
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
        "audit/audit.html",
        {
            "page": page_of(request, events),
            "filters": filters,
            "error": error,
            "outcomes": AuditEvent.Outcome.values,
            "actions": selectors.audit_actions(org=request.user.organization),
            "querystring": query.urlencode(),
        },
    )


@login_required
def audit_export(request):
    if not is_org_admin(request.user):
        return HttpResponseForbidden("Only organization admins can export the audit log.")
    try:
        return api.audit_csv_response(request=request, org=request.user.organization, filters=request.GET.dict())
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect("/app/audit/")
