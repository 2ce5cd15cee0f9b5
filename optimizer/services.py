"""Optimizing a query: findings, measured index suggestions, verified rewrites, the AI's ideas.

`optimize_query` is the whole pipeline behind POST /query/optimize:
1. parse (one statement, no utility), fingerprint, run the rule engine over the schema;
2. with a connection: plan the query and measure index candidates (HypoPG, else the
   sandbox where the connection allows it, else estimate-only);
3. the AI (when asked, configured, within quota), cached by fingerprint + schema version;
4. every rewrite (rules' and AI's) checked for result equivalence on the target;
5. the run and its suggestions stored as the project's history.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

import pglast
from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from pglast.stream import RawStream

from ai_usage import services as ai_usage
from ai_usage.models import Purpose
from audit import services as audit
from audit.models import AuditEvent
from dbooster.errors import Conflict, DomainError, InvalidInput, PaymentRequired
from dbooster.json_records import insert_from_json, json_param, record_values, saved
from optimizer import advisor, selectors
from optimizer import ai as ai_client
from optimizer import verify as verifier
from optimizer import workload as wl
from optimizer.models import AICache, OptimizationRun, Suggestion, WorkloadImport, WorkloadQuery
from optimizer.rewrites import rewrite
from optimizer.rules import SchemaInfo, analyze
from projects.selectors import project_get
from repositories.models import ExtractedQuery
from schema_metadata import plan as plan_analyser
from schema_metadata import sql_guard, target
from schema_metadata.explain import prepare_query
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata
from schema_metadata.selectors import connection_in_org, default_connection
from schema_metadata.sql_guard import to_positional_params

logger = logging.getLogger(__name__)


# --- inputs ----------------------------------------------------------------


def resolve_target(*, org, project_id=None, connection_id=None):
    """(project, connection) for the request, both in `org`; the project's default connection if none named."""
    project = project_get(org=org, pk=project_id) if project_id is not None else None
    connection = None
    if connection_id is not None:
        connection = connection_in_org(org=org, pk=connection_id, project=project)
        project = project or connection.project
    elif project is not None:
        connection = default_connection(project=project)
    return project, connection


# The work that depends only on a query's text and the code (parsing, fingerprint, normal form, and the rules'
# findings and rewrites when there is no schema to read) is kept per process for the last texts seen, keyed by the
# exact text: rules and rewriters are code (a deployment is a new process) and read nothing else, so a kept answer
# is the one a fresh analysis would give. Callers get fresh copies, never the kept objects. Long texts are not kept,
# so the memory it holds stays bounded (MEMO_SIZE texts of at most MEMO_MAX_CHARS).
MEMO_SIZE = 128
MEMO_MAX_CHARS = 8_000


def _memoised(compute):
    kept = functools.lru_cache(maxsize=MEMO_SIZE)(compute)

    @functools.wraps(compute)
    def read(query: str):
        return kept(query) if len(query) <= MEMO_MAX_CHARS else compute(query)

    read.cache_clear = kept.cache_clear
    read.cache_info = kept.cache_info
    return read


@_memoised
def _prepared(query: str) -> tuple:
    prepared = prepare_query(query)
    stmt = pglast.parse_sql(prepared["sql"])[0].stmt
    prepared["normalized"] = RawStream()(stmt)
    prepared["side_effects"] = tuple(prepared["side_effects"])
    return tuple(prepared.items())


def prepare(query: str) -> dict:
    """The statement as the target will see it; InvalidInput for anything that must not be sent."""
    prepared = dict(_prepared(query))
    prepared["side_effects"] = list(prepared["side_effects"])
    return prepared


def sandbox_allowed(connection) -> bool:
    """CREATE INDEX in a rolled-back transaction: never on production, only where writes in rollback are allowed."""
    return connection.environment != "production" and (connection.allow_dml_analyze or not connection.read_only)


# --- schema facts ----------------------------------------------------------


def schema_from_metadata(connection):
    """The rule engine's SchemaInfo from the last sync of `connection` (None if never synced)."""
    tables: dict[str, dict] = {}
    for col in SchemaMetadata.objects.filter(connection=connection).order_by("table_name", "ordinal_position"):
        t = tables.setdefault(col.table_name, {"columns": {}, "indexes": [], "foreign_keys": []})
        t["columns"][col.column_name] = {"type": col.column_type, "nullable": col.is_nullable}
    if not tables:
        return None
    for index in DbIndex.objects.filter(connection=connection):
        if index.table_name in tables:
            keys = list(index.columns or [])
            tables[index.table_name]["indexes"].append(
                {
                    "name": index.name,
                    "columns": [k for k in keys if "(" not in k],
                    "expressions": [k for k in keys if "(" in k],
                    "method": index.method,
                    "unique": index.is_unique,
                    "predicate": index.predicate or None,
                    # Operator classes (text_pattern_ops, gin_trgm_ops) live only in the definition.
                    "definition": index.definition,
                }
            )
    for table in DbTable.objects.filter(connection=connection):
        if table.name in tables:
            tables[table.name]["row_estimate"] = table.row_estimate
    for fk in DbForeignKey.objects.filter(connection=connection):
        if fk.table_name in tables:
            tables[fk.table_name]["foreign_keys"].append(
                {"columns": fk.columns, "table": fk.referred_table, "referred_columns": fk.referred_columns}
            )
    return SchemaInfo.from_dict({"tables": tables})


