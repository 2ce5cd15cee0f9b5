"""Approvals: submitting, deciding, withdrawing and applying proposed changes.

The rules live here, not in the views:
- members and admins submit; viewers only look;
- only admins approve or reject, and a proposer cannot approve their own proposal while
  the organization has another admin who could;
- the proposer withdraws their own proposal while it is open;
- admins apply an approved index, DDL or data change; never on a read-only connection, DDL and
  data changes never on production (export them instead), and never twice (row lock + a unique
  constraint). A data change carries its EXPLAIN (not ANALYZE) plan and the rows it expects to
  change as evidence, and is applied through the guard's session in one transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

import migration_safety
from approvals import applying, exports, selectors
from approvals.models import ApplyAttempt, Proposal, ProposalEvent
from audit import services as audit
from dbooster import jobs
from dbooster.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, Unprocessable
from dbooster.roles import Role, role_at_least
from notifications.models import NotificationKind
from notifications.services import notify
from optimizer.models import Suggestion
from projects.selectors import project_get
from repositories.models import QueryOccurrence
from schema_metadata import services as metadata_services
from schema_metadata import target
from schema_metadata.selectors import connection_in_org

logger = logging.getLogger(__name__)

# A running attempt older than the statement timeout plus this lost its worker.
LOST_ATTEMPT_MARGIN = timedelta(minutes=5)

APPLY_TASK = "approvals.apply_proposal"  # approvals/tasks.py

State = Proposal.State
Kind = Proposal.Kind


def apply_timeouts() -> tuple[int, int]:
    """(lock_timeout, statement_timeout) in ms. A CONCURRENTLY build may take long on a big table;
    the wait for a lock must stay short so the build never queues behind (and blocks) live traffic."""
    return (
        int(getattr(settings, "APPROVAL_APPLY_LOCK_TIMEOUT_MS", 5_000)),
        int(getattr(settings, "APPROVAL_APPLY_STATEMENT_TIMEOUT_MS", 30 * 60 * 1000)),
    )


# --- rules ------------------------------------------------------------------------


def _require_member_of(actor, org) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.organization_id != org.pk:
        raise NotFound("Proposal not found.")


def _require_role(actor, needed: str, doing: str) -> None:
    if not role_at_least(actor.role, needed):
        raise PermissionDenied(f"Your role ({actor.role}) cannot {doing}; it needs {needed} or above.")


def admin_count(org) -> int:
    return get_user_model().objects.filter(organization=org, role=Role.ADMIN, is_active=True).count()


def can_decide(*, actor, proposal: Proposal) -> tuple[bool, str]:
    """Whether `actor` may approve `proposal`, and why not."""
    if actor.organization_id != proposal.organization_id or not role_at_least(actor.role, Role.ADMIN):
        return False, "Only admins approve or reject proposals."
    if proposal.proposer_id == actor.pk and admin_count(proposal.organization) > 1:
        return False, "You proposed this change: another admin must approve it."
    return True, ""


def _admins(org, *, exclude=None):
    admins = get_user_model().objects.filter(organization=org, role=Role.ADMIN, is_active=True)
    if exclude is not None:
        admins = admins.exclude(pk=exclude.pk)
    return list(admins)


def _lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("organization", "connection")
        .get(pk=proposal.pk)
    )


def _transition(*, proposal: Proposal, to_state: str, actor, comment: str = "", **fields) -> Proposal:
    from_state = proposal.state
    proposal.state = to_state
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save()
    ProposalEvent.objects.create(
        proposal=proposal,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_email=getattr(actor, "email", "") or "",
        from_state=from_state,
        to_state=to_state,
        comment=comment or "",
    )
    return proposal


def _expect_state(proposal: Proposal, allowed: tuple, doing: str) -> None:
    if proposal.state not in allowed:
        raise Conflict(
            f"This proposal is {proposal.state}; only a {' or '.join(allowed)} proposal can be {doing}.",
            code=f"proposal_{proposal.state}",
        )


def _url(proposal: Proposal) -> str:
    return f"/app/approvals/{proposal.pk}/"


def _audit(action: str, *, proposal: Proposal, actor, request=None, outcome="success", **metadata):
    audit.record(
        action=action,
        actor=actor,
        organization=proposal.organization,
        target=proposal,
        outcome=outcome,
        request=request,
        metadata={"kind": proposal.kind, "state": proposal.state, **metadata},
    )


# --- submitting ---------------------------------------------------------------------


def _title_for(kind: str, sql: str) -> str:
    one_line = " ".join(sql.split())
    label = {Kind.INDEX: "Index", Kind.REWRITE: "Rewrite", Kind.DDL: "Schema change", Kind.DATA: "Data change"}[kind]
    return f"{label}: {one_line}"[:200]


def _validate_sql(kind: str, sql: str) -> None:
    if kind == Kind.INDEX:
        applying.prepare_index(sql, fallback_name="dbooster_idx")
    elif kind == Kind.DDL:
        applying.prepare_ddl(sql)
    elif kind == Kind.DATA:
        applying.prepare_data_change(sql)
    else:
        applying.check_query(sql)


def _safety_review(kind: str, sql: str, *, project, connection) -> dict:
    """Schema changes and indexes are reviewed for migration safety before anyone decides on them."""
    if kind not in (Kind.INDEX, Kind.DDL):
        return {}
    facts = selectors.safety_facts(project=project, connection=connection)
    return migration_safety.review(sql, facts).as_dict()


def _occurrence_for(*, org, project, occurrence_id=None, query_text: str = "", fingerprint: str = ""):
    """The place in the code a query was found by a scan (latest scan first), if any."""
    occurrences = QueryOccurrence.objects.select_related("query", "scan").filter(scan__project__organization=org)
    if occurrence_id is not None:
        found = occurrences.filter(pk=occurrence_id).first()
        if found is None:
            raise NotFound("Query occurrence not found.")
        return found
    if project is None:
        return None
    occurrences = occurrences.filter(query__project=project).order_by("-scan__created_at", "file_path", "line")
    if fingerprint:
        found = occurrences.filter(query__fingerprint=fingerprint).first()
        if found is not None:
            return found
    if query_text.strip():
        return occurrences.filter(query__sql=query_text.strip()).first()
    return None


def _source_fields(occurrence) -> dict:
    if occurrence is None:
        return {}
    return {
        "source_occurrence": occurrence,
        "source_file": occurrence.file_path,
        "source_line": occurrence.line,
        "source_context": occurrence.context,
        # The scan keeps 2 lines before the query's line (fewer at the top of a file).
        "source_context_start": max(1, occurrence.line - 2),
        "original_query": occurrence.query.sql or occurrence.query.normalized_text,
    }


def _create(*, org, actor, request, comment: str = "", state: str = State.PROPOSED, **fields) -> Proposal:
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(organization=org, proposer=actor, state=state, **fields)
    except IntegrityError:
        raise Conflict(
            "This suggestion already has an open proposal; see the approvals inbox.", code="already_proposed"
        ) from None
    ProposalEvent.objects.create(
        proposal=proposal, actor=actor, actor_email=actor.email, from_state="", to_state=state, comment=comment
    )
    if state == State.DRAFT:
        _audit("approval.draft", proposal=proposal, actor=actor, request=request, proposal_id=proposal.pk)
        return proposal
    _audit("approval.submit", proposal=proposal, actor=actor, request=request, proposal_id=proposal.pk)
    _ask_admins(proposal, actor=actor)
    return proposal


def _ask_admins(proposal: Proposal, *, actor) -> None:
    org = proposal.organization
    admins = _admins(org, exclude=actor)
    if not admins:  # a lone admin proposing to themselves still gets the item in their inbox
        admins = _admins(org)
    notify(
        recipients=admins,
        kind=NotificationKind.APPROVAL_REQUESTED,
        title=f"Approval requested: {proposal.title}"[:200],
        body=f"{actor.get_full_name()} asks for approval. Reason: {proposal.reason or '(none given)'}",
        url=_url(proposal),
        target=proposal,
    )


def proposal_submit_draft(*, proposal: Proposal, actor, request=None) -> Proposal:
    """A draft its proposer accepts: now proposed, and the admins are asked."""
    _require_member_of(actor, proposal.organization)
    _require_role(actor, Role.MEMBER, "submit proposals")
    with transaction.atomic():
        proposal = _lock(proposal)
        if proposal.proposer_id != actor.pk:
            raise PermissionDenied("Only the person the draft was made for can submit it.", code="not_proposer")
        _expect_state(proposal, (State.DRAFT,), "submitted")
        _transition(proposal=proposal, to_state=State.PROPOSED, actor=actor, comment="accepted the draft")
        _audit("approval.submit", proposal=proposal, actor=actor, request=request, proposal_id=proposal.pk)
    _ask_admins(proposal, actor=actor)
    return proposal


@transaction.atomic
def proposal_submit_suggestion(
    *, actor, suggestion_id: int, reason: str = "", occurrence_id: int | None = None, request=None
) -> Proposal:
    """Submit an optimizer suggestion (an index or a rewrite) for approval."""
    org = actor.organization
    _require_role(actor, Role.MEMBER, "submit proposals")
    suggestion = (
        Suggestion.objects.select_related("run", "run__connection", "run__project")
        .filter(pk=suggestion_id, run__organization=org)
        .first()
    )
    if suggestion is None:
        raise NotFound("Suggestion not found.")
    if suggestion.kind not in (Kind.INDEX, Kind.REWRITE):
        raise Unprocessable(
            f"A {suggestion.kind} suggestion is advice to apply by hand; only index and rewrite suggestions "
            "go through approval.",
            code="not_approvable",
        )
    if suggestion.advice_only or suggestion.dropped:
        raise Unprocessable(
            "This suggestion is advice only (or was dropped); it has nothing to apply.", code="not_approvable"
        )
    _validate_sql(suggestion.kind, suggestion.sql)
    run = suggestion.run
    occurrence = None
    if suggestion.kind == Kind.REWRITE or occurrence_id is not None:
        occurrence = _occurrence_for(
            org=org, project=run.project, occurrence_id=occurrence_id, query_text=run.query, fingerprint=run.fingerprint
        )
    evidence = {
        "query": run.query,
        "fingerprint": run.fingerprint,
        "cost_before": suggestion.cost_before,
        "cost_after": suggestion.cost_after,
        "time_before_ms": suggestion.time_before_ms,
        "time_after_ms": suggestion.time_after_ms,
        "speedup": suggestion.speedup,
        "size_bytes": suggestion.size_bytes,
        "verification": suggestion.verification,
        "verified": suggestion.verified,
        "planner_used": suggestion.planner_used,
        "source": suggestion.source,
        "rule_id": suggestion.rule_id,
        "rationale": suggestion.rationale,
        "optimization_run_id": run.pk,
    }
    fields = _source_fields(occurrence)
    if suggestion.kind == Kind.REWRITE and not fields.get("original_query"):
        fields["original_query"] = run.query
    return _create(
        org=org,
        actor=actor,
        request=request,
        comment=reason,
        project=run.project,
        connection=run.connection,
        kind=suggestion.kind,
        title=_title_for(suggestion.kind, suggestion.sql),
        sql=suggestion.sql.strip(),
        reason=reason or suggestion.rationale,
        evidence={k: v for k, v in evidence.items() if v not in (None, "")},
        safety_review=_safety_review(suggestion.kind, suggestion.sql, project=run.project, connection=run.connection),
        source_suggestion=suggestion,
        **fields,
    )


@transaction.atomic
def proposal_submit_sql(
    *,
    actor,
    kind: str,
    sql: str,
    reason: str,
    connection_id: int | None = None,
    project_id: int | None = None,
    occurrence_id: int | None = None,
    evidence: dict | None = None,
    row_limit: int | None = None,
    draft: bool = False,
    request=None,
) -> Proposal:
    """Submit DDL text (or an index, or a rewrite) someone wrote, with the reason for it.

    A data change carries a row limit: `row_limit` if given (within `row_limit_bounds` of its estimate), else
    `default_row_limit`; applying it rolls back if it changes more rows.

    `draft=True` keeps it a draft (the assistant's suggestion): reviewed and stored, nobody asked until
    `proposal_submit_draft`.
    """
    org = actor.organization
    _require_role(actor, Role.MEMBER, "submit proposals")
    if kind not in Kind.values:
        raise InvalidInput(f"kind: expected one of {', '.join(Kind.values)}.", code="invalid_kind")
    if not (reason or "").strip():
        raise InvalidInput("reason: say why this change is needed.", code="reason_required")
    _validate_sql(kind, sql)
    if row_limit is not None and kind != Kind.DATA:
        raise InvalidInput("row_limit: only a data change (kind data) has a row limit.", code="invalid_row_limit")
    connection = connection_in_org(org=org, pk=connection_id) if connection_id is not None else None
    project = project_get(org=org, pk=project_id) if project_id is not None else None
    if connection is not None and project is not None and connection.project_id != project.pk:
        raise InvalidInput("The connection belongs to another project.", code="project_mismatch")
    project = project or (connection.project if connection else None)
    if kind in (Kind.INDEX, Kind.DDL, Kind.DATA) and connection is None:
        raise InvalidInput("connection_id: say which database the change is for.", code="connection_required")
    if project is None:
        raise InvalidInput("project_id: say which project the change is for.", code="project_required")
    limit = {}
    if kind == Kind.DATA:
        evidence = {**(evidence or {}), **_data_change_evidence(project, connection, sql, actor, request)}
        limit = {"row_limit": _row_limit_for(evidence["estimated_rows"], row_limit)}
    occurrence = _occurrence_for(org=org, project=project, occurrence_id=occurrence_id) if occurrence_id else None
    review = _safety_review(kind, sql, project=project, connection=connection)
    return _create(
        org=org,
        actor=actor,
        request=request,
        comment=reason,
        state=State.DRAFT if draft else State.PROPOSED,
        project=project,
        connection=connection,
        kind=kind,
        title=_title_for(kind, sql),
        sql=sql.strip(),
        reason=reason.strip(),
        evidence=evidence or {},
        safety_review=review,
        **limit,
        **_source_fields(occurrence),
    )


def default_row_limit(estimate: int | None) -> int:
    """Room for the planner's error and for rows added while the proposal waits, but not for an order of
    magnitude more than the approvers saw."""
    estimate = estimate or 0
    return max(estimate * 2, estimate + 100)


def row_limit_bounds(estimate: int | None) -> tuple[int, int]:
    """What a proposer may set: at least one row, at most ten times the estimate (or 10,000 over it)."""
    estimate = estimate or 0
    return 1, max(estimate * 10, estimate + 10_000)


def _row_limit_for(estimate: int | None, asked: int | None) -> int:
    if asked is None:
        return default_row_limit(estimate)
    low, high = row_limit_bounds(estimate)
    if isinstance(asked, bool) or not isinstance(asked, int) or not low <= asked <= high:
        raise InvalidInput(
            f"row_limit: give a whole number from {low:,} to {high:,} (the plan estimates {estimate or 0:,} rows).",
            code="invalid_row_limit",
        )
    return asked


def _data_change_evidence(project, connection, sql: str, actor, request) -> dict:
    """What a data change will do, from its EXPLAIN (never ANALYZE: nothing is run): the plan and the rows
    it expects to change. A statement the database cannot plan (an unknown column, say) is refused here."""
    analysis = metadata_services.explain_query(
        project=project, query=sql, connection_id=connection.pk, analyze=False, actor=actor, request=request
    )
    return {
        "plan": analysis.plan,
        "analysis_id": analysis.pk,
        "total_cost": analysis.total_cost,
        "estimated_rows": applying.estimated_rows(analysis.plan),
    }


# --- deciding -------------------------------------------------------------------


def _deny(action: str, *, proposal: Proposal, actor, request, why: str, code: str):
    """Record the refusal (outside the refused transaction, so it stays) and raise."""
    _audit(action, proposal=proposal, actor=actor, request=request, outcome="denied", reason=why)
    raise PermissionDenied(why, code=code)


def proposal_approve(*, proposal: Proposal, actor, comment: str = "", request=None) -> Proposal:
    _require_member_of(actor, proposal.organization)
    allowed, why = can_decide(actor=actor, proposal=proposal)
    if not allowed:
        _deny("approval.approve", proposal=proposal, actor=actor, request=request, why=why, code="cannot_approve")
    return _approve(proposal=proposal, actor=actor, comment=comment, request=request)


@transaction.atomic
def _approve(*, proposal: Proposal, actor, comment: str, request) -> Proposal:
    proposal = _lock(proposal)
    _expect_state(proposal, (State.PROPOSED,), "approved")
    _transition(
        proposal=proposal,
        to_state=State.APPROVED,
        actor=actor,
        comment=comment,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    _audit("approval.approve", proposal=proposal, actor=actor, request=request, comment=comment)
    if proposal.proposer_id and proposal.proposer_id != actor.pk:
        notify(
            recipients=[proposal.proposer],
            kind=NotificationKind.PROPOSAL_APPROVED,
            title=f"Approved: {proposal.title}"[:200],
            body=f"{actor.get_full_name()} approved it. {comment}".strip(),
            url=_url(proposal),
            target=proposal,
        )
    return proposal


def proposal_reject(*, proposal: Proposal, actor, comment: str = "", request=None) -> Proposal:
    _require_member_of(actor, proposal.organization)
    if not role_at_least(actor.role, Role.ADMIN):
        why = "Only admins approve or reject proposals."
        _deny("approval.reject", proposal=proposal, actor=actor, request=request, why=why, code="cannot_reject")
    return _reject(proposal=proposal, actor=actor, comment=comment, request=request)


@transaction.atomic
def _reject(*, proposal: Proposal, actor, comment: str, request) -> Proposal:
    proposal = _lock(proposal)
    _expect_state(proposal, (State.PROPOSED, State.APPROVED), "rejected")
    if proposal.attempts.filter(status__in=[ApplyAttempt.Status.QUEUED, ApplyAttempt.Status.RUNNING]).exists():
        raise Conflict("This change is being applied right now; it cannot be rejected.", code="apply_in_progress")
    if not (comment or "").strip():
        raise InvalidInput("comment: say why the proposal is rejected.", code="comment_required")
    _transition(
        proposal=proposal,
        to_state=State.REJECTED,
        actor=actor,
        comment=comment,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    _audit("approval.reject", proposal=proposal, actor=actor, request=request, comment=comment)
    if proposal.proposer_id and proposal.proposer_id != actor.pk:
        notify(
            recipients=[proposal.proposer],
            kind=NotificationKind.PROPOSAL_REJECTED,
            title=f"Rejected: {proposal.title}"[:200],
            body=f"{actor.get_full_name()} rejected it: {comment}",
            url=_url(proposal),
            target=proposal,
        )
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, actor, comment: str = "", request=None) -> Proposal:
    _require_member_of(actor, proposal.organization)
    proposal = _lock(proposal)
    _require_role(actor, Role.MEMBER, "withdraw proposals")
    if proposal.proposer_id != actor.pk:
        raise PermissionDenied("Only the person who proposed a change can withdraw it.", code="not_proposer")
    _expect_state(proposal, (State.DRAFT, State.PROPOSED, State.APPROVED), "withdrawn")
    if proposal.attempts.filter(status__in=[ApplyAttempt.Status.QUEUED, ApplyAttempt.Status.RUNNING]).exists():
        raise Conflict("This change is being applied right now; it cannot be withdrawn.", code="apply_in_progress")
    _transition(proposal=proposal, to_state=State.WITHDRAWN, actor=actor, comment=comment)
    _audit("approval.withdraw", proposal=proposal, actor=actor, request=request, comment=comment)
    return proposal


# --- applying ---------------------------------------------------------------------


def _refuse_unappliable(proposal: Proposal) -> None:
    if proposal.kind == Kind.REWRITE:
        raise Conflict(
            "A rewrite is a code change: export it as a patch (export?format=patch) and ship it with your code.",
            code="export_only",
        )
    connection = proposal.connection
    if connection is None:
        raise Conflict("This proposal has no database connection to apply it to.", code="no_connection")
    if connection.read_only:
        raise Conflict(
            f"The connection {connection.name!r} is marked read-only: DBooster never writes to it. Export the "
            f"change ({' or '.join(f'export?format={f}' for f in EXPORT_FORMATS[proposal.kind])}), or have an "
            "admin turn read-only off.",
            code="read_only_connection",
        )
    if proposal.kind in PRODUCTION_EXPORT_ONLY and connection.environment == "production":
        what, how = PRODUCTION_EXPORT_ONLY[proposal.kind]
        raise Conflict(
            f"{connection.name!r} is a production database: {what} are not applied there by DBooster. {how}",
            code="production_export_only",
        )


# What is never applied on production, and what to do instead.
PRODUCTION_EXPORT_ONLY = {
    Kind.DDL: (
        "schema changes",
        "Export the change as a migration (export?format=sql or format=django) and ship it.",
    ),
    Kind.DATA: (
        "data changes",
        "Export the change (export?format=sql) and run it through your own release process.",
    ),
}


def proposal_apply(*, proposal: Proposal, actor, comment: str = "", request=None) -> ApplyAttempt:
    """Queue the change for the worker; at most one live attempt per proposal, ever."""
    _require_member_of(actor, proposal.organization)
    if not role_at_least(actor.role, Role.ADMIN):
        why = "Only admins apply approved changes."
        _deny("approval.apply", proposal=proposal, actor=actor, request=request, why=why, code="cannot_apply")
    return _queue_apply(proposal=proposal, actor=actor, comment=comment, request=request)


@transaction.atomic
def _queue_apply(*, proposal: Proposal, actor, comment: str, request) -> ApplyAttempt:
    # The row lock serialises two applies of the same proposal; the unique constraint on live
    # attempts is the backstop should anything reach the table another way.
    proposal = _lock(proposal)
    if proposal.state == State.APPLIED:
        raise Conflict("This change is already applied.", code="already_applied")
    _expect_state(proposal, (State.APPROVED, State.FAILED), "applied")
    _refuse_unappliable(proposal)
    _give_up_on_lost_attempts(proposal)
    if proposal.attempts.filter(status__in=ApplyAttempt.LIVE).exists():
        raise Conflict("This change is already being applied.", code="apply_in_progress")
    try:
        with transaction.atomic():
            attempt = ApplyAttempt.objects.create(proposal=proposal, requested_by=actor)
    except IntegrityError:
        raise Conflict("This change is already being applied.", code="apply_in_progress") from None
    if proposal.state == State.FAILED:  # a retry goes back through approved
        _transition(
            proposal=proposal, to_state=State.APPROVED, actor=actor, comment=comment or "Retry.", apply_error=""
        )
    _audit("approval.apply_requested", proposal=proposal, actor=actor, request=request, attempt_id=attempt.pk)
    attempt_id = attempt.pk
    transaction.on_commit(lambda: _defer_apply(attempt_id))
    return attempt


def _give_up_on_lost_attempts(proposal: Proposal) -> None:
    """An attempt still 'running' long after any build could have ended lost its worker: mark it failed
    so the change can be retried (called under the proposal's row lock)."""
    _, statement_ms = apply_timeouts()
    cutoff = timezone.now() - timedelta(milliseconds=statement_ms) - LOST_ATTEMPT_MARGIN
    proposal.attempts.filter(status=ApplyAttempt.Status.RUNNING, started_at__lt=cutoff).update(
        status=ApplyAttempt.Status.FAILED,
        error="The worker stopped answering while applying; the attempt was given up.",
        finished_at=timezone.now(),
    )


def _defer_apply(attempt_id: int) -> None:
    job_id = jobs.defer(APPLY_TASK, attempt_id=attempt_id)
    ApplyAttempt.objects.filter(pk=attempt_id).update(job_id=job_id)


def _start_attempt(attempt_id: int) -> ApplyAttempt | None:
    """queued -> running under a row lock: a second worker run of the same job does nothing."""
    with transaction.atomic():
        attempt = ApplyAttempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None or attempt.status != ApplyAttempt.Status.QUEUED:
            return None
        attempt.status = ApplyAttempt.Status.RUNNING
        attempt.started_at = timezone.now()
        attempt.save(update_fields=["status", "started_at"])
    return attempt


def _execute(proposal: Proposal, attempt: ApplyAttempt) -> str:
    connection = proposal.connection
    url = connection.url
    lock_ms, statement_ms = apply_timeouts()

    def connect():
        return target.connect(url, autocommit=True, deadline_s=target.default_deadline_s(statement_ms))

    if proposal.kind == Kind.INDEX or applying.is_single_index(proposal.sql):
        plan = applying.prepare_index(proposal.sql, fallback_name=f"dbooster_proposal_{proposal.pk}_idx")
        ApplyAttempt.objects.filter(pk=attempt.pk).update(statement=plan.statement)
        is_retry = proposal.attempts.exclude(pk=attempt.pk).exists()
        return applying.create_index_concurrently(
            connect, plan, lock_timeout_ms=lock_ms, statement_timeout_ms=statement_ms, drop_invalid_leftover=is_retry
        )
    if proposal.kind == Kind.DATA:
        statement = applying.prepare_data_change(proposal.sql)
        ApplyAttempt.objects.filter(pk=attempt.pk).update(statement=statement)
        return _run_data_change(
            url, statement, attempt=attempt, proposal=proposal, lock_ms=lock_ms, statement_ms=statement_ms
        )
    statements = applying.prepare_ddl(proposal.sql)
    ApplyAttempt.objects.filter(pk=attempt.pk).update(statement=";\n".join(statements))
    return applying.run_ddl(connect, statements, lock_timeout_ms=lock_ms, statement_timeout_ms=statement_ms)


def _run_data_change(url: str, statement: str, *, attempt, proposal, lock_ms: int, statement_ms: int) -> str:
    """One data change through the guard's session (READ WRITE, timeouts, client deadline), committed only
    when it ran whole and changed no more rows than the approved limit; anything else rolls it all back."""
    estimate = (proposal.evidence or {}).get("estimated_rows")
    with target.session(url, read_only=False, statement_timeout_ms=statement_ms, lock_timeout_ms=lock_ms) as conn:
        changed = conn.execute(statement).rowcount
        ApplyAttempt.objects.filter(pk=attempt.pk).update(rows_changed=changed)
        if proposal.row_limit is not None and changed > proposal.row_limit:
            # Leaving the session without COMMIT rolls the change back.
            raise applying.ApplyFailed(
                f"changed {changed:,} rows, the limit approved was {proposal.row_limit:,}; rolled back.",
                cleanup=f"Rolled back: nothing was changed (the plan estimated {_rows(estimate)}).",
            )
        conn.execute("COMMIT")  # the session rolls back unless told: this is the approved write
    return f"changed {changed:,} rows (estimated {_rows(estimate)}); committed."


def _rows(count: int | None) -> str:
    return "an unknown number of rows" if count is None else f"{count:,}"


def run_apply_attempt(*, attempt_id: int) -> str:
    """The worker's half: run the change, then record applied or failed with the database's words."""
    attempt = _start_attempt(attempt_id)
    if attempt is None:
        return "skipped"
    proposal = Proposal.objects.select_related("organization", "connection", "proposer").get(pk=attempt.proposal_id)
    requester = attempt.requested_by
    try:
        _refuse_unappliable(proposal)  # the connection may have changed since the request
        note = _execute(proposal, attempt)
    except applying.ApplyFailed as exc:
        _finish(attempt, proposal, requester, ok=False, error=exc.message, cleanup=exc.cleanup, sqlstate=exc.sqlstate)
        return "failed"
    except DomainError as exc:
        _finish(attempt, proposal, requester, ok=False, error=exc.detail, cleanup="")
        return "failed"
    except Exception:
        logger.exception("Applying proposal %s failed unexpectedly", proposal.pk)
        _finish(attempt, proposal, requester, ok=False, error="DBooster failed while applying the change.", cleanup="")
        return "failed"
    _finish(attempt, proposal, requester, ok=True, error="", cleanup=note)
    return "applied"


def apply_lost(lost: jobs.LostJob) -> str:
    """The worker died mid-apply: the attempt and the proposal fail with the reason (never retried by itself:
    a person decides; a retry drops an INVALID index an interrupted CONCURRENTLY build left behind)."""
    attempt = ApplyAttempt.objects.filter(
        pk=lost.args.get("attempt_id"), status__in=(ApplyAttempt.Status.QUEUED, ApplyAttempt.Status.RUNNING)
    ).first()
    if attempt is None:
        return jobs.FAIL
    proposal = Proposal.objects.select_related("organization", "connection", "proposer").get(pk=attempt.proposal_id)
    _finish(
        attempt,
        proposal,
        attempt.requested_by,
        ok=False,
        error=f"The apply was stopped: {lost.reason}. The change may be partly applied; retry to finish or undo it.",
        cleanup="",
    )
    return jobs.FAIL


@transaction.atomic
def _finish(attempt, proposal, requester, *, ok: bool, error: str, cleanup: str, sqlstate: str = "") -> None:
    now = timezone.now()
    ApplyAttempt.objects.filter(pk=attempt.pk).update(
        status=ApplyAttempt.Status.SUCCEEDED if ok else ApplyAttempt.Status.FAILED,
        error=error,
        cleanup=cleanup,
        finished_at=now,
    )
    proposal = _lock(proposal)
    if ok:
        rows = ApplyAttempt.objects.values_list("rows_changed", flat=True).get(pk=attempt.pk)
        _transition(
            proposal=proposal,
            to_state=State.APPLIED,
            actor=requester,
            comment=cleanup,
            applied_at=now,
            rows_changed=rows,
        )
    else:
        comment = f"{error}\n{cleanup}".strip()
        _transition(proposal=proposal, to_state=State.FAILED, actor=requester, comment=comment, apply_error=error)
    _audit(
        "approval.apply",
        proposal=proposal,
        actor=requester,
        outcome="success" if ok else "failure",
        attempt_id=attempt.pk,
        connection_id=proposal.connection_id,
        sqlstate=sqlstate,
        cleanup=cleanup,
    )
    if proposal.proposer_id:
        notify(
            recipients=[proposal.proposer],
            kind=NotificationKind.PROPOSAL_APPLIED if ok else NotificationKind.PROPOSAL_FAILED,
            title=f"{'Applied' if ok else 'Failed to apply'}: {proposal.title}"[:200],
            body=cleanup if ok else f"The database said: {error}\n{cleanup}".strip(),
            url=_url(proposal),
            target=proposal,
        )


# --- exporting --------------------------------------------------------------------

EXPORT_FORMATS = {
    Kind.INDEX: ("sql", "django"),
    Kind.DDL: ("sql", "django"),
    Kind.DATA: ("sql",),
    Kind.REWRITE: ("patch",),
}


def proposal_export(*, proposal: Proposal, fmt: str, actor=None, request=None) -> exports.ExportFile:
    allowed = EXPORT_FORMATS[proposal.kind]
    fmt = fmt or allowed[0]
    if fmt not in allowed:
        raise InvalidInput(
            f"format: a {proposal.kind} proposal exports as {' or '.join(allowed)}.", code="invalid_format"
        )
    if proposal.state not in (State.APPROVED, State.APPLIED):
        raise Conflict(
            f"This proposal is {proposal.state}: only an approved change is exported.",
            code=f"proposal_{proposal.state}",
        )
    header = [
        f"DBooster proposal #{proposal.pk}: {proposal.title}",
        f"Reason: {proposal.reason}" if proposal.reason else "",
        f"Approved by {proposal.decided_by.email if proposal.decided_by else 'an admin'}"
        + (f" on {proposal.decided_at:%Y-%m-%d %H:%M} UTC" if proposal.decided_at else ""),
    ]
    header = [h for h in header if h]
    lock_ms, statement_ms = apply_timeouts()
    if fmt == "patch":
        if not proposal.source_file or not proposal.source_line or not proposal.source_context:
            raise Unprocessable(
                "This rewrite did not come from a scanned file, so there is no file and line to patch; "
                "replace the query by hand with the rewritten SQL.",
                code="no_source_location",
                extra={"replacement_sql": proposal.sql},
            )
        result = exports.rewrite_patch(
            proposal_id=proposal.pk,
            file_path=proposal.source_file,
            line=proposal.source_line,
            context=proposal.source_context,
            context_start=proposal.source_context_start or max(1, proposal.source_line - 2),
            original=proposal.original_query,
            replacement=proposal.sql,
        )
    else:
        concurrent = proposal.kind == Kind.INDEX or applying.is_single_index(proposal.sql)
        if concurrent:
            plan = applying.prepare_index(proposal.sql, fallback_name=f"dbooster_proposal_{proposal.pk}_idx")
            statements, reverse = [plan.statement], [plan.drop_statement]
        elif proposal.kind == Kind.DATA:
            statements, reverse = [applying.prepare_data_change(proposal.sql)], None
        else:
            statements, reverse = applying.prepare_ddl(proposal.sql), None
        if fmt == "sql":
            result = exports.sql_migration(
                proposal_id=proposal.pk,
                header=header,
                statements=statements,
                concurrent_index=concurrent,
                lock_timeout_ms=lock_ms,
                statement_timeout_ms=statement_ms,
            )
        else:
            result = exports.django_migration(
                proposal_id=proposal.pk,
                header=header,
                statements=statements,
                reverse_statements=reverse,
                concurrent_index=concurrent,
                lock_timeout_ms=lock_ms,
            )
    if actor is not None:
        _audit("approval.export", proposal=proposal, actor=actor, request=request, format=fmt)
    return result
