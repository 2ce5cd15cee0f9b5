"""Reads of proposals."""

from __future__ import annotations

from django.db.models import Q

import migration_safety
from approvals.models import Proposal
from dbooster.api import get_for_org
from dbooster.errors import InvalidInput
from migration_safety import CodeQuery, Facts, TableFacts
from repositories.models import QueryOccurrence
from schema_metadata.selectors import metadata_tables

# How many of the project's scanned queries a review checks for readers of a dropped or renamed column.
SAFETY_CODE_QUERIES = 5000

PROPOSAL_FILTERS = ("state", "project", "kind", "connection")


def visible_to(qs, user):
    """A draft (the assistant's suggestion) is its author's until they accept it: nobody else sees it."""
    return qs.exclude(Q(state=Proposal.State.DRAFT) & ~Q(proposer_id=getattr(user, "pk", None)))


def proposals(*, org, user, filters: dict | None = None):
    filters = {k: (str(v) or "").strip() for k, v in (filters or {}).items() if k in PROPOSAL_FILTERS}
    qs = visible_to(Proposal.objects.filter(organization=org), user)
    qs = qs.select_related("proposer", "decided_by", "project", "connection")
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


def proposal_get(*, org, user, pk):
    """One proposal of `org` that `user` may see (another's draft is a 404, like another tenant's)."""
    found = Proposal.objects.select_related("proposer", "decided_by", "project", "connection", "organization")
    return get_for_org(visible_to(found, user), org, pk=pk)


def safety_facts(*, project, connection) -> Facts:
    """What a migration-safety review weighs: table sizes from the last sync, queries from the last scans."""
    tables: dict[str, TableFacts] = {}
    for table in metadata_tables(connection=connection) if connection is not None else ():
        rows = table.row_estimate if table.row_estimate is not None and table.row_estimate >= 0 else None
        facts = TableFacts(rows=rows, size_bytes=table.size_bytes)
        tables[table.name.lower()] = facts
        tables[f"{table.schema_name}.{table.name}".lower()] = facts
    occurrences = (
        QueryOccurrence.objects.filter(query__project=project)
        .select_related("query")
        .order_by("query_id", "-scan__created_at")
        .distinct("query_id")[:SAFETY_CODE_QUERIES]
        if project is not None
        else ()
    )
    code = [CodeQuery(f"{o.file_path}:{o.line}", o.query.sql) for o in occurrences]
    # DBooster applies changes itself (with lock_timeout) everywhere but production, which gets an export.
    applied_here = connection is not None and connection.environment != "production"
    return Facts(tables=tables, code_queries=code, runner_sets_lock_timeout=applied_here)


def migration_rule_doc(rule) -> dict:
    """A migration-safety rule as the API and its page show it."""
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "why": rule.why,
        "flagged": list(rule.must_fire),
        "passes": list(rule.must_not),
        "safer_example": rule.safer_example,
    }


def migration_rules() -> list[dict]:
    order = {"error": 0, "warning": 1, "info": 2}
    return [
        migration_rule_doc(r) for r in sorted(migration_safety.all_rules(), key=lambda r: (order[r.severity], r.id))
    ]


def migration_rule(rule_id: str) -> dict | None:
    rule = migration_safety.rule_by_id(rule_id)
    return migration_rule_doc(rule) if rule is not None else None
