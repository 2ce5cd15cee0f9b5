"""Reads of AI usage: the plan's AI limit counter and the billing page's tokens and cost."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils import timezone

from ai_usage.models import ModelCall


def month_start():
    return timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def requests_this_month(organization) -> int:
    """What the plan's AI limit counts: requests (optimizer runs, assistant answers) the model answered."""
    calls = ModelCall.objects.filter(organization=organization, created_at__gte=month_start(), ok=True)
    return calls.values("request").distinct().count()


def usage(*, org, since) -> dict:
    """Tokens and cost of every model call since `since`, in total and by purpose."""
    calls = ModelCall.objects.filter(organization=org, created_at__gte=since)
    fields = {"prompt_tokens": Sum("prompt_tokens"), "completion_tokens": Sum("completion_tokens"),
              "cost_usd": Sum("cost_usd"), "calls": Count("id")}  # fmt: skip
    total = calls.aggregate(**fields)
    labels = dict(ModelCall._meta.get_field("purpose").choices)
    by_purpose = [
        {**row, "label": labels.get(row["purpose"], row["purpose"])}
        for row in calls.values("purpose").annotate(**fields).order_by("purpose")
    ]
    return {"total": {k: v or 0 for k, v in total.items()}, "by_purpose": by_purpose}