def schema_from_catalog(tables: dict) -> object:
    """SchemaInfo from the advisor's live catalog read (a connection that was never synced)."""
    data = {}
    for info in tables.values():
        data[info.name] = {
            "columns": {c.name: {"type": c.type, "nullable": c.nullable} for c in info.columns.values()},
            "indexes": [
                {
                    "name": i.name,
                    "columns": [k.strip('"') for k in i.keys if "(" not in k],
                    "expressions": [k for k in i.keys if "(" in k],
                    "method": i.method,
                    "unique": i.unique,
                    "predicate": i.predicate,
                }
                for i in info.indexes
            ],
            "row_estimate": int(info.rows),
        }
    return SchemaInfo.from_dict({"tables": data})


def prompt_schema(tables: dict) -> list[dict]:
    """Only what matters for the prompt: the touched tables' columns, indexes and sizes. No rows."""
    out = []
    for info in sorted(tables.values(), key=lambda t: (t.schema, t.name)):
        out.append(
            {
                "table": f"{info.schema}.{info.name}",
                "rows": int(info.rows),
                "bytes": info.bytes,
                "columns": [{"name": c.name, "type": c.type} for c in info.columns.values()],
                "indexes": [
                    {"name": i.name, "method": i.method, "keys": i.keys, "include": i.include, "where": i.predicate}
                    for i in info.indexes
                ],
            }
        )
    return out


# --- the pipeline ------------------------------------------------------------


@dataclass
class _Draft:
    """A suggestion before it is stored."""

    kind: str
    sql: str
    rationale: str
    source: str = Suggestion.Source.RULES
    model_name: str = ""
    rule_id: str = ""
    cost_before: float | None = None
    cost_after: float | None = None
    time_before_ms: float | None = None
    time_after_ms: float | None = None
    size_bytes: int | None = None
    planner_used: str = ""
    verification: str = Suggestion.Verification.UNVERIFIED
    verified: bool = False
    unverified_reason: str = ""
    advice_only: bool = False
    dropped: bool = False
    drop_reason: str = ""

    def speedup(self) -> float | None:
        """Measured time before over after; None when the query was not timed both ways. A ratio of planner
        costs is an estimate, not a speed-up: pages show it apart, as the planner's cost divided by N."""
        if self.time_before_ms and self.time_after_ms:
            return round(self.time_before_ms / max(self.time_after_ms, 0.001), 2)
        return None


@dataclass
class _State:
    findings: list[dict] = field(default_factory=list)
    drafts: list[_Draft] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    plan_before: dict | None = None
    plan_after: dict | None = None
    cost_before: float | None = None
    plan_status: str = OptimizationRun.PlanStatus.NO_CONNECTION
    plan_error: str = ""
    measurement: str = ""
    tables: dict = field(default_factory=dict)
    ai_status: str = "off"
    ai_reason: str = ""
    ai_model: str = ""
    plan_summary: dict | None = None


def _findings(sql: str, schema, original: str | None = None) -> list[dict]:
    findings = [f.as_dict() for f in analyze(sql, schema)]
    if original is not None and not original.startswith(sql):
        _locate_in_original(findings, sql, original)
    return findings


_PLACEHOLDER_RE = re.compile(r"%\([^)]+\)s|%s|\?|:[A-Za-z_][A-Za-z0-9_]*")
_DOLLAR_RE = re.compile(r"\$\d+")


def _locate_in_original(findings: list[dict], sql: str, original: str) -> None:
    """Point each finding's location into the text the user sent, not the one the engine parsed.

    The engine reads the query with placeholders as $n (`%(name)s`, `?`, `:name` change length) and `%%` as
    `%`, so its offsets drift past the first of them. Walk both texts once, side by side, and map offsets back;
    a location that cannot be mapped is dropped rather than shown in the wrong place.
    """
    starts, ends = {}, {}  # offset in `sql` -> offset in `original`, for a start and for an (exclusive) end
    i = j = 0
    while i < len(sql) and j < len(original):
        placeholder = _PLACEHOLDER_RE.match(original, j) if sql[i] == "$" else None
        dollar = _DOLLAR_RE.match(sql, i) if placeholder else None
        if dollar:  # `$n` in the parsed text stands for the placeholder written in the original
            a_len, b_len = len(dollar.group()), len(placeholder.group())
        elif sql[i] == "%" and original.startswith("%%", j) and not original.startswith(sql[i : i + 2], j):
            a_len, b_len = 1, 2  # psycopg's doubled percent sign, read as one
        elif sql[i] == original[j]:
            a_len, b_len = 1, 1
        else:
            break  # the texts differ in a way we do not know: map nothing past here
        for x in range(i, i + a_len):
            starts[x] = j if b_len != a_len else j + x - i
            ends[x + 1] = j + b_len if b_len != a_len else j + x - i + 1
        i, j = i + a_len, j + b_len
    for f in findings:
        loc = f.get("location")
        if not loc:
            continue
        if loc.get("start") in starts and loc.get("end") in ends:
            f["location"] = {**loc, "start": starts[loc["start"]], "end": ends[loc["end"]]}
        else:
            f["location"] = None


