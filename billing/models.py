"""Billing: the seed's payment tables, plus what Stripe needs (customers, subscriptions, webhook events)."""

from django.conf import settings
from django.db import models


class UserPaymentDetails(models.Model):
    """The seed's `user_payment_details`: one row per user, created or updated by POST /payment/details.

    For Stripe the identifier is the customer id (cus_...); checkout stores it here for the admin who started it.
    """

    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        PAYPAL = "paypal", "PayPal"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_details")
    provider = models.CharField(max_length=32, choices=Provider.choices)
    payment_identifier = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "user_payment_details"
        verbose_name = "user payment details"
        verbose_name_plural = "user payment details"

    def __str__(self):
        return f"{self.user} · {self.provider} {self.payment_identifier}"


class PaymentHistory(models.Model):
    """The seed's `payment_history`, written from Stripe invoice webhooks (one row per invoice)."""

    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        PENDING = "pending", "Pending"

    # Nullable so that removing a user never removes the record of a payment.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    # Money is never a float: the seed's "float" amount is stored as an exact decimal in major units.
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # When the payment was made (for a failed one: when the attempt was made).
    paid_at = models.DateTimeField(null=True, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    description = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payment_history"
        verbose_name_plural = "payment history"
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["paid", "failed", "pending"]), name="payment_history_status_valid"
            )
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} {self.status}"


class BillingCustomer(models.Model):
    """An organization's Stripe customer. Created on the first checkout; the customer id is the payment identifier."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="billing_customer"
    )
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    # The admin who started the first checkout; payment history rows are written for them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "billing_customers"

    def __str__(self):
        return f"{self.organization} · {self.stripe_customer_id}"


class Subscription(models.Model):
    """A Stripe subscription as the webhooks last told us. The organization's plan follows its live ones."""

    # Statuses in which the paid plan stays in force (past_due: Stripe is still retrying the card).
    LIVE_STATUSES = ("active", "trialing", "past_due")

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="subscriptions"
    )
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, default="")
    plan = models.CharField(max_length=32)
    price_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=32)
    cancel_at_period_end = models.BooleanField(default=False)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # `created` of the Stripe event that last set this row: an older event never rolls it back.
    state_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billing_subscriptions"
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return f"{self.organization} · {self.plan} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class WebhookEvent(models.Model):
    """A verified Stripe event, stored once by its id before the worker processes it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed (will be retried)"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=128, db_index=True)
    stripe_created = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # What processing did, for people reading the admin ("stale: older than the current state", ...).
    note = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "billing_webhook_events"
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.event_id} {self.type} ({self.status})"
