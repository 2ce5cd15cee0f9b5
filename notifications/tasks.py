"""Background jobs of notifications (procrastinate): e-mail for the notifications that ask for action."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from notifications.models import Notification
from notifications.services import SEND_EMAIL_TASK, site_link

logger = logging.getLogger(__name__)


@app.task(
    name=SEND_EMAIL_TASK,
    # Jobs queued before the workflow app was split still carry the old name.
    aliases=["workflow.send_notification_email"],
    queue="email",
    retry=RetryStrategy(max_attempts=5, exponential_wait=10),
)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification to its recipient, once. Returns whether a mail went out."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    context = {
        "notification": notification,
        "link": site_link(notification.url),
        "recipient": recipient,
        "preferences_link": site_link("/app/notifications/#preferences"),
    }
    send_mail(
        subject=f"[DBooster] {notification.title}",
        message=render_to_string("notifications/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True