def _rule_rewrites(rewrites) -> list[_Draft]:
    return [
        _Draft(kind=Suggestion.Kind.REWRITE, sql=r.sql, rationale=r.rationale, rule_id=r.rule_id,
               advice_only=bool(r.advice_only))
        for r in rewrites
    ]  # fmt: skip


class _KeptRewrite(NamedTuple):
    """A rule's rewrite as the memo keeps it: immutable, shared by every request for the same text."""

    rule_id: str
    sql: str
    rationale: str
    advice_only: bool


@_memoised
def _schemaless_rules(query: str) -> tuple[str, tuple[_KeptRewrite, ...]]:
    """The findings (as JSON, decoded afresh by each caller) and the rewrites of `query` with no schema."""
    sql = prepare(query)["sql"]
    kept = tuple(_KeptRewrite(r.rule_id, r.sql, r.rationale, bool(r.advice_only)) for r in rewrite(sql, None))
    return json.dumps(_findings(sql, None, original=query)), kept


def rule_findings_and_rewrites(query: str, sql: str, schema) -> tuple[list[dict], list[_Draft]]:
    """The rules' findings on `query` (`sql`: its prepared text) and their rewrites as drafts, with `schema`'s facts
    when there are any; without them the answer depends on the text alone and is memoised."""
    if schema is not None:
        return _findings(sql, schema, original=query), _rule_rewrites(rewrite(sql, schema))
    findings, rewrites = _schemaless_rules(query)
    return json.loads(findings), _rule_rewrites(rewrites)


def _index_drafts(result: advisor.AdviceResult, source=Suggestion.Source.RULES, model_name="") -> list[_Draft]:
    drafts = []
    for s in result.suggestions:
        d = _Draft(
            kind=Suggestion.Kind.INDEX,
            sql=s.sql,
            rationale=s.candidate.reason,
            source=source,
            model_name=model_name,
            cost_before=s.cost_before,
            cost_after=s.cost_after,
            time_before_ms=s.time_before_ms,
            time_after_ms=s.time_after_ms,
            size_bytes=s.size_bytes,
            planner_used=s.used_as or "",
            verification=s.verification,
            verified=s.verified,
        )
        if not s.verified:
            d.unverified_reason = (
                f"Not measured: {s.reason_unverified}."
                if s.reason_unverified
                else (
                    "Not measured: HypoPG is not installed on the target and the connection does not allow "
                    "sandboxed indexes (it is production or read-only)."
                )
            )
        drafts.append(d)
    return drafts


def _plan_and_advise(state: _State, connection, sql: str, *, min_gain: float, is_select: bool = True) -> None:
    sandbox = sandbox_allowed(connection)
    with target.session(
        connection.url, read_only=not sandbox, statement_timeout_ms=settings.OPTIMIZER_STATEMENT_TIMEOUT_MS
    ) as conn:
        measure_time = sandbox and connection.allow_analyze and is_select
        if measure_time:
            verdict = sql_guard.execution_verdict(conn, sql)
            if not verdict.allowed:
                measure_time = False
                state.notes.append(f"The query was not timed (never executed): {verdict.reason}.")
        result = advisor.advise(
            conn,
            sql,
            allow_sandbox=sandbox,
            min_gain=min_gain,
            min_rows=settings.OPTIMIZER_MIN_TABLE_ROWS,
            # Sandboxed indexes are real: where the connection lets queries run, time the query with them.
            measure_time=measure_time,
        )
    state.tables = result.tables
    state.plan_status = OptimizationRun.PlanStatus.PLANNED
    state.plan_before = result.plan_before
    state.plan_after = result.plan_after
    state.cost_before = result.cost_before
    state.measurement = result.mode
    state.rejected.extend(result.rejected)
    state.notes.extend(result.notes)
    state.drafts.extend(_index_drafts(result))
    state.plan_summary = plan_analyser.summarize([state.plan_before]) if state.plan_before else None


