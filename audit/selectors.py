"""Reads of the audit log."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from audit.models import AuditEvent
from dbooster.errors import InvalidInput

AUDIT_FILTERS = ("action", "actor", "outcome", "since", "until", "q")


def _moment(value: str, *, field: str, end_of_day: bool) -> dt.datetime:
    """An ISO date or date-time; a bare date covers the whole day."""
    value = value.strip()
    try:
        day = parse_date(value) if len(value) == 10 else None
        moment = None if day else parse_datetime(value)
    except ValueError:
        day = moment = None
    if day is not None:
        moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
    if moment is None:
        raise InvalidInput(f"{field}: expected a date (YYYY-MM-DD) or an ISO date-time.", code="invalid_date")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def audit_events(*, org, filters: dict | None = None):
    """The organization's audit events, newest first, narrowed by `filters` (see AUDIT_FILTERS)."""
    filters = {k: (v or "").strip() for k, v in (filters or {}).items() if k in AUDIT_FILTERS}
    qs = AuditEvent.objects.filter(organization=org).select_related("actor")
    if action := filters.get("action"):
        qs = qs.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if actor := filters.get("actor"):
        qs = qs.filter(Q(actor_id=int(actor)) if actor.isdigit() else Q(actor_email__icontains=actor))
    if outcome := filters.get("outcome"):
        if outcome not in AuditEvent.Outcome.values:
            raise InvalidInput(
                f"outcome: expected one of {', '.join(AuditEvent.Outcome.values)}.", code="invalid_outcome"
            )
        qs = qs.filter(outcome=outcome)
    if since := filters.get("since"):
        qs = qs.filter(created_at__gte=_moment(since, field="since", end_of_day=False))
    if until := filters.get("until"):
        qs = qs.filter(created_at__lte=_moment(until, field="until", end_of_day=True))
    if q := filters.get("q"):
        match = (
            Q(action__icontains=q)
            | Q(actor_email__icontains=q)
            | Q(target_type__icontains=q)
            | Q(target_repr__icontains=q)
            | Q(target_id=q)
            | Q(metadata_text__icontains=q)
        )
        if _looks_like_ip(q):
            match |= Q(ip_address__startswith=q)
        qs = qs.annotate(metadata_text=Cast("metadata", TextField())).filter(match)
    return qs.order_by("-created_at", "-id")


def _looks_like_ip(value: str) -> bool:
    return bool(value) and all(c in "0123456789abcdefABCDEF.:" for c in value)


def audit_actions(*, org) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=org).values_list("action", flat=True).distinct().order_by("action")
    )
