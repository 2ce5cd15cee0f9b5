"""Processing Stripe events in the real worker: subscriptions, plan, payment history, order, retries."""

import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from billing.models import BillingCustomer, PaymentHistory, Subscription, WebhookEvent
from billing.tests.conftest import PRICE_TEAM, invoice_object, stripe_event, subscription_object
from dbooster.testing import run_pending_jobs
from organizations.models import Organization

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = "cus_Org1"


@pytest.fixture
def customer(org, admin_user):
    org.plan = "free"
    org.save()
    return BillingCustomer.objects.create(organization=org, stripe_customer_id=CUSTOMER, created_by=admin_user)


def _plan(org) -> str:
    return Organization.objects.get(pk=org.pk).plan


def _deliver(post_webhook, event_type, obj, **kwargs) -> WebhookEvent:
    event = stripe_event(event_type, obj, **kwargs)
    assert post_webhook(event).status_code == 200
    run_pending_jobs()
    return WebhookEvent.objects.get(event_id=event["id"])


def _checkout_session(sub_id: str, org) -> dict:
    return {
        "id": "cs_test_done",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": CUSTOMER,
        "subscription": sub_id,
        "client_reference_id": str(org.pk),
        "payment_status": "paid",
    }


def test_checkout_completed_fetches_the_subscription_and_upgrades(fake_stripe, post_webhook, customer, org):
    fake_stripe.subscriptions["sub_A"] = subscription_object("sub_A", CUSTOMER)
    event = _deliver(post_webhook, "checkout.session.completed", _checkout_session("sub_A", org))
    assert event.status == "processed", event.last_error
    assert fake_stripe.calls("GET", "/v1/subscriptions/sub_A")
    sub = Subscription.objects.get(stripe_subscription_id="sub_A")
    assert (sub.organization_id, sub.plan, sub.status) == (org.pk, "pro", "active")
    assert sub.current_period_end is not None
    assert _plan(org) == "pro"
    change = AuditEvent.objects.get(action="billing.plan_change")
    assert change.metadata["from"] == "free" and change.metadata["to"] == "pro"


def test_checkout_links_a_new_customer_through_our_reference(fake_stripe, post_webhook, org, admin_user):
    org.plan = "free"
    org.save()
    fake_stripe.subscriptions["sub_N"] = subscription_object("sub_N", CUSTOMER)
    event = _deliver(post_webhook, "checkout.session.completed", _checkout_session("sub_N", org))
    assert event.status == "processed", event.last_error
    assert BillingCustomer.objects.get(organization=org).stripe_customer_id == CUSTOMER
    assert _plan(org) == "pro"


def test_subscription_changes_and_out_of_order_events(fake_stripe, post_webhook, customer, org):
    now = int(time.time())
    _deliver(post_webhook, "customer.subscription.created", subscription_object("sub_B", CUSTOMER), created=now - 100)
    assert _plan(org) == "pro"
    _deliver(
        post_webhook,
        "customer.subscription.updated",
        subscription_object("sub_B", CUSTOMER, price=PRICE_TEAM),
        created=now - 50,
    )
    assert _plan(org) == "team"
    # An update older than what we hold arrives late: it must not roll the plan back to pro or past_due.
    late = _deliver(
        post_webhook,
        "customer.subscription.updated",
        subscription_object("sub_B", CUSTOMER, status="past_due"),
        created=now - 80,
    )
    assert late.status == "processed" and late.note.startswith("stale")
    sub = Subscription.objects.get(stripe_subscription_id="sub_B")
    assert (sub.plan, sub.status) == ("team", "active")
    assert _plan(org) == "team"

    _deliver(
        post_webhook,
        "customer.subscription.deleted",
        subscription_object("sub_B", CUSTOMER, price=PRICE_TEAM, status="canceled"),
        created=now - 10,
    )
    assert _plan(org) == "free"
    # A newer-stamped "active" for a canceled subscription cannot revive it.
    revived = _deliver(
        post_webhook, "customer.subscription.updated", subscription_object("sub_B", CUSTOMER), created=now
    )
    assert revived.note.startswith("stale")
    assert Subscription.objects.get(stripe_subscription_id="sub_B").status == "canceled"
    assert _plan(org) == "free"


def test_past_due_keeps_the_plan_unpaid_drops_it(fake_stripe, post_webhook, customer, org):
    now = int(time.time())
    _deliver(
        post_webhook,
        "customer.subscription.updated",
        subscription_object("sub_C", CUSTOMER, status="past_due"),
        created=now - 10,
    )
    assert _plan(org) == "pro"
    _deliver(
        post_webhook,
        "customer.subscription.updated",
        subscription_object("sub_C", CUSTOMER, status="unpaid"),
        created=now,
    )
    assert _plan(org) == "free"