def _ai_answer(state: _State, *, org, project, sql: str, fingerprint: str) -> ai_client.AIAnswer:
    """The AI's advice: cached for this query and schema, else asked within the plan's AI limit (the one counter
    the assistant's requests count against too) and recorded with its tokens and cost."""
    if not ai_client.configured():
        return ai_client.AIAnswer(ok=False, model=settings.OPENAI_MODEL, reason="no OpenAI API key is configured")
    schema = prompt_schema(state.tables)
    version = ai_client.schema_version(schema)
    model = settings.OPENAI_MODEL
    cached = AICache.objects.filter(fingerprint=fingerprint, schema_version=version, model_name=model).first()
    if cached is not None:
        return ai_client.AIAnswer.from_cache(cached.answer, model)
    try:
        ai_usage.enforce_ai_limit(organization=org)
    except PaymentRequired as exc:
        return ai_client.AIAnswer(ok=False, model=model, reason=f"quota: {exc.detail}")
    summary = state.plan_summary
    answer = ai_client.ask(
        query=sql,
        plan_summary=_plan_digest(summary),
        findings=state.findings,
        schema=schema,
    )
    ai_usage.record_call(
        organization=org, project=project, purpose=Purpose.OPTIMIZER, request=uuid.uuid4(), model=answer.model,
        prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
        elapsed_ms=answer.elapsed_ms, error="" if answer.ok else answer.reason or "failed",
    )  # fmt: skip
    if answer.ok:
        keep_ai_answer(fingerprint=fingerprint, schema_version=version, model_name=model, answer=answer.to_cache())
    return answer


def keep_ai_answer(*, fingerprint: str, schema_version: str, model_name: str, answer: dict) -> None:
    """The model's answer to this question on this schema, in one upsert: a concurrent request that asked the
    same question meanwhile stored one too, and the last answer wins."""
    AICache.objects.bulk_create(
        [AICache(fingerprint=fingerprint, schema_version=schema_version, model_name=model_name, answer=answer)],
        update_conflicts=True,
        unique_fields=["fingerprint", "schema_version", "model_name"],
        update_fields=["answer"],
    )


def _plan_digest(summary: dict | None) -> dict | None:
    """The plan summary without anything that could carry row data (only shape, costs and warnings)."""
    if not summary:
        return None
    keep = ("node_type", "label", "relation", "index", "total_cost", "estimated_rows", "actual_rows", "details")
    return {
        "total_cost": summary.get("total_cost"),
        "nodes": [{k: n.get(k) for k in keep} for n in summary.get("nodes", [])[:40]],
        "warnings": [w.get("message") for w in summary.get("warnings", [])][:20],
    }


def _ai_drafts(state: _State, answer: ai_client.AIAnswer, connection, sql: str, *, min_gain: float) -> list[_Draft]:
    drafts: list[_Draft] = []
    index_candidates = []
    for s in answer.suggestions:
        base = _Draft(
            kind=s.kind, sql=s.sql, rationale=s.rationale, source=Suggestion.Source.AI, model_name=answer.model
        )
        if s.kind == Suggestion.Kind.INDEX:
            cand = advisor.parse_index_ddl(s.sql)
            if cand is None:
                base.dropped, base.drop_reason = True, "not a single CREATE INDEX statement"
                drafts.append(base)
                continue
            index_candidates.append((cand, base))
        elif s.kind == Suggestion.Kind.SETTING:
            base.unverified_reason = "settings are not measured; try them on a staging database first"
            drafts.append(base)
        else:
            drafts.append(base)
    if index_candidates:
        if connection is None:
            for _, base in index_candidates:
                base.unverified_reason = "no database connection: the index could not be measured"
                base.verification = Suggestion.Verification.ESTIMATE_ONLY
                drafts.append(base)
        else:
            drafts.extend(_measure_ai_indexes(state, index_candidates, connection, sql, min_gain=min_gain))
    return drafts


