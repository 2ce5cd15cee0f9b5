"""The tools the model may call, executed by our own code with the API's guards.

Each tool gets a `ToolContext` (the project, its connection, the user, whether row values may reach the model)
and JSON arguments the model wrote; it returns a JSON-able dict for the model and records the SQL it ran.
What the model sees is built here, field by field: never a connection URL or any other secret, never more
rows than `ASSISTANT_ROW_CAP`, and row values only where the project's assistant settings allow them
(otherwise the columns and the row count).

A refused or failed tool answers {"error", "code"}: the model reads why and may try something else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from analytics import selectors as analytics_selectors
from analytics.timerange import parse_range
from approvals import services as approvals_services
from approvals.models import Proposal
from dbooster.errors import DomainError, InvalidInput
from health import services as health_services
from optimizer import services as optimizer_services
from repositories.models import ExtractedQuery
from schema_metadata import services as metadata_services
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata
from workbench import runner
from workbench import services as workbench_services

LIST_LIMIT = 200  # tables listed per call
SEARCH_LIMIT = 10  # scanned queries per search
OPTIONAL_ARGUMENTS = {"pattern", "range"}
PROPOSAL_KINDS = {
    "index": Proposal.Kind.INDEX,
    "ddl": Proposal.Kind.DDL,
    "data": Proposal.Kind.DATA,
    "rewrite": Proposal.Kind.REWRITE,
}


@dataclass
class ToolContext:
    project: object
    connection: object | None
    actor: object
    share_rows: bool = False
    request: object | None = None
    sql_ran: list[dict] = field(default_factory=list)  # every statement a tool ran, for the stored message
    proposals: list[int] = field(default_factory=list)  # drafts made in this turn

    def need_connection(self):
        if self.connection is None:
            raise InvalidInput("The project has no database connection: add one first.", code="no_connection")
        return self.connection


def row_cap() -> int:
    return min(settings.ASSISTANT_ROW_CAP, workbench_services.row_cap_limit())


def _string(args: dict, name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name}: a non-empty string is needed.", code="invalid_argument")
    return value.strip()


# --- the tools ----------------------------------------------------------------------------------------------


def list_tables(ctx: ToolContext, args: dict) -> dict:
    tables = DbTable.objects.filter(connection=ctx.need_connection())
    pattern = args.get("pattern")
    if isinstance(pattern, str) and pattern.strip():
        tables = tables.filter(name__icontains=pattern.strip())
    total = tables.count()
    rows = tables.order_by("schema_name", "name")[:LIST_LIMIT]
    return {
        "tables": [
            {"table": f"{t.schema_name}.{t.name}", "kind": t.kind, "rows_estimate": t.row_estimate} for t in rows
        ],
        "total": total,
        "truncated": total > LIST_LIMIT,
    }


def _table_record(connection, name: str) -> DbTable:
    schema, _, table = name.rpartition(".")
    found = DbTable.objects.filter(connection=connection, name=table)
    if schema:
        found = found.filter(schema_name=schema)
    record = found.order_by("schema_name").first()
    if record is None:
        raise InvalidInput(f"No table {name!r} in the synced schema; list_tables shows what exists.", code="no_table")
    return record


def describe_table(ctx: ToolContext, args: dict) -> dict:
    connection = ctx.need_connection()
    table = _table_record(connection, _string(args, "table"))
    where = {"connection": connection, "schema_name": table.schema_name, "table_name": table.name}
    columns = SchemaMetadata.objects.filter(**where).order_by("ordinal_position")
    return {
        "table": f"{table.schema_name}.{table.name}",
        "kind": table.kind,
        "rows_estimate": table.row_estimate,
        "size_bytes": table.size_bytes,
        "comment": table.comment,
        "columns": [{"name": c.column_name, "type": c.column_type, "nullable": c.is_nullable} for c in columns],
        "indexes": [i.definition for i in DbIndex.objects.filter(**where).order_by("name")],
        "foreign_keys": [
            {
                "columns": k.columns,
                "references": f"{k.referred_schema}.{k.referred_table}",
                "ref_columns": k.referred_columns,
            }
            for k in DbForeignKey.objects.filter(**where).order_by("name")
        ],
    }


def result_for_model(result: dict, *, share_rows: bool) -> dict:
    """What the model may see of a query result: columns and counts, and the (capped) rows only when allowed."""
    seen = {
        "columns": [c["name"] for c in result["columns"]],
        "row_count": result["row_count"],
        "truncated": result["truncated"],
    }
    if share_rows:
        seen["rows"] = result["rows"][: row_cap()]
    else:
        seen["rows_withheld"] = "The project does not share row values with the model: columns and counts only."
    return seen


def run_read_only(ctx: ToolContext, sql: str) -> dict:
    """Run one read-only statement through the workbench (history, audit, the single guard); the full result."""
    statement = runner.parse(sql)
    if statement.kind != "select":
        raise InvalidInput(
            f"Only read-only queries run here; this is a {statement.kind} statement. Propose it as a change "
            "(propose_change) instead.",
            code="not_read_only",
        )
    connection = ctx.need_connection()
    run, result = workbench_services.sql_run(
        project=ctx.project,
        actor=ctx.actor,
        sql=sql,
        connection_id=connection.pk,
        row_cap=row_cap(),
        timeout_ms=min(settings.ASSISTANT_STATEMENT_TIMEOUT_MS, settings.TARGET_STATEMENT_TIMEOUT_MS),
        request=ctx.request,
    )
    ctx.sql_ran.append({"tool": "run_query", "sql": sql, "run_id": run.pk, "row_count": result["row_count"]})
    return result


def run_query(ctx: ToolContext, args: dict) -> dict:
    result = run_read_only(ctx, _string(args, "sql"))
    return result_for_model(result, share_rows=ctx.share_rows)


def explain_query(ctx: ToolContext, args: dict) -> dict:
    sql = _string(args, "sql")
    analysis = metadata_services.explain_query(
        project=ctx.project, query=sql, connection_id=ctx.need_connection().pk, analyze=False, actor=ctx.actor,
        request=ctx.request,
    )  # fmt: skip
    ctx.sql_ran.append({"tool": "explain_query", "sql": sql, "analysis_id": analysis.pk})
    summary = analysis.summary or {}
    return {
        "analysis_id": analysis.pk,
        "total_cost": analysis.total_cost,
        "statement_kind": analysis.statement_kind,
        "estimated_rows": summary.get("estimated_rows"),
        "nodes": [
            {k: n.get(k) for k in ("id", "parent_id", "node_type", "label", "total_cost", "estimated_rows")}
            for n in (summary.get("nodes") or [])[:30]
        ],
        "warnings": (summary.get("warnings") or [])[:10],
        "notes": summary.get("notes") or [],
    }


def optimize_query(ctx: ToolContext, args: dict) -> dict:
    sql = _string(args, "sql")
    run = optimizer_services.optimize_query(
        user=ctx.actor, query=sql, project_id=ctx.project.pk, connection_id=ctx.need_connection().pk, use_ai=False,
        request=ctx.request,
    )  # fmt: skip
    ctx.sql_ran.append({"tool": "optimize_query", "sql": sql, "optimization_id": run.pk})
    return {
        "optimization_id": run.pk,
        "findings": [{k: f.get(k) for k in ("rule_id", "severity", "message")} for f in run.findings[:10]],
        "suggestions": [
            {"kind": s.kind, "sql": s.sql, "rationale": s.rationale[:500], "speedup": s.speedup, "verified": s.verified}
            for s in run.suggestions.all()[:10]
        ],
    }


def run_health_checks(ctx: ToolContext, args: dict) -> dict:
    run = health_services.health_run(connection=ctx.need_connection(), actor=ctx.actor, request=ctx.request)
    ctx.sql_ran.append({"tool": "run_health_checks", "health_run_id": run.pk})
    return {
        "health_run_id": run.pk,
        "counts": run.counts(),
        "findings": [
            {k: f.get(k) for k in ("check", "severity", "title", "objects", "fix", "fix_sql")}
            for f in run.findings[:20]
        ],
    }


def search_queries(ctx: ToolContext, args: dict) -> dict:
    text = _string(args, "text")
    found = ExtractedQuery.objects.filter(project=ctx.project)
    for word in text.split()[:5]:
        found = found.filter(normalized_text__icontains=word)
    rows = list(found.order_by("-id")[:SEARCH_LIMIT].prefetch_related("occurrences"))
    return {
        "queries": [
            {
                "sql": (q.sql or q.normalized_text)[:1000],
                "tables": q.tables_read + q.tables_written,
                "found_in": [f"{o.file_path}:{o.line}" for o in list(q.occurrences.all())[:3]],
            }
            for q in rows
        ]
    }


def read_analytics(ctx: ToolContext, args: dict) -> dict:
    """The workload over a time range from the analytics snapshots: the statements that took the most time."""
    rng = parse_range({"range": str(args.get("range") or "24h")}, now=timezone.now())
    top = analytics_selectors.top_queries(connection=ctx.need_connection(), rng=rng, limit=SEARCH_LIMIT)
    keys = ("fingerprint", "calls", "total_ms", "mean_ms", "rows", "shared_blks_read")
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "top_queries": [{**{k: q.get(k) for k in keys}, "query": (q.get("query") or "")[:1000]} for q in top],
    }


def propose_change(ctx: ToolContext, args: dict) -> dict:
    """A change becomes a draft proposal (with its migration-safety review): nothing runs until the user accepts."""
    kind = PROPOSAL_KINDS.get(str(args.get("kind", "")).lower())
    if kind is None:
        raise InvalidInput(f"kind: one of {', '.join(PROPOSAL_KINDS)}.", code="invalid_argument")
    proposal = draft_proposal(ctx, kind=kind, sql=_string(args, "sql"), reason=_string(args, "reason"))
    return {"proposal_id": proposal.pk, "state": proposal.state, "safety_review": proposal.safety_review}


def draft_proposal(ctx: ToolContext, *, kind: str, sql: str, reason: str, evidence: dict | None = None) -> Proposal:
    proposal = approvals_services.proposal_submit_sql(
        actor=ctx.actor,
        kind=kind,
        sql=sql,
        reason=reason,
        connection_id=ctx.connection.pk if ctx.connection is not None else None,
        project_id=ctx.project.pk,
        evidence={"source": "assistant", "sql_ran": ctx.sql_ran[-5:], **(evidence or {})},
        draft=True,
        request=ctx.request,
    )
    ctx.proposals.append(proposal.pk)
    return proposal


# --- the registry -----------------------------------------------------------------------------------------


def _schema(description: str, **properties: str) -> dict:
    return {
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {name: {"type": "string", "description": text} for name, text in properties.items()},
            "required": [name for name in properties if name not in OPTIONAL_ARGUMENTS],
        },
    }


TOOLS: dict[str, tuple[Callable[[ToolContext, dict], dict], dict]] = {
    "list_tables": (list_tables, _schema("List the tables of the database.", pattern="Part of a table name")),
    "describe_table": (describe_table, _schema("Columns, indexes and foreign keys of a table.", table="schema.table")),
    "run_query": (run_query, _schema("Run one read-only SELECT (row cap, timeout).", sql="One SELECT statement")),
    "explain_query": (explain_query, _schema("The query plan (EXPLAIN, not executed).", sql="One statement")),
    "optimize_query": (optimize_query, _schema("Rule findings and index/rewrite advice.", sql="One statement")),
    "run_health_checks": (run_health_checks, _schema("Run the database health checks.")),
    "search_queries": (search_queries, _schema("Search the queries scanned from the code.", text="Words to find")),
    "read_analytics": (
        read_analytics,
        _schema("The statements that took the most time over a range.", range="Like 24h or 7d (default 24h)"),
    ),
    "propose_change": (
        propose_change,
        _schema(
            "Propose a change (index, ddl, data, rewrite) for the user to accept; it is never applied directly.",
            kind="index, ddl, data (one INSERT, UPDATE, DELETE or MERGE) or rewrite",
            sql="The statement",
            reason="Why, with the evidence",
        ),
    ),
}


def definitions() -> list[dict]:
    """The tools as the chat completions API describes them."""
    return [{"type": "function", "function": {"name": name, **schema}} for name, (_, schema) in TOOLS.items()]


def execute(ctx: ToolContext, name: str, arguments: str) -> dict:
    """Run the tool the model called; any refusal or failure is an answer the model reads, never a crash."""
    entry = TOOLS.get(name)
    if entry is None:
        return {"error": f"There is no tool {name!r}; the tools are {', '.join(TOOLS)}.", "code": "unknown_tool"}
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        return {"error": f"The arguments are not valid JSON ({exc.msg}).", "code": "invalid_arguments"}
    if not isinstance(args, dict):
        return {"error": "The arguments must be a JSON object.", "code": "invalid_arguments"}
    try:
        return entry[0](ctx, args)
    except DomainError as exc:
        return {"error": exc.detail, "code": exc.code}
