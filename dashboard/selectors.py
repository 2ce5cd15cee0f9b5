"""What the home page and a project's page show: where the user stands and what was measured.

Reads only, across apps (this package sits above all of them): projects, connections and syncs,
repository scans, analyses and optimizations, approvals.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import psycopg
from django.db.models import Count, Max, Sum

from approvals.models import Proposal
from dashboard.cache import cached_counts
from dbooster.errors import DomainError
from health.models import HealthRun
from optimizer import workload
from optimizer.models import OptimizationRun, Suggestion, WorkloadImport, WorkloadQuery
from projects.models import Project
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


# --- The dashboard: counts, worst health findings and the queries with the most time to save ------------------
# Every read below is a constant number of SQL queries whatever the number of projects, connections, runs or
# suggestions (dashboard/tests/test_dashboard_api.py counts them): aggregates, DISTINCT ON and IN lists, never a
# loop of reads.

WORST = 10
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
OPEN_SEVERITIES = ("critical", "warning")  # info findings (top queries, settings) describe; they are not open work


def _latest_health_runs(projects) -> list[HealthRun]:
    """The last health run of each connection of `projects` (one query)."""
    return list(
        HealthRun.objects.filter(project__in=projects)
        .select_related("project", "connection")
        .order_by("connection_id", "-created_at", "-id")
        .distinct("connection_id")
    )


def _unsubmitted_suggestions(projects):
    """Measured suggestions nobody has submitted for approval yet (the home page's open findings)."""
    return Suggestion.objects.filter(
        run__project__in=projects, dropped=False, speedup__isnull=False, proposals__isnull=True
    )


def dashboard_counts(projects) -> dict:
    """How much there is, across `projects` (a queryset of one organization's projects)."""
    by_severity = {s: 0 for s in SEVERITY_RANK}
    for run in _latest_health_runs(projects):
        for finding in run.findings:
            by_severity[finding["severity"]] = by_severity.get(finding["severity"], 0) + 1
    health_open = sum(by_severity[s] for s in OPEN_SEVERITIES)
    suggestions_open = _unsubmitted_suggestions(projects).count()
    return {
        "projects": projects.count(),
        "connections": DatabaseConnection.objects.filter(project__in=projects).count(),
        "queries_found": ExtractedQuery.objects.filter(project__in=projects).count(),
        "open_findings": health_open + suggestions_open,
        "open_findings_by_source": {"health": health_open, "suggestions": suggestions_open},
        "health_findings_by_severity": by_severity,
        "pending_approvals": Proposal.objects.filter(project__in=projects, state__in=Proposal.OPEN_STATES).count(),
    }


def worst_health_findings(projects, *, limit: int = WORST) -> list[dict]:
    """The critical and warning findings of the latest run of each connection, critical first, newest run first
    (info findings, such as the top queries and settings to review, describe the database; they are no problem)."""
    found = []
    for run in _latest_health_runs(projects):
        for index, finding in enumerate(run.findings):
            if finding["severity"] in OPEN_SEVERITIES:
                found.append((run, index, finding))
    found.sort(key=lambda item: (SEVERITY_RANK.get(item[2]["severity"], 9), -item[0].created_at.timestamp()))
    return [
        {
            "project": run.project_id,
            "project_name": run.project.name,
            "connection": run.connection_id,
            "connection_name": run.connection.name,
            "run": run.pk,
            "index": index,
            "ran_at": run.created_at,
            **{key: finding.get(key, "") for key in ("check", "severity", "title", "detail", "fix", "fix_sql")},
            "objects": finding.get("objects", []),
        }
        for run, index, finding in found[:limit]
    ]


def _latest_workloads(projects):
    """The last pg_stat_statements import of each connection (its calls and times are the current workload)."""
    return (
        WorkloadImport.objects.filter(project__in=projects)
        .order_by("connection_id", "-created_at", "-id")
        .distinct("connection_id")
        .values("pk")
    )


def _per_call_saving_ms(suggestion: Suggestion) -> float | None:
    """Time one execution saves, as measured (before - after), else from the measured time and the speedup."""
    before, after = suggestion.time_before_ms, suggestion.time_after_ms
    if before is not None and after is not None:
        return max(before - after, 0.0)
    if before is not None and suggestion.speedup:
        return max(before * (1 - 1 / suggestion.speedup), 0.0)
    return None


def time_to_save(projects, *, limit: int = TOP) -> list[dict]:
    """The queries whose fix saves the most time: optimizer suggestions not yet applied (per call, times the calls
    pg_stat_statements counted when the workload was imported) and the workload advisor's estimates.

    One line per query (fingerprint), the largest saving first.
    """
    suggestions = list(
        Suggestion.objects.filter(run__project__in=projects, dropped=False, time_before_ms__isnull=False)
        .exclude(proposals__state=Proposal.State.APPLIED)
        .select_related("run", "run__project")
        .order_by("-id")[:200]
    )
    fingerprints = {s.run.fingerprint for s in suggestions if s.run.fingerprint}
    current = WorkloadQuery.objects.filter(workload__in=_latest_workloads(projects))
    calls = dict(
        current.filter(fingerprint__in=fingerprints)
        .values("fingerprint")
        .annotate(n=Sum("calls"))
        .values_list("fingerprint", "n")
    )
    workload = list(
        current.filter(saving_ms__gt=0).select_related("workload", "workload__project").order_by("-saving_ms")[:limit]
    )
    best: dict[str, dict] = {}

    def keep(key: str, item: dict) -> None:
        if item["saving_ms"] > 0 and (key not in best or item["saving_ms"] > best[key]["saving_ms"]):
            best[key] = item

    for s in suggestions:
        per_call = _per_call_saving_ms(s)
        if per_call is None:
            continue
        n = calls.get(s.run.fingerprint) if s.run.fingerprint else None
        keep(s.run.fingerprint or f"suggestion-{s.pk}", {
            "source": "optimizer", "project": s.run.project_id, "project_name": s.run.project.name,
            "connection": s.run.connection_id, "query": s.run.query, "fingerprint": s.run.fingerprint,
            "fix": s.sql, "kind": s.kind, "speedup": s.speedup, "verified": s.verified, "calls": n,
            "per_call_ms": round(per_call, 3), "saving_ms": round(per_call * (n or 1), 3),
            "optimization": s.run_id, "suggestion": s.pk,
        })  # fmt: skip
    for row in workload:
        keep(row.fingerprint or f"workload-{row.pk}", {
            "source": "workload", "project": row.workload.project_id, "project_name": row.workload.project.name,
            "connection": row.workload.connection_id, "query": row.query, "fingerprint": row.fingerprint,
            "fix": "", "kind": "index", "speedup": None, "verified": False, "calls": row.calls,
            "per_call_ms": round(row.saving_ms / row.calls, 3) if row.calls else None,
            "saving_ms": round(row.saving_ms, 3), "optimization": None, "suggestion": None,
        })  # fmt: skip
    return sorted(best.values(), key=lambda item: -item["saving_ms"])[:limit]


def connection_summaries(project) -> list[dict]:
    """Each connection of the project: its synced size, its last sync and its last health run."""
    connections = list(
        DatabaseConnection.objects.filter(project=project)
        .annotate(table_count=Count("tables", distinct=True), size_bytes=Sum("tables__size_bytes"))
        .order_by("-is_default", "name", "id")
    )
    syncs = {
        s.connection_id: s
        for s in SchemaSync.objects.filter(connection__in=connections)
        .order_by("connection_id", "-created_at", "-id")
        .distinct("connection_id")
    }
    runs = {r.connection_id: r for r in _latest_health_runs(Project.objects.filter(pk=project.pk))}
    return [{"connection": c, "last_sync": syncs.get(c.pk), "last_health_run": runs.get(c.pk)} for c in connections]


def last_scan(project) -> ScanRun | None:
    return ScanRun.objects.filter(project=project).order_by("-created_at", "-id").first()


def dashboard(*, org) -> dict:
    """`GET /dashboard`: the user's organization, across its projects."""
    projects = Project.objects.filter(organization=org)
    return {
        "counts": cached_counts(org.pk, "all", lambda: dashboard_counts(projects)),
        "worst_findings": worst_health_findings(projects),
        "time_to_save": time_to_save(projects),
    }


def project_summary(*, project) -> dict:
    """`GET /projects/{id}/summary`: the dashboard of one project, its connections and its last scan."""
    projects = Project.objects.filter(pk=project.pk)
    return {
        "project": project,
        "counts": cached_counts(project.organization_id, f"project:{project.pk}", lambda: dashboard_counts(projects)),
        "worst_findings": worst_health_findings(projects),
        "time_to_save": time_to_save(projects),
        "connections": connection_summaries(project),
        "last_scan": last_scan(project),
    }