def _measure_ai_indexes(state, index_candidates, connection, sql, *, min_gain) -> list[_Draft]:
    drafts = []
    known = {d.sql for d in state.drafts if d.kind == Suggestion.Kind.INDEX}
    sandbox = sandbox_allowed(connection)
    with target.session(
        connection.url, read_only=not sandbox, statement_timeout_ms=settings.OPTIMIZER_STATEMENT_TIMEOUT_MS
    ) as conn:
        whatif = advisor.WhatIf(conn, hypopg=advisor.has_extension(conn, "hypopg"), sandbox=sandbox)
        base_cost = whatif.measure(sql).cost
        for cand, draft in index_candidates:
            draft.sql = cand.ddl(concurrently=True)
            if draft.sql in known:
                continue  # the rules already found (and measured) it
            mode = whatif.mode_for(cand)
            if mode == advisor.ESTIMATE_ONLY:
                draft.verification = Suggestion.Verification.ESTIMATE_ONLY
                draft.unverified_reason = "this index could not be measured on this connection"
                drafts.append(draft)
                continue
            try:
                _, name, size = whatif.add(cand)
            except advisor.SandboxIndexHidden as exc:
                draft.verification = Suggestion.Verification.ESTIMATE_ONLY
                draft.unverified_reason = str(exc)
                drafts.append(draft)
                continue
            except Exception as exc:  # noqa: BLE001 - a bad suggestion from the model is dropped, not fatal
                draft.dropped, draft.drop_reason = True, f"PostgreSQL refused the index: {exc}"
                drafts.append(draft)
                continue
            try:
                m = whatif.measure(sql)
            finally:
                whatif.remove(cand)
            gain = (base_cost - m.cost) / base_cost if base_cost else 0
            draft.cost_before, draft.cost_after, draft.size_bytes = base_cost, m.cost, size
            if name not in m.used:
                draft.dropped, draft.drop_reason = True, "the planner does not use this index"
            elif gain < min_gain:
                draft.dropped, draft.drop_reason = True, f"cost gain {gain:.0%} is under {min_gain:.0%}"
            else:
                draft.verification, draft.verified, draft.planner_used = mode, True, name
            drafts.append(draft)
    return drafts


def _verify_rewrites(state: _State, connection, sql: str, *, measure: bool) -> None:
    rewrites = [d for d in state.drafts if d.kind == Suggestion.Kind.REWRITE and not d.dropped]
    pending = []
    for d in rewrites:
        if d.advice_only:
            d.unverified_reason = "advice only: it changes how the application pages or calls the query"
        elif connection is None:
            d.unverified_reason = "no database connection: the results could not be compared"
        elif not connection.allow_analyze:
            d.unverified_reason = "this connection does not allow executing queries, so results were not compared"
        else:
            pending.append(d)
    if not pending:
        return
    with target.session(
        connection.url, read_only=True, statement_timeout_ms=settings.OPTIMIZER_STATEMENT_TIMEOUT_MS
    ) as conn:
        for d in pending:
            outcome = verifier.compare_results(conn, sql, d.sql, row_cap=settings.OPTIMIZER_ROW_CAP)
            if outcome.outcome == verifier.DIFFERENT:
                d.dropped, d.drop_reason = True, f"returns different results: {outcome.reason}"
                continue
            if outcome.outcome == verifier.UNVERIFIED:
                d.unverified_reason = outcome.reason
                continue
            d.verification, d.verified = Suggestion.Verification.RESULT_EQUIVALENCE, True
            d.unverified_reason = ""
            if measure:
                _measure_rewrite(conn, sql, d)


def _advise_rewrites(state: _State, connection, *, min_gain: float) -> None:
    """A verified rewrite may need its own index (a sargable range, a UNION ALL arm): measure those too."""
    verified = [d for d in state.drafts if d.kind == Suggestion.Kind.REWRITE and d.verified and not d.dropped]
    if not verified:
        return
    known = {d.sql for d in state.drafts if d.kind == Suggestion.Kind.INDEX}
    sandbox = sandbox_allowed(connection)
    extra: list[_Draft] = []
    with target.session(
        connection.url, read_only=not sandbox, statement_timeout_ms=settings.OPTIMIZER_STATEMENT_TIMEOUT_MS
    ) as conn:
        for rw in verified:
            result = advisor.advise(
                conn, rw.sql, allow_sandbox=sandbox, min_gain=min_gain, min_rows=settings.OPTIMIZER_MIN_TABLE_ROWS
            )
            for d in _index_drafts(result, source=rw.source, model_name=rw.model_name):
                if d.sql in known or not d.verified:
                    continue
                known.add(d.sql)
                d.rationale = f"for the rewritten query ({rw.rule_id or 'AI rewrite'}): {d.rationale}"
                extra.append(d)
            if result.suggestions and result.cost_after is not None:
                # The rewrite's cost once its indexes exist: what applying both would give.
                rw.cost_before = rw.cost_before if rw.cost_before is not None else state.cost_before
                rw.cost_after = result.cost_after
    state.drafts.extend(extra)


# Rewrites run the user's query itself several times: fewer runs than for an index, each under the timeout.
REWRITE_TIMED_RUNS = 3


def _measure_rewrite(conn, sql: str, d: _Draft) -> None:
    """Cost, and time where the query may run, of the original and the rewrite."""
    conn.execute("SAVEPOINT dbooster_measure")
    try:
        before = advisor.explain_json(conn, sql)
        after = advisor.explain_json(conn, d.sql)
        d.cost_before, d.cost_after = before["Plan"]["Total Cost"], after["Plan"]["Total Cost"]
        if not (sql_guard.executable(conn, sql) and sql_guard.executable(conn, d.sql)):
            return  # costs only: the guard refuses to execute one of them
        # Warmed and the median of a few runs each, as for indexes: one cold sample is not a comparison.
        time_before = advisor.median_execution_ms(conn, sql, runs=REWRITE_TIMED_RUNS)
        time_after = advisor.median_execution_ms(conn, d.sql, runs=REWRITE_TIMED_RUNS)
    except Exception:  # noqa: BLE001 - a failed measurement leaves the figures empty
        conn.execute("ROLLBACK TO SAVEPOINT dbooster_measure")
        return
    d.cost_before, d.cost_after = before["Plan"]["Total Cost"], after["Plan"]["Total Cost"]
    d.time_before_ms, d.time_after_ms = time_before, time_after


