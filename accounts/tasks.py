"""Background jobs of the accounts app: the e-mails (procrastinate, queue "email")."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from accounts.jobs import SEND_EMAIL_TASK
from accounts.models import User
from dbooster import crypto

logger = logging.getLogger(__name__)

# kind: (subject, template base name under templates/accounts/email/, page the link opens)
EMAILS = {
    "verify_email": ("Your DBooster verification code", "verify_email", "/app/verify/"),
    "reset_password": ("Reset your DBooster password", "reset_password", "/app/reset-password/"),
    "account_exists": ("You already have a DBooster account", "account_exists", "/app/forgot-password/"),
    "email_taken": ("This address already has a DBooster account", "email_taken", "/app/login/"),
}


def _link(page: str, params: dict) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.SITE_URL.rstrip('/')}{page}{query}"


@app.task(
    name=SEND_EMAIL_TASK,
    queue="email",
    # A mail server that is briefly down should not lose the code: 10 s, 100 s, 1000 s.
    retry=RetryStrategy(max_attempts=4, exponential_wait=10),
)
def send_account_email(*, kind: str, to: str, user_id: int | None, sealed: str) -> bool:
    """Render e-mail `kind` (text and HTML) and send it through Django's e-mail backend."""
    subject, template, page = EMAILS[kind]
    secrets = json.loads(crypto.decrypt(sealed, what="e-mail job"))
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if user_id and user is None:
        logger.info("User %s is gone; no %s e-mail sent.", user_id, kind)
        return False
    token = secrets.get("token")
    context = {
        "user": user,
        "email": to,
        "code": secrets.get("code"),
        "link": _link(page, {"token": token} if token else {}),
        "minutes": settings.EMAIL_CODE_TTL_MINUTES,
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"accounts/email/{template}.html", context), "text/html")
    message.send()
    return True
