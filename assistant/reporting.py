"""The report on a project's database: gathers the facts from our own checks and measurements, then lets the
engine (`assistant.report`, plain Python) write it, with the model's prose when a model is configured.

Facts, each from where DBooster measured it:
- size now: the target's catalog (pg_database_size, the largest tables), read-only with a statement timeout;
  when the target cannot be reached, the last analytics snapshot;
- growth: the analytics snapshots of the last GROWTH_DAYS days (two or more are needed; else it says so);
- health: the last stored health run of the connection, else the checks run now (read-only, nothing stored);
- slowest queries: pg_stat_statements when the target has it, else the project's past measured analyses; each
  with the rule engine's findings over the synced schema and the optimizer's measured suggestions for it.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import psycopg
from django.db.models import Count, Max
from django.utils import timezone

from ai_usage.models import Purpose
from analytics.models import RelationSize, Snapshot
from assistant import llm
from assistant.report import (
    Advice,
    Growth,
    HealthFinding,
    Report,
    ReportFacts,
    SlowQuery,
    TableSize,
    build_report,
)
from dbooster.errors import DomainError
from health.engine import run_checks
from health.selectors import last_run
from optimizer import workload
from optimizer.models import Suggestion
from optimizer.rules import analyze
from optimizer.services import schema_from_metadata
from schema_metadata import target
from schema_metadata.models import DbTable, QueryAnalysis
from schema_metadata.sql_guard import fingerprint

log = logging.getLogger(__name__)

GROWTH_DAYS = 30
TOP_TABLES = 5
TOP_QUERIES = 5
ADVICE_PER_QUERY = 3
READ_TIMEOUT_MS = 5_000
# Statements on the catalogs and the server's functions are monitoring tools' (and DBooster's own reads), not the
# application's workload.
CATALOG_ONLY = re.compile(r"\bpg_[a-z_]+|\binformation_schema\b", re.I)

_SIZE_SQL = """
SELECT format('%%I.%%I', n.nspname, c.relname), pg_total_relation_size(c.oid), c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%%'
ORDER BY 2 DESC, 1 LIMIT %s
"""


def _live_size(conn) -> tuple[int, list[TableSize]]:
    database_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    tables = [
        TableSize(name, int(size), rows if rows is not None and rows >= 0 else None)
        for name, size, rows in conn.execute(_SIZE_SQL, [TOP_TABLES]).fetchall()
    ]
    return int(database_bytes), tables


def _snapshot_size(connection) -> tuple[int | None, list[TableSize], str]:
    latest = Snapshot.objects.filter(connection=connection).order_by("-taken_at", "-id").first()
    if latest is None:
        return None, [], ""
    tables = [
        TableSize(r.name, r.bytes, r.rows)
        for r in latest.relations.filter(kind="table").order_by("-bytes", "name")[:TOP_TABLES]
    ]
    return latest.database_bytes, tables, latest.taken_at.isoformat(timespec="minutes")


def _growth(connection) -> tuple[Growth | None, str]:
    since = timezone.now() - timedelta(days=GROWTH_DAYS)
    snapshots = Snapshot.objects.filter(connection=connection, taken_at__gte=since)
    first = snapshots.order_by("taken_at", "id").first()
    last = snapshots.order_by("-taken_at", "-id").first()
    if first is None or last is None or first.pk == last.pk:
        return None, (
            f"DBooster has fewer than two size snapshots of this database in the last {GROWTH_DAYS} days "
            f"(the analytics collector takes them while the worker runs)"
        )
    before = dict(RelationSize.objects.filter(snapshot=first, kind="table").values_list("name", "bytes"))
    changes = [
        TableSize(name, size - before[name])
        for name, size in RelationSize.objects.filter(snapshot=last, kind="table").values_list("name", "bytes")
        if name in before and size != before[name]
    ]
    changes.sort(key=lambda t: (-t.bytes, t.name))
    growth = Growth(
        since=first.taken_at.date().isoformat(),
        until=last.taken_at.date().isoformat(),
        start_bytes=first.database_bytes,
        end_bytes=last.database_bytes,
        tables=[t for t in changes if t.bytes > 0][:3],
    )
    return growth, ""


def _health(connection, conn) -> tuple[str, list[HealthFinding], str]:
    run = last_run(connection=connection)
    if run is not None:
        found, when = run.findings, run.created_at.isoformat(timespec="minutes")
    elif conn is None:
        return "", [], "the database could not be reached and no health run is stored"
    else:
        found, when = run_checks(conn).as_dict()["findings"], timezone.now().isoformat(timespec="minutes")
    fields = ("check", "severity", "title", "detail", "fix", "fix_sql", "objects")
    return when, [HealthFinding(**{k: f.get(k) or ("" if k != "objects" else []) for k in fields}) for f in found], ""


def _mentions(query: str, tables: set[str]) -> bool:
    return not tables or bool(set(re.findall(r"[a-z_][a-z0-9_$]*", query.lower())) & tables)


def _statements(conn, tables: set[str]) -> list[SlowQuery]:
    """The slowest application statements by mean time: not the catalogs', and reading a synced table."""
    items, total = workload.top_queries(conn, limit=50)
    application = [i for i in items if not CATALOG_ONLY.search(i.query) and _mentions(i.query, tables)]
    slowest = sorted(application, key=lambda i: -i.mean_time_ms)[:TOP_QUERIES]
    return [
        SlowQuery(
            query=i.query,
            mean_ms=i.mean_time_ms,
            calls=i.calls,
            total_ms=i.total_time_ms,
            share=i.total_time_ms / total if total else None,
        )
        for i in slowest
    ]


