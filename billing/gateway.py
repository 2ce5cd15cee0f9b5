"""Our one door to Stripe: the SDK client, plan <-> price mapping, and Stripe errors as domain errors."""

from __future__ import annotations

from contextlib import contextmanager

import stripe
from django.conf import settings

from dbooster.errors import InvalidInput, ServiceUnavailable, UpstreamError
from plans.limits import PLANS

PAID_PLANS = ("pro", "team")
_PRICE_SETTINGS = {"pro": "STRIPE_PRICE_PRO", "team": "STRIPE_PRICE_TEAM"}


def client() -> stripe.StripeClient:
    """A StripeClient for the configured key; STRIPE_API_BASE points it elsewhere (a fake Stripe in tests)."""
    if not settings.STRIPE_SECRET_KEY:
        raise ServiceUnavailable("Payments are not configured: STRIPE_SECRET_KEY is not set.", code="billing_disabled")
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def price_for_plan(plan: str) -> str:
    if plan not in PLANS:
        raise InvalidInput(f"Unknown plan {plan!r}; choose one of: {', '.join(PAID_PLANS)}.", code="unknown_plan")
    if plan not in PAID_PLANS:
        raise InvalidInput(
            f"The {PLANS[plan]['name']} plan needs no checkout; cancel your subscription in the billing portal.",
            code="not_a_paid_plan",
        )
    price = getattr(settings, _PRICE_SETTINGS[plan], "")
    if not price:
        raise ServiceUnavailable(
            f"The {PLANS[plan]['name']} plan cannot be bought yet: {_PRICE_SETTINGS[plan]} is not set.",
            code="billing_disabled",
        )
    return price


def plan_for_price(price_id: str) -> str | None:
    for plan, setting in _PRICE_SETTINGS.items():
        if price_id and getattr(settings, setting, "") == price_id:
            return plan
    return None


def billing_page_url() -> str:
    # SITE_URL, not the request's Host header: Stripe redirects people to whatever we send.
    return settings.SITE_URL.rstrip("/") + "/app/billing/"


@contextmanager
def stripe_errors():
    """Stripe failures become 502/503 with a message people can act on; never a 500."""
    try:
        yield
    except stripe.AuthenticationError:
        raise ServiceUnavailable(
            "Stripe refused our API key; check STRIPE_SECRET_KEY.", code="billing_disabled"
        ) from None
    except stripe.APIConnectionError:
        raise UpstreamError("Stripe could not be reached; try again in a minute.", code="stripe_unreachable") from None
    except stripe.StripeError as exc:
        message = exc.user_message or "Stripe answered with an error"
        raise UpstreamError(f"Stripe: {message}", code="stripe_error") from None
