"""Reads of notifications and notification preferences."""

from __future__ import annotations

from django.db.models import Q

from notifications.models import ACTION_KINDS, Notification, NotificationKind, NotificationPreference

UNREAD = Q(read_at__isnull=True)


def notifications_for(*, user, unread_only: bool = False):
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(UNREAD)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(UNREAD, recipient=user).count()


def default_preference(kind: str) -> dict:
    return {"in_app": True, "email": kind in ACTION_KINDS}


def preferences_for(user) -> dict[str, dict]:
    """Every kind with the user's choice, defaults filled in."""
    stored = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    result = {}
    for kind in NotificationKind.values:
        pref = stored.get(kind)
        result[kind] = {"in_app": pref.in_app, "email": pref.email} if pref else default_preference(kind)
    return result
