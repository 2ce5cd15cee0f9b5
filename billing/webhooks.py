"""Processing stored Stripe events (in the worker): subscriptions, the organization's plan, payment history.

Each handler takes the event's `data.object` and the stored event, changes what it must, and returns a note
for the admin. Ordering: Stripe does not deliver events in order, so a subscription row remembers the
`created` time of the event that last set it and ignores anything older.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit import services as audit
from billing import gateway
from billing.models import BillingCustomer, PaymentHistory, Subscription, WebhookEvent
from dbooster.roles import Role
from organizations.models import Organization

logger = logging.getLogger(__name__)

# Plans ranked so that an organization with two live subscriptions gets the better one.
_PLAN_RANK = {"free": 0, "pro": 1, "team": 2}
# Currencies Stripe counts in whole units (no cents).
_ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}


class EventNotReady(Exception):
    """The event cannot be applied yet (unknown customer, unconfigured price); the worker retries it."""


def _org_for_customer(customer_id: str | None, organization_id: str | None) -> tuple[Organization, BillingCustomer]:
    """The organization that owns a Stripe customer; our checkout metadata links a customer we have not seen."""
    customer = BillingCustomer.objects.select_related("organization").filter(stripe_customer_id=customer_id).first()
    if customer is not None:
        return customer.organization, customer
    org = Organization.objects.filter(pk=organization_id).first() if str(organization_id or "").isdigit() else None
    if org is not None and customer_id and not BillingCustomer.objects.filter(organization=org).exists():
        return org, BillingCustomer.objects.create(organization=org, stripe_customer_id=customer_id)
    raise EventNotReady(f"No organization is linked to Stripe customer {customer_id!r} yet.")


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) else None


def _first_item(subscription: dict) -> dict:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else {}


def sync_organization_plan(*, org: Organization, event: WebhookEvent) -> str:
    """Set the organization's plan from its live subscriptions (free when none) and audit a change."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    live = Subscription.objects.filter(organization=org, status__in=Subscription.LIVE_STATUSES)
    plan = max((s.plan for s in live), key=lambda p: _PLAN_RANK.get(p, 0), default="free")
    if org.plan != plan:
        previous, org.plan = org.plan, plan
        org.save(update_fields=["plan"])
        audit.record(
            action="billing.plan_change",
            organization=org,
            target=org,
            metadata={"from": previous, "to": plan, "stripe_event": event.event_id},
        )
    return plan


def apply_subscription(subscription: dict, event: WebhookEvent, *, deleted: bool = False) -> str:
    sub_id = subscription.get("id")
    metadata = subscription.get("metadata") or {}
    org, _ = _org_for_customer(subscription.get("customer"), metadata.get("organization_id"))
    item = _first_item(subscription)
    price_id = (item.get("price") or {}).get("id", "")
    status = "canceled" if deleted else str(subscription.get("status", ""))

    row = Subscription.objects.select_for_update().filter(stripe_subscription_id=sub_id).first()
    if row is not None and row.state_at and event.stripe_created < row.state_at:
        return f"stale: older than the state of {sub_id} we hold; ignored"
    if row is not None and row.status == "canceled" and status != "canceled":
        return f"stale: {sub_id} is already canceled; ignored"
    plan = gateway.plan_for_price(price_id)
    if plan is None:
        if not deleted:
            raise EventNotReady(f"Price {price_id!r} is not one of our plans (STRIPE_PRICE_PRO / STRIPE_PRICE_TEAM).")
        plan = row.plan if row is not None else "free"
    if row is None:
        row = Subscription(organization=org, stripe_subscription_id=sub_id)
    row.organization = org
    row.stripe_customer_id = subscription.get("customer") or ""
    row.plan, row.price_id, row.status = plan, price_id, status
    row.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    # Newer API versions keep the period on the item, older ones on the subscription.
    row.current_period_end = _ts(item.get("current_period_end")) or _ts(subscription.get("current_period_end"))
    row.state_at = event.stripe_created
    row.save()
    audit.record(
        action="billing.subscription_sync",
        organization=org,
        target=row,
        metadata={"status": status, "plan": plan, "stripe_event": event.event_id},
    )
    org_plan = sync_organization_plan(org=org, event=event)
    return f"{sub_id}: {status} ({plan}); organization plan {org_plan}"


