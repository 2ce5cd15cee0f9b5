"""Server-rendered pages: the notifications list and the preferences form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dbooster.errors import DomainError
from dbooster.page_utils import local_path, page_of
from notifications import selectors, services
from notifications.models import NotificationKind


@login_required
def notification_list(request):
    if request.method == "POST":
        changes = {
            kind: {"in_app": f"in_app_{kind}" in request.POST, "email": f"email_{kind}" in request.POST}
            for kind in NotificationKind.values
        }
        services.set_preferences(user=request.user, changes=changes)
        messages.success(request, "Notification preferences saved.")
        return HttpResponseRedirect("/app/notifications/#preferences")
    labels = dict(NotificationKind.choices)
    prefs = [{"kind": k, "label": labels[k], **v} for k, v in selectors.preferences_for(request.user).items()]
    return render(
        request,
        "notifications/notifications.html",
        {
            "page": page_of(request, selectors.notifications_for(user=request.user)),
            "unread": selectors.unread_count(request.user),
            "preferences": prefs,
        },
    )


@login_required
@require_POST
def notification_read(request, pk):
    try:
        notification = services.mark_read(user=request.user, notification_id=pk)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect("/app/notifications/")
    target = local_path(notification.url)
    if request.POST.get("follow") and target:
        return HttpResponseRedirect(target)
    return HttpResponseRedirect("/app/notifications/")


@login_required
@require_POST
def notification_read_all(request):
    services.mark_all_read(user=request.user)
    return HttpResponseRedirect("/app/notifications/")