def optimize_query(
    *,
    user,
    query: str,
    project_id=None,
    connection_id=None,
    use_ai: bool = True,
    verify: bool = True,
    request=None,
    on_step=None,
    prepared: dict | None = None,
    target: tuple | None = None,
) -> OptimizationRun:
    """Plan, lint, ask the AI, verify rewrites and store the run; `on_step(text)` hears each step as it starts.

    `prepared`: what `prepare(query)` answered, when the caller already asked (the query is parsed once).
    `target`: (project, its default connection or None) when the caller already read both in the user's
    organization (`selectors.current_project_and_connection`); (None, None) for no project.
    """
    step = on_step or (lambda text: None)
    org = user.organization
    step("Reading the query")
    prepared = prepared or prepare(query)
    sql = prepared["sql"]
    if target is not None:
        project, connection = target
        if project is not None and project.organization_id != org.pk:
            raise ValueError("the project is not in the organization")
    else:
        project, connection = resolve_target(org=org, project_id=project_id, connection_id=connection_id)
    min_gain = settings.OPTIMIZER_MIN_COST_GAIN
    state = _State()

    schema = schema_from_metadata(connection) if connection is not None else None
    if connection is not None:
        step("Planning the query and measuring candidate indexes")
        try:
            _plan_and_advise(state, connection, sql, min_gain=min_gain, is_select=prepared["kind"] == "select")
        except DomainError as exc:
            state.plan_status, state.plan_error = OptimizationRun.PlanStatus.FAILED, exc.detail
            state.notes.append(f"The query could not be planned on the target: {exc.detail}")
        if schema is None and state.tables:
            schema = schema_from_catalog(state.tables)
    else:
        state.notes.append("No database connection: findings and rewrites only, no plan and no index measurement.")

    step("Checking the query against the rules")
    state.findings, rewrites = rule_findings_and_rewrites(query, sql, schema)
    state.drafts.extend(rewrites)

    if use_ai:
        step("Asking the AI for rewrites and indexes")
        answer = _ai_answer(state, org=org, project=project, sql=sql, fingerprint=prepared["fingerprint"])
        state.ai_model = answer.model
        if answer.ok:
            state.ai_status = "used"
            state.ai_reason = "cached answer" if answer.cached else ""
            try:
                live = connection if state.plan_status == OptimizationRun.PlanStatus.PLANNED else None
                state.drafts.extend(_ai_drafts(state, answer, live, sql, min_gain=min_gain))
            except DomainError as exc:
                state.notes.append(f"The AI's indexes could not be measured: {exc.detail}")
        else:
            state.ai_status = "unavailable"
            state.ai_reason = answer.reason
            state.notes.append(f"Rules-only answer: {answer.reason}.")

    if verify and prepared["kind"] == "select":
        step("Verifying rewrites on the database (same results, faster plan)")
        live = connection if state.plan_status == OptimizationRun.PlanStatus.PLANNED else None
        try:
            _verify_rewrites(state, live, sql, measure=prepared["parameters"] == 0)
        except DomainError as exc:
            state.notes.append(f"Rewrites could not be verified on the target: {exc.detail}")
            _mark_unverified(state, f"the target failed during verification: {exc.detail}")
        if live is not None:
            try:
                _advise_rewrites(state, live, min_gain=min_gain)
            except DomainError as exc:
                state.notes.append(f"Indexes for the rewrites could not be measured: {exc.detail}")
    else:
        reason = "verification was turned off" if not verify else "only SELECT rewrites are verified by results"
        _mark_unverified(state, reason)

    step("Saving the result")
    audit_line = audit.event(
        action="optimizer.optimize",
        actor=user,
        organization=org,
        request=request,
        metadata={
            "project": project.pk if project else None,
            "connection": connection.pk if connection else None,
            "fingerprint": prepared["fingerprint"],
            "suggestions": len(state.drafts),
            "ai": state.ai_status,
        },
    )
    run = _store(state, org=org, user=user, project=project, connection=connection, query=query, prepared=prepared)
    _store_with_audit_line(run, audit_line)
    return run


def _mark_unverified(state: _State, reason: str) -> None:
    for d in state.drafts:
        if d.kind == Suggestion.Kind.REWRITE and not d.verified and not d.dropped and not d.unverified_reason:
            d.unverified_reason = reason


