"""Billing writes: payment details, Stripe customers, checkout and portal sessions, receiving webhooks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import transaction

from audit import services as audit
from billing import gateway
from billing.models import BillingCustomer, Subscription, UserPaymentDetails, WebhookEvent
from dbooster import jobs
from dbooster.errors import Conflict, InvalidInput, ServiceUnavailable
from organizations.models import Organization
from plans.limits import PLANS

# What each known provider's identifier looks like. Stripe: a customer id. PayPal: a payer id
# (13 capital letters or digits) or a billing agreement id (B- and 17 more).
PROCESS_EVENT_TASK = "billing.process_stripe_event"  # billing/tasks.py

IDENTIFIER_FORMATS = {
    "stripe": (re.compile(r"cus_[A-Za-z0-9]+"), "a Stripe customer id such as cus_ABC123"),
    "paypal": (
        re.compile(r"[A-Z0-9]{13}|B-[A-Z0-9]{17}"),
        "a PayPal payer id (13 capital letters or digits) or billing agreement id (B-XXXXXXXXXXXXXXXXX)",
    ),
}


def _field_error(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code=code, extra={"errors": {field: [message]}})


def validate_payment_identifier(provider: str, identifier: str) -> None:
    if provider not in IDENTIFIER_FORMATS:
        known = ", ".join(IDENTIFIER_FORMATS)
        raise _field_error(
            "provider", f"Unknown payment provider {provider!r}; known providers: {known}.", "unknown_provider"
        )
    pattern, description = IDENTIFIER_FORMATS[provider]
    if not pattern.fullmatch(identifier):
        raise _field_error("payment_identifier", f"{identifier!r} is not {description}.", "invalid_payment_identifier")


def _store_payment_details(*, user, provider: str, identifier: str) -> tuple[UserPaymentDetails, bool]:
    return UserPaymentDetails.objects.update_or_create(
        user=user, defaults={"provider": provider, "payment_identifier": identifier}
    )


@transaction.atomic
def payment_details_save(
    *, user, provider: str, payment_identifier: str, request=None
) -> tuple[UserPaymentDetails, bool]:
    """Create or update the user's payment details. Returns (details, created)."""
    provider = provider.strip().lower()
    identifier = payment_identifier.strip()
    validate_payment_identifier(provider, identifier)
    details, created = _store_payment_details(user=user, provider=provider, identifier=identifier)
    audit.record(
        action="billing.payment_details_save",
        actor=user,
        target=details,
        request=request,
        metadata={"provider": provider, "created": created},
    )
    return details, created


@transaction.atomic
def customer_ensure(*, org, user, request=None) -> BillingCustomer:
    """The organization's Stripe customer, created at Stripe on first use."""
    # The row lock makes two admins clicking at once create one customer, not two.
    Organization.objects.select_for_update().get(pk=org.pk)
    existing = BillingCustomer.objects.filter(organization=org).first()
    if existing is not None:
        return existing
    with gateway.stripe_errors():
        customer = gateway.client().v1.customers.create(
            params={"name": org.name, "email": user.email, "metadata": {"organization_id": str(org.pk)}},
            options={"idempotency_key": f"dbooster-org-{org.pk}-customer"},
        )
    billing_customer = BillingCustomer.objects.create(organization=org, stripe_customer_id=customer.id, created_by=user)
    audit.record(
        action="billing.customer_create",
        actor=user,
        organization=org,
        target=billing_customer,
        request=request,
        metadata={"stripe_customer_id": customer.id},
    )
    return billing_customer


def _live_subscription(org) -> Subscription | None:
    return Subscription.objects.filter(organization=org, status__in=Subscription.LIVE_STATUSES).first()


def checkout_session_create(*, org, user, plan: str, request=None) -> dict:
    """A Stripe Checkout session (subscription mode) for `plan`; returns its id and the url to send people to."""
    price = gateway.price_for_plan(plan)
    live = _live_subscription(org)
    if live is not None:
        raise Conflict(
            f"Your organization already has a {PLANS.get(live.plan, {}).get('name', live.plan)} subscription "
            f"({live.status}); change or cancel it in the billing portal.",
            code="already_subscribed",
        )
    customer = customer_ensure(org=org, user=user, request=request)
    # The customer id is the payment identifier of the admin who pays.
    _store_payment_details(user=user, provider="stripe", identifier=customer.stripe_customer_id)
    page = gateway.billing_page_url()
    metadata = {"organization_id": str(org.pk), "plan": plan}
    with gateway.stripe_errors():
        session = gateway.client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer.stripe_customer_id,
                "line_items": [{"price": price, "quantity": 1}],
                "success_url": page + "?checkout=success&session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": page + "?checkout=cancelled",
                "client_reference_id": str(org.pk),
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            }
        )
    audit.record(
        action="billing.checkout_start",
        actor=user,
        organization=org,
        target=customer,
        request=request,
        metadata={"plan": plan, "checkout_session": session.id},
    )
    return {"session_id": session.id, "url": session.url}


def portal_session_create(*, org, user, request=None) -> dict:
    """A Stripe billing-portal session to change the card, switch plans or cancel."""
    customer = BillingCustomer.objects.filter(organization=org).first()
    if customer is None:
        raise Conflict("Your organization has no Stripe customer yet: choose a plan first.", code="no_customer")
    with gateway.stripe_errors():
        session = gateway.client().v1.billing_portal.sessions.create(
            params={"customer": customer.stripe_customer_id, "return_url": gateway.billing_page_url()}
        )
    audit.record(action="billing.portal_open", actor=user, organization=org, target=customer, request=request)
    return {"url": session.url}


def _verify_signature(payload: bytes, signature: str | None) -> dict:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise ServiceUnavailable("Stripe webhooks are not configured: STRIPE_WEBHOOK_SECRET is not set.")
    try:
        stripe.Webhook.construct_event(payload, signature or "", secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        raise InvalidInput(f"Invalid Stripe signature: {exc.user_message or exc}", code="bad_signature") from None
    except (ValueError, TypeError, AttributeError, KeyError):
        raise InvalidInput("The webhook body is not a Stripe event.", code="bad_payload") from None
    data = json.loads(payload)
    if not (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and data["id"].startswith("evt_")
        and isinstance(data.get("type"), str)
        and isinstance(data.get("created"), int)
        and isinstance((data.get("data") or {}).get("object"), dict)
    ):
        raise InvalidInput(
            "The webhook body is not a Stripe event (id, type, created, data.object).", code="bad_payload"
        )
    return data


def webhook_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify a Stripe webhook, store the event once by its id and queue it. Returns (event, created).

    A replayed or redelivered event finds its row and queues nothing, so it changes nothing.
    """
    data = _verify_signature(payload, signature)
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            event_id=data["id"],
            defaults={
                "type": data["type"][:128],
                "stripe_created": datetime.fromtimestamp(data["created"], tz=UTC),
                "livemode": bool(data.get("livemode")),
                "payload": data,
            },
        )
        if created:
            # Deferred through Django's connection: the job exists exactly when the row does.
            jobs.defer(PROCESS_EVENT_TASK, event_pk=event.pk)
    return event, created


def webhook_event_requeue(*, event: WebhookEvent, actor=None) -> bool:
    """Queue an unprocessed (pending or failed) event again; a processed one is left alone."""
    if event.status not in (WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED):
        return False
    jobs.defer(PROCESS_EVENT_TASK, event_pk=event.pk)
    audit.record(action="billing.webhook_requeue", actor=actor, target=event, metadata={"event": event.event_id})
    return True
