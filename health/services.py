"""Writes of the health app: run the checks over a connection and keep the run; propose a finding's fix."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals.services import proposal_submit_sql
from audit.services import record
from dbooster import jobs
from dbooster.errors import DomainError, InvalidInput, NotFound
from health import selectors
from health.engine import run_checks
from health.models import HealthRun
from optimizer.workload import fingerprint
from repositories.models import ExtractedQuery
from schema_metadata import target

log = logging.getLogger(__name__)

SCHEDULED_RUN_TASK = "health.run_scheduled"
TOP_QUERY_CHECKS = ("top_queries_total_time", "top_queries_mean_time", "top_queries_calls")
STATEMENT_TIMEOUT_MS = 10_000


def _link_top_queries(*, project, findings: list[dict]) -> None:
    """Give each top query its fingerprint, and the scanned code's query of the same fingerprint if any."""
    top = [f for f in findings if f["check"] in TOP_QUERY_CHECKS]
    prints = {id(f): fingerprint(f["data"].get("query", "")) for f in top}
    known = dict(
        ExtractedQuery.objects.filter(project=project, fingerprint__in=[p for p in prints.values() if p]).values_list(
            "fingerprint", "pk"
        )
    )
    for finding in top:
        fp = prints[id(finding)]
        finding["data"]["fingerprint"] = fp or ""
        finding["data"]["extracted_query_id"] = known.get(fp)


def health_run(*, connection, actor=None, request=None) -> HealthRun:
    """Run every check over `connection` (read only, statement timeout: the project's guard) and store the run."""
    with target.session(connection.url, read_only=True, statement_timeout_ms=STATEMENT_TIMEOUT_MS) as conn:
        report = run_checks(conn).as_dict()
    _link_top_queries(project=connection.project, findings=report["findings"])
    with transaction.atomic():
        run = HealthRun.objects.create(
            project=connection.project,
            connection=connection,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
            findings=report["findings"],
            ran=report["ran"],
            skipped=report["skipped"],
            errors=report["errors"],
            elapsed_ms=report["elapsed_ms"],
        )
        record(
            action="health.run",
            actor=actor,
            organization=connection.project.organization,
            target=run,
            request=request,
            metadata={"connection": connection.pk, "findings": len(run.findings)},
        )
    return run


def health_propose_fix(*, run: HealthRun, index: int, actor, request=None):
    """Submit the SQL fix of finding `index` of `run` for approval (kind index or ddl)."""
    if not 0 <= index < len(run.findings):
        raise NotFound(f"Finding {index} not found in health run {run.pk}.")
    finding = run.findings[index]
    if not finding.get("fix_sql"):
        raise InvalidInput("This finding's fix is not SQL: there is nothing to propose.", code="no_sql_fix")
    return proposal_submit_sql(
        actor=actor,
        kind=finding["fix_kind"] or "ddl",
        sql=finding["fix_sql"],
        reason=f"{finding['title']}: {finding['detail']}\n\nWhy: {finding['why']}\n\nFix: {finding['fix']}",
        connection_id=run.connection_id,
        project_id=run.project_id,
        evidence={"health_run": run.pk, "finding": index, "check": finding["check"]},
        request=request,
    )


def _interval() -> timedelta | None:
    minutes = settings.HEALTH_RUN_INTERVAL_MINUTES
    return timedelta(minutes=minutes) if minutes > 0 else None


def health_schedule_due_runs() -> list[int]:
    """Queue a run of the checks for each connection whose last run is older than the interval (the periodic
    task calls this every minute). Returns the connections queued now; one already waiting is not queued twice."""
    interval = _interval()
    if interval is None:
        return []
    due = selectors.connections_due(older_than=timezone.now() - interval)
    return [pk for pk in due if jobs.defer_once(SCHEDULED_RUN_TASK, lock=f"health-run-{pk}", connection_id=pk)]


def health_prune_old_runs() -> int:
    """Delete the runs older than HEALTH_RUN_RETENTION_DAYS, but never a connection's latest. Returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.HEALTH_RUN_RETENTION_DAYS)
    deleted, _ = selectors.runs_older_than(cutoff).exclude(pk__in=selectors.latest_run_ids()).delete()
    return deleted


def health_run_scheduled(*, connection_id: int) -> HealthRun | None:
    """The scheduled run of one connection: skipped when the connection is gone or was checked within the interval
    (someone ran it since it was queued); a database that cannot be reached is stored as a run with the reason,
    so the page says so and the next attempt waits for the next interval."""
    interval = _interval()
    connection = selectors.connection_for_scheduled_run(pk=connection_id)
    if connection is None or interval is None:
        return None
    last = selectors.last_run(connection=connection)
    if last is not None and last.created_at > timezone.now() - interval:
        return None
    try:
        return health_run(connection=connection)
    except DomainError as exc:
        log.info("scheduled health run of connection %s failed: %s", connection.pk, exc.code)
        return HealthRun.objects.create(
            project=connection.project, connection=connection, errors={"connection": exc.detail}
        )
