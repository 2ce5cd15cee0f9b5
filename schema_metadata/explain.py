"""EXPLAIN against a user's database, safely. Plain module: URL and query in, plan and summary out.

Safety, in order:
1. pglast parses the text first: exactly one statement, no utility or DDL.
2. SELECT/WITH run as EXPLAIN (ANALYZE ...) inside a READ ONLY transaction with
   statement_timeout and lock_timeout, always rolled back.
3. INSERT/UPDATE/DELETE/MERGE get plain EXPLAIN, unless the caller allows
   analyze-in-rollback: then a read-write transaction that is rolled back all the same.
4. A statement is executed only if sql_guard.execution_verdict allows it from the target's own catalog
   (every function it reaches, through views, operators, casts, defaults and triggers, is immutable or
   stable, or harmless): anything else (query_to_xml, dblink, nextval, ...) is only planned, and the
   notes say why.
5. Placeholders get a generic plan (GENERIC_PLAN on 16+, PREPARE + EXPLAIN EXECUTE
   with NULLs before), never an execution.
"""

from __future__ import annotations

import psycopg

from schema_metadata import plan as plan_analyser
from schema_metadata import sql_guard, target

GENERIC_PLAN_MIN_VERSION = 160000
_PREPARED_NAME = "dbooster_explain"


def _strip_trailing_semicolons(sql: str) -> str:
    """The statement without trailing `;` so EXPLAIN can wrap it (comments after it kept out)."""
    pieces = list(sql_guard._segments(sql))
    while pieces and (
        (pieces[-1][0] and not pieces[-1][1].strip()) or (not pieces[-1][0] and pieces[-1][1].startswith(("--", "/*")))
    ):
        pieces.pop()  # trailing comments and blanks: nothing of the statement
    text = "".join(piece for _, piece in pieces).rstrip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def _options(*, analyze: bool, buffers: bool, generic: bool) -> str:
    options = []
    if analyze:
        options.append("ANALYZE")
    if analyze:
        # Explicit both ways: PostgreSQL 18 reports buffers with ANALYZE unless told not to.
        options.append("BUFFERS" if buffers else "BUFFERS OFF")
    if generic:
        options.append("GENERIC_PLAN")
    options.append("FORMAT JSON")
    return ", ".join(options)


def _run_explain(conn: psycopg.Connection, sql: str, *, analyze: bool, buffers: bool, n_params: int, force_prepare):
    """The plan JSON and how it was obtained ("explain", "generic_plan", "prepared")."""
    if n_params == 0:
        return conn.execute(f"EXPLAIN ({_options(analyze=analyze, buffers=buffers, generic=False)}) {sql}").fetchone()[
            0
        ], "explain"
    use_generic = conn.info.server_version >= GENERIC_PLAN_MIN_VERSION and not force_prepare
    if use_generic:
        return conn.execute(f"EXPLAIN ({_options(analyze=False, buffers=False, generic=True)}) {sql}").fetchone()[
            0
        ], "generic_plan"
    # Before 16: prepare, force the generic plan, explain an EXECUTE with NULLs (never run).
    conn.execute(f"PREPARE {_PREPARED_NAME} AS {sql}")
    if conn.info.server_version >= 120000:
        conn.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
    nulls = ", ".join(["NULL"] * n_params)
    return conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {_PREPARED_NAME}({nulls})").fetchone()[0], "prepared"


def prepare_query(query: str) -> dict:
    """Parse and normalise `query`; raise InvalidInput for anything that must not be sent."""
    converted, n_params = sql_guard.to_positional_params(query)
    stmt, kind = sql_guard.parse_single_statement(converted)
    sql_guard.refuse_utility(stmt, kind)
    return {
        "sql": _strip_trailing_semicolons(converted),
        "kind": kind,
        "parameters": n_params,
        "fingerprint": sql_guard.fingerprint(converted),
        "side_effects": sql_guard.side_effect_calls(stmt),
    }


def explain(
    url: str,
    query: str,
    *,
    analyze: bool,
    buffers: bool,
    allow_dml_analyze: bool = False,
    foreign_keys: list[dict] | None = None,
    table_rows: dict[str, float] | None = None,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    force_prepare: bool = False,
) -> dict:
    """EXPLAIN `query` on the database at `url`; see the module docstring for the rules.

    Returns {"plan", "summary", "analyzed", "generic_plan", "statement_kind", "parameters",
    "fingerprint", "server_version", "method", "notes"}.
    """
    prepared = prepare_query(query)
    kind, n_params = prepared["kind"], prepared["parameters"]
    notes = []
    is_dml = kind in sql_guard.DML_KINDS
    run_analyze = bool(analyze)
    if run_analyze and n_params:
        run_analyze = False
        notes.append("The query has placeholders: it was explained with a generic plan, without executing it.")
    if run_analyze and prepared["side_effects"]:
        run_analyze = False
        calls = ", ".join(f"{name}()" for name in prepared["side_effects"])
        notes.append(
            f"The query calls {calls}, which acts outside the transaction (a rollback cannot undo it): it was "
            "explained without executing it."
        )
    if run_analyze and is_dml and not allow_dml_analyze:
        run_analyze = False
        notes.append(
            f"{kind.upper()} statements get a plain EXPLAIN: this connection does not allow analyzing "
            "data-changing statements inside a rolled-back transaction."
        )
    read_only = not (run_analyze and is_dml)

    with target.session(
        url, read_only=read_only, statement_timeout_ms=statement_timeout_ms, lock_timeout_ms=lock_timeout_ms
    ) as conn:
        if run_analyze:
            verdict = sql_guard.execution_verdict(conn, prepared["sql"])
            if not verdict.allowed:
                run_analyze = False
                notes.append(f"The query was explained without executing it: {verdict.reason}.")
        if run_analyze and not read_only:
            notes.append(f"The {kind.upper()} was executed inside a transaction that was rolled back.")
        plan_json, method = _run_explain(
            conn,
            prepared["sql"],
            analyze=run_analyze,
            buffers=buffers,
            n_params=n_params,
            force_prepare=force_prepare,
        )
        server_version = conn.info.server_version

    summary = plan_analyser.summarize(plan_json, foreign_keys=foreign_keys, table_rows=table_rows)
    return {
        "plan": plan_json,
        "summary": summary,
        "analyzed": run_analyze,
        "generic_plan": method != "explain",
        "method": method,
        "statement_kind": kind,
        "parameters": n_params,
        "fingerprint": prepared["fingerprint"],
        "server_version": server_version,
        "notes": notes,
    }