def _past_analyses(project) -> list[SlowQuery]:
    worst = list(
        QueryAnalysis.objects.filter(project=project, execution_ms__isnull=False)
        .values("fingerprint")
        .annotate(worst=Max("execution_ms"), last=Max("id"), runs=Count("id"))
        .order_by("-worst")[:TOP_QUERIES]
    )
    queries = dict(QueryAnalysis.objects.filter(pk__in=[r["last"] for r in worst]).values_list("pk", "query"))
    return [SlowQuery(query=queries.get(r["last"], ""), mean_ms=r["worst"]) for r in worst]


def _advice(project, connection, query: SlowQuery, schema) -> list[Advice]:
    """The optimizer's measured suggestions for this query (by fingerprint), then its rule findings."""
    out = []
    key = fingerprint(query.query)
    if key:
        measured = Suggestion.objects.filter(
            run__project=project, run__fingerprint=key, dropped=False, speedup__isnull=False
        ).order_by("-speedup", "-id")[:ADVICE_PER_QUERY]
        out += [
            Advice(text=s.rationale or f"{s.kind} measured on this query", sql=s.sql, speedup=s.speedup)
            for s in measured
        ]
    try:
        findings = analyze(query.query, schema)
    except Exception:  # noqa: BLE001 - a statement the parser refuses still belongs in the report, without rules
        findings = []
    out += [Advice(text=f"{f.message} {f.fix}", rule_id=f.rule_id) for f in findings]
    return out[:ADVICE_PER_QUERY]


def gather_facts(*, project, connection) -> tuple[ReportFacts, list[str]]:
    """The report's facts for `connection`, and notes on what could not be read."""
    notes: list[str] = []
    facts = ReportFacts(project=project.name, database=connection.name, measured_at="")
    try:
        with target.session(connection.url, read_only=True, statement_timeout_ms=READ_TIMEOUT_MS) as conn:
            facts.database_bytes, facts.largest_tables = _live_size(conn)
            facts.measured_at = timezone.now().isoformat(timespec="minutes")
            facts.health_checked_at, facts.health_findings, facts.health_unavailable = _health(connection, conn)
            try:  # last: a failure here aborts the transaction, and nothing else is read in it
                tables = {
                    t.lower() for t in DbTable.objects.filter(connection=connection).values_list("name", flat=True)
                }
                facts.slow_queries, facts.queries_source = _statements(conn, tables), "pg_stat_statements"
            except (LookupError, DomainError, psycopg.Error) as exc:
                facts.queries_unavailable = f"pg_stat_statements could not be read ({exc})"
    except (DomainError, psycopg.Error) as exc:
        log.info("report: connection %s unreachable: %s", connection.pk, type(exc).__name__)
        notes.append(f"{connection.name} could not be reached: {exc}. The report uses what DBooster stored.")
        facts.database_bytes, facts.largest_tables, facts.measured_at = _snapshot_size(connection)
        facts.health_checked_at, facts.health_findings, facts.health_unavailable = _health(connection, None)
    if not facts.slow_queries:
        past = _past_analyses(project)
        if past:
            facts.slow_queries, facts.queries_source, facts.queries_unavailable = past, "past analyses", ""
    schema = schema_from_metadata(connection)
    for query in facts.slow_queries:
        query.advice = _advice(project, connection, query, schema)
    facts.growth, facts.growth_unavailable = _growth(connection)
    return facts, notes


def _model_writer(project):
    """write(system, user) for the engine: the chat model, counted against the organization's AI limit."""

    def write(system: str, user: str) -> str:
        return llm.complete_text(
            organization=project.organization, purpose=Purpose.REPORT, system=system, user=user, project=project
        )

    return write


def project_report(*, project, connection, use_model: bool = True) -> Report:
    facts, notes = gather_facts(project=project, connection=connection)
    write = _model_writer(project) if use_model and llm.configured() else None
    report = build_report(facts, write=write)
    if use_model and not llm.configured():
        notes.append(
            f"No AI model is configured, so the templates wrote the prose. To have it written, set {llm.SETTINGS_TO_SET}."
        )
    report.notes = notes + report.notes
    return report
