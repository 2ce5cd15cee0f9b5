from __future__ import annotations

from ai_usage.selectors import usage as ai_usage
from billing.models import BillingCustomer, PaymentHistory, Subscription, UserPaymentDetails
from billing.usage import month_start, usage_for
from plans.limits import PLANS


def payment_details_for(*, user) -> UserPaymentDetails | None:
    return UserPaymentDetails.objects.filter(user=user).first()


def payments_for(*, org, limit: int = 50):
    return PaymentHistory.objects.filter(organization=org).select_related("user").order_by("-paid_at", "-id")[:limit]


def subscription_for(*, org) -> Subscription | None:
    """The live subscription if there is one, else the latest one."""
    subs = Subscription.objects.filter(organization=org)
    return subs.filter(status__in=Subscription.LIVE_STATUSES).first() or subs.first()


def billing_overview(*, org) -> dict:
    plan = org.plan if org.plan in PLANS else "free"
    return {
        "plan": plan,
        "plan_name": PLANS[plan]["name"],
        "plans": [
            {"id": key, "name": value["name"], "price_usd": value["price_usd"], "limits": value["limits"]}
            for key, value in PLANS.items()
        ],
        "subscription": subscription_for(org=org),
        "has_customer": BillingCustomer.objects.filter(organization=org).exists(),
        "usage": usage_for(org),
        "payments": list(payments_for(org=org)),
        "ai_usage": ai_usage(org=org, since=month_start()),
    }
