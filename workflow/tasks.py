"""Background jobs of the workflow app (procrastinate): notification e-mail and applying approved changes."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from dbooster import jobs
from workflow import services as workflow_services
from workflow.models import Notification
from workflow.notifications import site_link

logger = logging.getLogger(__name__)


@app.task(
    name="workflow.send_notification_email",
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
        message=render_to_string("workflow/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient.email],
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


@app.task(name="workflow.apply_proposal", queue="apply")
def apply_proposal(attempt_id: int) -> str:
    """Run one approved change on its target database (see workflow.applying)."""
    from workflow.services import run_apply_attempt

    return run_apply_attempt(attempt_id=attempt_id)


jobs.on_lost_job("workflow.apply_proposal", workflow_services.apply_lost)