def _store(state: _State, *, org, user, project, connection, query: str, prepared: dict) -> OptimizationRun:
    """The run to store, holding its suggestions in the order they were drafted (`suggestions_in_order`)."""
    run = OptimizationRun(
        organization=org,
        project=project,
        connection=connection,
        user=user,
        query=query,
        normalized=prepared["normalized"],
        fingerprint=prepared["fingerprint"],
        findings=state.findings,
        plan_status=state.plan_status,
        plan_error=state.plan_error,
        plan_before=state.plan_before,
        plan_after=state.plan_after,
        cost_before=state.cost_before,
        measurement=state.measurement,
        ai_status=state.ai_status,
        ai_reason=state.ai_reason,
        ai_model=state.ai_model if state.ai_status == "used" else "",
        notes=state.notes,
        rejected=state.rejected[:100],
    )
    run.suggestions_in_order = [
        Suggestion(
            run=run,
            kind=d.kind,
            sql=d.sql,
            rationale=d.rationale,
            rule_id=d.rule_id,
            cost_before=d.cost_before,
            cost_after=d.cost_after,
            time_before_ms=d.time_before_ms,
            time_after_ms=d.time_after_ms,
            speedup=d.speedup() if not d.dropped else None,
            size_bytes=d.size_bytes,
            planner_used=d.planner_used,
            # Nothing unverified is ever labelled verified.
            verification=d.verification if d.verified or d.kind == "index" else Suggestion.Verification.UNVERIFIED,
            verified=bool(d.verified and not d.dropped),
            unverified_reason="" if d.verified else d.unverified_reason,
            advice_only=d.advice_only,
            source=d.source,
            model_name=d.model_name,
            dropped=d.dropped,
            drop_reason=d.drop_reason,
        )
        for d in state.drafts
    ]
    return run


@functools.cache
def _store_statement(*, with_suggestions: bool) -> str:
    """The run, its suggestions and its audit line in one statement (see `dbooster.json_records`), answering the
    run's key, its suggestions' keys and its history (`selectors.past_run_rows`).

    A run without suggestions (most runs without a connection) is stored by a statement without their INSERT:
    an INSERT of no rows still fires the table's statement triggers (its data version function, about 25 µs).

    The suggestions take their keys from the table's sequence in the order they were drafted (`numbered`), and the
    statement answers them in that order, so each instance gets its own. The audit line names the run by the key
    PostgreSQL gives it, as `audit.record(target=run)` would. The history is read in the statement's snapshot,
    which does not hold the rows it inserts: the earlier runs, as GET /query/optimize/<id> reads them.
    `optimizer/tests/test_run_store.py` compares each with the ORM's.
    """
    suggestions_table = Suggestion._meta.db_table
    run = insert_from_json(OptimizationRun, "%(run)s", returning="id")
    suggestions = insert_from_json(
        Suggestion, "n.value", given={"id": "n.id", "run_id": "run.id"}, joined="run, numbered AS n"
    )
    audit_line = insert_from_json(
        AuditEvent,
        "%(audit)s",
        given={"target_id": "run.id::text", "target_repr": "'optimization ' || run.id"},
        joined="run",
    )
    newest_first = "ORDER BY h.created_at DESC, h.id DESC"
    history_columns = [OptimizationRun._meta.get_field(name).column for name in selectors.HISTORY_FIELDS]
    history_arrays = ", ".join(f'array_agg(h."{column}" {newest_first})' for column in history_columns)
    with_suggestions_sql = f"""
numbered AS (
    SELECT s.ord, nextval(pg_get_serial_sequence('{suggestions_table}', 'id')) AS id, s.value
    FROM jsonb_array_elements(%(suggestions)s) WITH ORDINALITY AS s (value, ord)
),
suggestions AS ({suggestions}),"""
    suggestion_ids = "ARRAY(SELECT id FROM numbered ORDER BY ord)" if with_suggestions else "'{}'::bigint[]"
    return f"""
WITH run AS ({run}),{with_suggestions_sql if with_suggestions else ""}
audit_line AS ({audit_line}),
history AS (
    SELECT {", ".join(f'h."{column}"' for column in history_columns)}
    FROM {OptimizationRun._meta.db_table} AS h
    WHERE h.project_id = %(project)s AND h.fingerprint = %(fingerprint)s AND %(fingerprint)s <> ''
    {newest_first} LIMIT {selectors.HISTORY_LENGTH}
)
SELECT run.id, {suggestion_ids}, past.*
FROM run, LATERAL (SELECT {history_arrays} FROM history AS h) AS past"""


