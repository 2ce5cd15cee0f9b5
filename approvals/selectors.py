"""Reads of proposals."""

from __future__ import annotations

from approvals.models import Proposal
from dbooster.api import get_for_org
from dbooster.errors import InvalidInput

PROPOSAL_FILTERS = ("state", "project", "kind", "connection")


def proposals(*, org, filters: dict | None = None):
    filters = {k: (str(v) or "").strip() for k, v in (filters or {}).items() if k in PROPOSAL_FILTERS}
    qs = Proposal.objects.filter(organization=org).select_related("proposer", "decided_by", "project", "connection")
    if state := filters.get("state"):
        states = [s for s in state.split(",") if s]
        unknown = sorted(set(states) - set(Proposal.State.values))
        if unknown:
            raise InvalidInput(f"state: expected one of {', '.join(Proposal.State.values)}.", code="invalid_state")
        qs = qs.filter(state__in=states)
    if kind := filters.get("kind"):
        if kind not in Proposal.Kind.values:
            raise InvalidInput(f"kind: expected one of {', '.join(Proposal.Kind.values)}.", code="invalid_kind")
        qs = qs.filter(kind=kind)
    for name in ("project", "connection"):
        if value := filters.get(name):
            if not value.isdigit():
                raise InvalidInput(f"{name}: expected an id.", code=f"invalid_{name}")
            qs = qs.filter(**{f"{name}_id": int(value)})
    return qs.order_by("-created_at", "-id")


def proposal_get(*, org, pk):
    return get_for_org(
        Proposal.objects.select_related("proposer", "decided_by", "project", "connection", "organization"), org, pk=pk
    )
