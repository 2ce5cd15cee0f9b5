"""Billing jobs for the procrastinate worker."""

from __future__ import annotations

from django.conf import settings
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app

from billing import webhooks
from billing.services import PROCESS_EVENT_TASK


class SettingsBackoff(BaseRetryStrategy):
    """Exponential backoff read from settings when a job fails, so deployments (and tests) can tune it.

    Waits BILLING_RETRY_BASE_SECONDS * 2**attempt; gives up after BILLING_RETRY_MAX_ATTEMPTS runs. An event whose
    job gave up stays `failed` in billing_webhook_events with its error; `manage.py billing_requeue_events` (or
    the admin action) queues it again, so nothing Stripe sent is lost.
    """

    def get_retry_decision(self, *, exception, job):
        if job.attempts + 1 >= settings.BILLING_RETRY_MAX_ATTEMPTS:
            return None
        return RetryDecision(retry_in={"seconds": settings.BILLING_RETRY_BASE_SECONDS * 2**job.attempts})


@app.task(name=PROCESS_EVENT_TASK, queue="billing", retry=SettingsBackoff())
def process_stripe_event(event_pk: int) -> str:
    return webhooks.process_event(event_pk=event_pk)
