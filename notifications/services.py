"""In-app notifications, and e-mail for the ones that ask for action.

Other apps call `notify(...)`; it stores one row per recipient who has the kind
turned on, and queues an e-mail job (run by the worker) for those who want e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dbooster import jobs
from dbooster.errors import NotFound
from notifications.models import Notification, NotificationKind, NotificationPreference
from notifications.selectors import default_preference, preferences_for

SEND_EMAIL_TASK = "notifications.send_notification_email"  # notifications/tasks.py

# Kinds sent at most once per recipient and target, whoever calls notify (a signal and a service may both try).
_ONCE_PER_TARGET = frozenset({NotificationKind.INVITATION})


def _unique_recipients(recipients) -> list:
    seen, result = set(), []
    for user in recipients or []:
        if user is None or user.pk in seen or not getattr(user, "is_active", True):
            continue
        seen.add(user.pk)
        result.append(user)
    return result


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    target=None,
) -> list[Notification]:
    """Notify each recipient (users) of `kind`; returns the notifications stored.

    Honours preferences: a kind turned off in-app stores nothing for that user; e-mail is
    sent by the worker after the surrounding transaction commits.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    users = _unique_recipients(recipients)
    if not users:
        return []
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=users, kind=kind)}
    if kind in _ONCE_PER_TARGET and target is not None:
        already = set(
            Notification.objects.filter(
                kind=kind, target_type=target_type, target_id=target_id, recipient__in=users
            ).values_list("recipient_id", flat=True)
        )
        users = [u for u in users if u.pk not in already]

    created, to_email = [], []
    for user in users:
        pref = prefs.get(user.pk)
        wants = {"in_app": pref.in_app, "email": pref.email} if pref else default_preference(kind)
        if not (wants["in_app"] or wants["email"]):
            continue
        notification = Notification.objects.create(
            recipient=user,
            kind=kind,
            title=title[:200],
            body=body,
            url=url[:500],
            target_type=target_type,
            target_id=target_id,
            # Turned off in-app but wanted by e-mail: stored for the e-mail job, already read.
            read_at=None if wants["in_app"] else timezone.now(),
        )
        created.append(notification)
        if wants["email"] and user.email:
            to_email.append(notification.pk)
    if to_email:
        transaction.on_commit(lambda: _queue_emails(to_email))
    return created


def _queue_emails(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        jobs.defer(SEND_EMAIL_TASK, notification_id=notification_id)


def mark_read(*, user, notification_id: int) -> Notification:
    try:
        notification = Notification.objects.get(pk=notification_id, recipient=user)
    except Notification.DoesNotExist:
        raise NotFound("Notification not found.") from None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def set_preferences(*, user, changes: dict[str, dict]) -> dict[str, dict]:
    """Store the user's choices: `{kind: {"in_app": bool, "email": bool}}` (either key optional)."""
    current = preferences_for(user)
    for kind, values in changes.items():
        merged = {**current[kind], **{k: bool(v) for k, v in values.items() if k in ("in_app", "email")}}
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults=merged)
    return preferences_for(user)


def site_link(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")