def _store_with_audit_line(run: OptimizationRun, audit_line) -> None:
    """Write the run, its suggestions and its audit line together or not at all (one statement: one commit),
    then give each instance its key, as `save()` would, and the run its history (`history_rows`)."""
    suggestions = run.suggestions_in_order
    audit_line.target_type = run._meta.label_lower
    params = {
        "run": json_param(record_values(run)),
        "audit": json_param(record_values(audit_line)),
        "project": run.project_id,
        "fingerprint": run.fingerprint,
    }
    if suggestions:
        params["suggestions"] = json_param([record_values(s) for s in suggestions])
    with db_connection.cursor() as cursor:
        cursor.execute(_store_statement(with_suggestions=bool(suggestions)), params)
        run_id, suggestion_ids, *history = cursor.fetchone()
    saved(run, pk=run_id)
    for suggestion, pk in zip(suggestions, suggestion_ids, strict=True):
        suggestion.run_id = run_id  # the ORM sets it from `run` at save time
        saved(suggestion, pk=pk)
    run.suggestions_in_order = selectors.in_display_order(suggestions)
    run.history_rows = list(zip(*history, strict=True)) if history[0] is not None else []


def validate_options(data: dict) -> None:
    if not isinstance(data.get("query"), str) or not data["query"].strip():
        raise InvalidInput("Send the query to optimize in 'query'.", code="empty_query")


def _scanned_selects(project, *, limit: int) -> list[str]:
    """The project's scanned SELECT statements, with placeholders as PostgreSQL's $n."""
    out = []
    for q in ExtractedQuery.objects.filter(project=project, statement_type__iexact="select").order_by("id")[:limit]:
        try:
            out.append(to_positional_params(q.sql or q.normalized_text)[0])
        except DomainError:
            continue
    return out


def advise_workload(
    *,
    user,
    project_id,
    connection_id=None,
    queries: list[str] | None = None,
    budget_bytes: int,
    max_indexes: int,
    limit: int = 50,
    from_scan: bool = False,
    request=None,
):
    """Import the target's top queries (or take the given ones, or the project's scanned SELECTs), match them to
    the project's code, and advise one index set."""
    org = user.organization
    project, connection = resolve_target(org=org, project_id=project_id, connection_id=connection_id)
    if connection is None:
        raise InvalidInput("Workload advice needs a database connection: name one or set the project's default.")
    for position, given in enumerate(queries or (), start=1):
        sql_guard.check_parse_limits(given, what=f"query #{position}")
    sandbox = sandbox_allowed(connection)
    with target.session(
        connection.url, read_only=not sandbox, statement_timeout_ms=settings.OPTIMIZER_STATEMENT_TIMEOUT_MS
    ) as conn:
        if from_scan:
            queries = _scanned_selects(project, limit=limit)
            if not queries:
                raise Conflict(
                    "The project has no scanned SELECT queries yet: scan a repository first.", code="nothing_scanned"
                )
        if queries:
            items = [wl.WorkloadItem(q, fingerprint=wl.fingerprint(q)) for q in queries]
            total = float(len(items))
        else:
            try:
                items, total = wl.top_queries(conn, limit=limit)
            except LookupError as exc:
                raise InvalidInput(str(exc), code="no_pg_stat_statements") from None
        # Texts read from the target or a scan are untrusted too: never hand an over-limit one to the parser.
        items = [item for item in items if sql_guard.within_parse_limits(item.query)]
        advice = wl.advise_workload(
            conn,
            items,
            budget_bytes=budget_bytes,
            max_indexes=max_indexes,
            allow_sandbox=sandbox,
            min_rows=settings.OPTIMIZER_MIN_TABLE_ROWS,
        )
    savings = {q["position"]: q["saving_ms"] for q in advice.get("queries", [])}
    known = {
        q.fingerprint: q
        for q in ExtractedQuery.objects.filter(
            project=project, fingerprint__in=[i.fingerprint for i in items]
        ).prefetch_related("occurrences")
    }
    with transaction.atomic():
        record = WorkloadImport.objects.create(
            project=project, connection=connection, user=user, total_time_ms=total, advice=advice
        )
        rows = []
        for i, item in enumerate(items):
            match = known.get(item.fingerprint)
            rows.append(
                WorkloadQuery(
                    workload=record,
                    query=item.query,
                    fingerprint=item.fingerprint,
                    calls=item.calls,
                    # Queries given by hand that could not be measured have no time.
                    total_time_ms=item.total_time_ms or 0.0,
                    mean_time_ms=item.mean_time_ms,
                    rows=item.rows,
                    share=((item.total_time_ms or 0.0) / total) if total else 0,
                    saving_ms=savings.get(i),
                    extracted_query=match,
                    locations=[
                        {"file_path": o.file_path, "line": o.line}
                        for o in (match.occurrences.all()[:10] if match else [])
                    ],
                )
            )
        WorkloadQuery.objects.bulk_create(rows)
        audit.record(
            action="optimizer.workload_advise",
            actor=user,
            organization=org,
            target=record,
            request=request,
            metadata={"queries": len(items), "indexes": len(advice.get("indexes", []))},
        )
    return record