def handle_checkout_completed(session: dict, event: WebhookEvent) -> str:
    if session.get("mode") != "subscription":
        return "not a subscription checkout; ignored"
    org_id = session.get("client_reference_id") or (session.get("metadata") or {}).get("organization_id")
    _org_for_customer(session.get("customer"), org_id)
    sub = session.get("subscription")
    sub_id = sub.get("id") if isinstance(sub, dict) else sub
    if not sub_id:
        return "checkout has no subscription; nothing to do"
    # The session only names the subscription: ask Stripe for its current state.
    subscription = gateway.client().v1.subscriptions.retrieve(sub_id).to_dict()
    return apply_subscription(subscription, event)


def handle_subscription_change(subscription: dict, event: WebhookEvent) -> str:
    return apply_subscription(subscription, event, deleted=event.type == "customer.subscription.deleted")


def _minor_to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount) if currency in _ZERO_DECIMAL else (Decimal(amount) / 100).quantize(Decimal("0.01"))


def _payer(org: Organization, customer: BillingCustomer):
    if customer.created_by_id:
        return customer.created_by
    return org.members.filter(role=Role.ADMIN).order_by("id").first()


def record_invoice(invoice: dict, event: WebhookEvent, status: str) -> str:
    subscription_meta = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("metadata") or {}
    subscription_meta = subscription_meta or (invoice.get("subscription_details") or {}).get("metadata") or {}
    org, customer = _org_for_customer(invoice.get("customer"), subscription_meta.get("organization_id"))
    currency = str(invoice.get("currency") or "usd").lower()
    cents = invoice.get("amount_paid") if status == PaymentHistory.Status.PAID else invoice.get("amount_due")
    amount = _minor_to_major(int(cents or 0), currency)
    paid_at = _ts((invoice.get("status_transitions") or {}).get("paid_at")) if status == "paid" else None
    row = PaymentHistory.objects.select_for_update().filter(stripe_invoice_id=invoice.get("id")).first()
    if row is not None and row.status == PaymentHistory.Status.PAID and status != PaymentHistory.Status.PAID:
        return f"invoice {invoice.get('id')} is already paid; a failed attempt does not undo that"
    if row is None:
        row = PaymentHistory(stripe_invoice_id=invoice.get("id"))
    row.organization, row.user = org, _payer(org, customer)
    row.amount, row.currency, row.status = amount, currency.upper(), status
    row.paid_at = paid_at or event.stripe_created
    row.description = str(invoice.get("number") or invoice.get("description") or "")[:255]
    row.save()
    audit.record(
        action=f"billing.invoice_{status}",
        organization=org,
        target=row,
        metadata={"invoice": invoice.get("id"), "amount": str(amount), "currency": row.currency},
    )
    return f"invoice {invoice.get('id')}: {status} {amount} {row.currency}"


HANDLERS = {
    "checkout.session.completed": handle_checkout_completed,
    "customer.subscription.created": handle_subscription_change,
    "customer.subscription.updated": handle_subscription_change,
    "customer.subscription.deleted": handle_subscription_change,
    "invoice.paid": lambda obj, event: record_invoice(obj, event, PaymentHistory.Status.PAID),
    "invoice.payment_failed": lambda obj, event: record_invoice(obj, event, PaymentHistory.Status.FAILED),
}


def _record_failure(event_pk: int, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    # The handler's transaction is rolled back; this write stands on its own so the failure is never lost.
    WebhookEvent.objects.filter(pk=event_pk).exclude(status=WebhookEvent.Status.PROCESSED).update(
        status=WebhookEvent.Status.FAILED, attempts=F("attempts") + 1, last_error=message
    )
    logger.warning("Stripe event %s failed, will be retried: %s", event_pk, message)


def process_event(*, event_pk: int) -> str:
    """Apply one stored event. Done or ignored events are left alone; a failure is recorded, then re-raised."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
            if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
                return event.status
            event.attempts += 1
            handler = HANDLERS.get(event.type)
            if handler is None:
                event.status, event.note = WebhookEvent.Status.IGNORED, "no handler for this event type"
            else:
                event.status = WebhookEvent.Status.PROCESSED
                event.note = handler(event.payload["data"]["object"], event)[:255]
            event.last_error = ""
            event.processed_at = timezone.now()
            event.save()
            return event.status
    except Exception as exc:
        _record_failure(event_pk, exc)
        raise
