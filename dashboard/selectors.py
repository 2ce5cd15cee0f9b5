"""What the home page and a project's page show: where the user stands and what was measured.

Reads only, across apps (this package sits above all of them): projects, connections and syncs,
repository scans, analyses and optimizations, approvals.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import psycopg
from django.db.models import Count, Max

from approvals.models import Proposal
from dbooster.errors import DomainError
from optimizer import workload
from optimizer.models import OptimizationRun, Suggestion
from repositories.models import ExtractedQuery, ScanRun
from schema_metadata import target
from schema_metadata.models import DatabaseConnection, DbTable, QueryAnalysis, SchemaSync

log = logging.getLogger(__name__)

TOP = 5
STATS_TIMEOUT_MS = 1_500  # the home page waits this long at most for pg_stat_statements
# DBooster's own reads of a target (schema sync, connection tests) are not the user's workload.
OWN_QUERIES = re.compile(
    r"\bpg_(catalog|class|index|namespace|attribute|extension|constraint|export_snapshot|stat|settings|database|am"
    r"|relation_size)\b|\b(set_config|setseed|to_regclass)\(|information_schema|demo_shop_meta",
    re.I,
)


@dataclass
class Step:
    key: str
    title: str
    done: bool
    detail: str
    action_label: str
    action_url: str
    current: bool = False


def checklist(project) -> list[Step]:
    """Connect a database, sync its schema, scan a repository, optimize a query: done or not, and the next action."""
    default = DatabaseConnection.objects.filter(project=project).order_by("-is_default", "id").first()
    synced = SchemaSync.objects.filter(project=project, status=SchemaSync.Status.SUCCEEDED).order_by("-id").first()
    scanned = ScanRun.objects.filter(project=project, status="succeeded").order_by("-id").first()
    optimized = OptimizationRun.objects.filter(project=project).order_by("-id").first()
    base = f"/app/projects/{project.pk}"
    steps = [
        Step("connect", "Connect a database", default is not None,
             f"{default.name} ({default.environment})" if default else "Point DBooster at a PostgreSQL database, or use the demo shop.",
             "Add a connection" if default is None else "Connections",
             f"{base}/connections/new/" if default is None else "/app/databases/"),
        Step("sync", "Sync its schema", synced is not None,
             f"{synced.stats.get('tables', 0) if isinstance(synced.stats, dict) else 0} tables read" if synced else "Read tables, indexes and foreign keys so advice knows the schema.",
             "Open the schema" if synced else "Sync now",
             f"{base}/schema/" + (f"?connection={default.pk}" if default else "")),
        Step("scan", "Scan a repository", scanned is not None,
             "The queries your code sends, found in its source." if not scanned else f"Scan {scanned.pk} finished",
             "Scanned queries" if scanned else "Scan a repository",
             f"{base}/queries/" if scanned else "/app/repositories/"),
        Step("optimize", "Optimize a query", optimized is not None,
             "Find the index or rewrite that makes a slow query fast, measured on your database." if not optimized
             else "Last: " + (optimized.query if len(optimized.query) <= 80 else optimized.query[:79].rstrip() + "…"),
             "See the result" if optimized else "Optimize a query",
             f"/app/optimize/{optimized.pk}/" if optimized else f"/app/optimize/?project={project.pk}"),
    ]  # fmt: skip
    current = next((step for step in steps if not step.done), None)
    if current is not None:
        current.current = True
    return steps


def _mentions_a_table(query: str, tables: set[str]) -> bool:
    words = set(re.findall(r"[a-z_][a-z0-9_$]*", query.lower()))
    return bool(words & tables)


def _pg_stat_statements(connection) -> list[dict] | None:
    """The target's top statements, or None when it has no pg_stat_statements (or cannot be reached quickly)."""
    # The user's workload reads the user's tables (as synced); the rest is DBooster's own or the server's.
    tables = {name.lower() for name in DbTable.objects.filter(connection=connection).values_list("name", flat=True)}
    if not tables:
        return None
    try:
        with target.session(connection.url, statement_timeout_ms=STATS_TIMEOUT_MS, connect_timeout=2) as conn:
            items, total = workload.top_queries(conn, limit=50)
    except (LookupError, DomainError, psycopg.Error) as exc:
        log.info("pg_stat_statements unavailable on connection %s: %s", connection.pk, type(exc).__name__)
        return None
    return [
        {
            "query": item.query,
            "calls": item.calls,
            "total_ms": item.total_time_ms,
            "mean_ms": item.mean_time_ms,
            "share": item.total_time_ms / total if total else None,
        }
        for item in items
        if not OWN_QUERIES.search(item.query) and _mentions_a_table(item.query, tables)
    ]


def measured_queries(project) -> dict:
    """Slowest and most frequent queries: from pg_stat_statements where the default connection has it, else
    from the project's past analyses (slowest) and scanned code (most used)."""
    connection = DatabaseConnection.objects.filter(project=project, is_default=True).first()
    stats = _pg_stat_statements(connection) if connection is not None else None
    if stats:
        return {
            "source": "pg_stat_statements",
            "connection": connection,
            "slowest": sorted(stats, key=lambda s: -s["mean_ms"])[:TOP],
            "frequent": sorted(stats, key=lambda s: -s["calls"])[:TOP],
        }
    slowest = _slowest_analyses(project)
    frequent = [
        {"query": q.sql or q.normalized_text, "calls": q.places, "extracted_id": q.pk}
        for q in ExtractedQuery.objects.filter(project=project)
        .annotate(places=Count("occurrences"))
        .order_by("-places", "id")[:TOP]
    ]
    return {"source": "history", "connection": connection, "slowest": slowest, "frequent": frequent}


def _slowest_analyses(project) -> list[dict]:
    """One line per query (by fingerprint): its slowest measured run, and how often it was analysed."""
    worst = (
        QueryAnalysis.objects.filter(project=project, execution_ms__isnull=False)
        .values("fingerprint")
        .annotate(worst=Max("execution_ms"), last=Max("id"), runs=Count("id"))
        .order_by("-worst")[:TOP]
    )
    rows = list(worst)
    queries = dict(QueryAnalysis.objects.filter(pk__in=[r["last"] for r in rows]).values_list("pk", "query"))
    return [
        {"query": queries.get(r["last"], ""), "mean_ms": r["worst"], "analysis_id": r["last"], "calls": r["runs"]}
        for r in rows
    ]


def open_findings(project) -> list[dict]:
    """Measured suggestions nobody has submitted for approval yet, best first."""
    suggestions = (
        Suggestion.objects.filter(run__project=project, dropped=False, speedup__isnull=False)
        .exclude(proposals__isnull=False)
        .select_related("run")
        .order_by("-speedup", "-id")[:TOP]
    )
    return [{"suggestion": s, "run": s.run} for s in suggestions]


def pending_approvals(project) -> list[Proposal]:
    return list(Proposal.objects.filter(project=project, state__in=Proposal.OPEN_STATES).order_by("-created_at")[:TOP])


def analysis_before_change(*, proposal, fingerprint: str, exclude=None) -> QueryAnalysis | None:
    """The last analysis of the query on the proposal's connection made before the change was applied."""
    applied = proposal.attempts.filter(status="succeeded").order_by("-id").first()
    analyses = QueryAnalysis.objects.filter(connection_id=proposal.connection_id, fingerprint=fingerprint)
    if applied is not None and applied.started_at is not None:
        analyses = analyses.filter(created_at__lt=applied.started_at)
    if exclude is not None:
        analyses = analyses.exclude(pk=exclude)
    return analyses.order_by("-created_at", "-id").first()
