"""Background jobs of the organizations app (procrastinate, queue "email")."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from organizations.models import Invitation
from organizations.services import INVITATION_EMAIL_TASK, invitation_link

logger = logging.getLogger(__name__)


@app.task(
    name=INVITATION_EMAIL_TASK,
    queue="email",
    # A mail server that is briefly down should not lose the invitation: 10 s, 100 s, 1000 s, ...
    retry=RetryStrategy(max_attempts=5, exponential_wait=10),
)
def send_invitation_email(invitation_id: int) -> bool:
    """E-mail the accept link of a pending invitation. Returns whether a mail went out.

    The invitation may have been revoked (or deleted with its organization) since the
    job was queued: then there is nothing to send.
    """
    invitation = (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(pk=invitation_id, status=Invitation.Status.PENDING)
        .first()
    )
    if invitation is None:
        logger.info("Invitation %s is no longer pending; no e-mail sent.", invitation_id)
        return False
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else "An admin",
        "link": invitation_link(invitation),
    }
    send_mail(
        subject=f"You are invited to join {invitation.organization.name} on DBooster",
        message=render_to_string("organizations/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    return True
