"""How much of each plan limit an organization uses, for the billing page.

The services that create things count their own usage when they call `enforce_quota`; this module counts
the same things for display (keep the two in step). A new limited resource registers its counter:

    from billing.usage import register_counter
    register_counter("widgets", lambda org: Widget.objects.filter(organization=org).count())
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import FieldError
from django.utils import timezone

from ai_usage.selectors import requests_this_month
from organizations.selectors import seats_used
from plans.limits import PLANS, limit_for

logger = logging.getLogger(__name__)
_COUNTERS: dict[str, Callable] = {}


def register_counter(resource: str, counter: Callable) -> None:
    _COUNTERS[resource] = counter


def month_start():
    return timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _count_projects(org) -> int:
    return apps.get_model("projects", "Project").objects.filter(organization=org).count()


def _count_seats(org) -> int:
    # The same count the invitation service enforces: members plus pending invitations.
    return seats_used(org=org)


def _count_connections(org) -> int:
    connection = apps.get_model("schema_metadata", "DatabaseConnection")
    return connection.objects.filter(project__organization=org).count()


def _count_scans_this_month(org) -> int:
    scan_run = apps.get_model("repositories", "ScanRun")
    return scan_run.objects.filter(project__organization=org, created_at__gte=month_start()).count()


def _count_ai_this_month(org) -> int:
    # The one counter ai_usage enforces for the optimizer and the assistant alike.
    return requests_this_month(org)


register_counter("projects", _count_projects)
register_counter("seats", _count_seats)
register_counter("connections", _count_connections)
register_counter("scans_per_month", _count_scans_this_month)
register_counter("ai_optimizations_per_month", _count_ai_this_month)

LABELS = {
    "projects": "Projects",
    "connections": "Database connections",
    "scans_per_month": "Repository scans this month",
    "ai_optimizations_per_month": "AI requests this month (optimizer and assistant)",
    "seats": "Seats (members)",
}
# The same limits as the plans' cards name them: what the usage lines count, per month where it is monthly.
PLAN_LABELS = {
    "projects": "Projects",
    "connections": "Database connections",
    "scans_per_month": "Repository scans per month",
    "ai_optimizations_per_month": "AI requests per month (optimizer and assistant)",
    "seats": "Seats (members)",
}


def plan_cards(plans: list[dict]) -> list[dict]:
    """The plans with their limits as lines for the page: (what, how many; None is unlimited)."""
    return [
        {**plan, "lines": [(PLAN_LABELS.get(key, key), limit) for key, limit in plan["limits"].items()]}
        for plan in plans
    ]


def _count(resource: str, org) -> int | None:
    counter = _COUNTERS.get(resource)
    if counter is None:
        return None
    try:
        return counter(org)
    except (LookupError, FieldError, ImportError):
        # Another app renamed what we count: show "not counted" rather than break the billing page.
        logger.exception("Cannot count %s for the billing page", resource)
        return None


def usage_for(org) -> list[dict]:
    """One row per limited resource: used (None when not counted here), limit (None = unlimited), percent."""
    plan = org.plan if org.plan in PLANS else "free"
    rows = []
    for resource in PLANS[plan]["limits"]:
        used = _count(resource, org)
        limit = limit_for(plan, resource)
        percent = min(100, round(100 * used / limit)) if used is not None and limit else None
        rows.append(
            {
                "resource": resource,
                "label": LABELS.get(resource, resource),
                "used": used,
                "limit": limit,
                "percent": percent,
                "at_limit": used is not None and limit is not None and used >= limit,
            }
        )
    return rows