def test_invoice_paid_writes_payment_history_once(fake_stripe, post_webhook, customer, org, admin_user):
    paid_at = int(time.time()) - 30
    event = stripe_event("invoice.paid", invoice_object("in_0001", CUSTOMER, paid_at=paid_at))
    assert post_webhook(event).status_code == 200
    run_pending_jobs()
    row = PaymentHistory.objects.get()
    assert (row.user_id, row.organization_id) == (admin_user.pk, org.pk)
    assert (row.amount, row.currency, row.status) == (Decimal("29.00"), "USD", "paid")
    assert int(row.paid_at.timestamp()) == paid_at
    # A replay is acknowledged and changes nothing.
    assert post_webhook(event).json() == {"received": True, "duplicate": True}
    run_pending_jobs()
    assert PaymentHistory.objects.count() == 1
    assert AuditEvent.objects.filter(action="billing.invoice_paid").count() == 1


def test_failed_payment_is_recorded_and_a_late_failure_does_not_undo_paid(fake_stripe, post_webhook, customer):
    now = int(time.time())
    _deliver(post_webhook, "invoice.payment_failed", invoice_object("in_0002", CUSTOMER, amount=9900), created=now - 60)
    row = PaymentHistory.objects.get(stripe_invoice_id="in_0002")
    assert (row.status, row.amount) == ("failed", Decimal("99.00"))
    _deliver(
        post_webhook, "invoice.paid", invoice_object("in_0002", CUSTOMER, amount=9900, paid_at=now - 5), created=now - 5
    )
    row.refresh_from_db()
    assert row.status == "paid"
    # Another failed attempt delivered late (Stripe retries deliveries) does not mark it failed again.
    late = _deliver(
        post_webhook, "invoice.payment_failed", invoice_object("in_0002", CUSTOMER, amount=9900), created=now - 30
    )
    assert "already paid" in late.note
    row.refresh_from_db()
    assert row.status == "paid"
    assert PaymentHistory.objects.count() == 1


def test_a_failure_is_recorded_retried_and_then_succeeds(fake_stripe, post_webhook, customer, org):
    fake_stripe.subscriptions["sub_D"] = subscription_object("sub_D", CUSTOMER)
    fake_stripe.fail["/v1/subscriptions/"] = 1
    event = _deliver(post_webhook, "checkout.session.completed", _checkout_session("sub_D", org))
    assert len(fake_stripe.calls("GET", "/v1/subscriptions/sub_D")) == 2
    assert (event.status, event.attempts, event.last_error) == ("processed", 2, "")
    assert _plan(org) == "pro"


def test_a_failure_past_every_retry_is_kept_and_can_be_requeued(fake_stripe, settings, post_webhook, customer, org):
    settings.BILLING_RETRY_MAX_ATTEMPTS = 3
    fake_stripe.subscriptions["sub_E"] = subscription_object("sub_E", CUSTOMER)
    fake_stripe.fail["/v1/subscriptions/"] = 100
    event = _deliver(post_webhook, "checkout.session.completed", _checkout_session("sub_E", org))
    assert (event.status, event.attempts) == ("failed", 3)
    assert "Fake Stripe is having a bad day" in event.last_error
    assert _plan(org) == "free" and not Subscription.objects.exists()

    fake_stripe.fail.clear()
    call_command("billing_requeue_events")
    run_pending_jobs()
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("processed", 4, "")
    assert _plan(org) == "pro"


def test_unknown_customer_is_a_recorded_failure_not_a_guess(fake_stripe, settings, post_webhook, customer, org):
    settings.BILLING_RETRY_MAX_ATTEMPTS = 1
    event = _deliver(post_webhook, "invoice.paid", invoice_object("in_0003", "cus_Stranger", paid_at=int(time.time())))
    assert event.status == "failed"
    assert "cus_Stranger" in event.last_error
    assert not PaymentHistory.objects.exists()


def test_unknown_price_is_recorded_and_changes_nothing(fake_stripe, settings, post_webhook, customer, org):
    settings.BILLING_RETRY_MAX_ATTEMPTS = 1
    event = _deliver(
        post_webhook, "customer.subscription.created", subscription_object("sub_F", CUSTOMER, price="price_other")
    )
    assert event.status == "failed" and "price_other" in event.last_error
    assert _plan(org) == "free" and not Subscription.objects.exists()


def test_unhandled_event_types_are_ignored(fake_stripe, post_webhook, customer):
    event = _deliver(post_webhook, "customer.updated", {"id": CUSTOMER, "object": "customer"})
    assert event.status == "ignored"
