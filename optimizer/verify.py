"""Result equivalence: a rewrite is verified only if it returns what the original returns.

Both statements run on the target, read-only, with a statement timeout, inside the
caller's transaction (which the caller rolls back), and only when schema_metadata's guard
(sql_guard.execution_verdict) allows executing them. Rows are compared as multisets:
up to `row_cap` rows on the client; past the cap, by an order-independent fingerprint
of every row computed by the server (count plus the sum of 64-bit row hashes).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from pglast import ast
from pglast.visitors import Visitor
from psycopg import sql as pgsql

from schema_metadata import sql_guard

SAME = "same"
DIFFERENT = "different"
UNVERIFIED = "unverified"

# Functions whose result changes between two runs: comparing results proves nothing.
VOLATILE = {
    "random",
    "now",
    "clock_timestamp",
    "statement_timestamp",
    "timeofday",
    "gen_random_uuid",
    "nextval",
    "setseed",
    "uuid_generate_v4",
    "txid_current",
    "pg_sleep",
    "transaction_timestamp",
    "current_timestamp",
}


@dataclass
class Equivalence:
    outcome: str  # same | different | unverified
    reason: str
    rows_compared: int = 0

    @property
    def verified(self) -> bool:
        return self.outcome == SAME


def _single_select(sql: str):
    statements = sql_guard.parse_sql(sql)
    if len(statements) != 1:
        raise ValueError("it is not exactly one statement")
    stmt = statements[0].stmt
    if not isinstance(stmt, ast.SelectStmt):
        raise ValueError("only SELECT statements are compared by their results")
    return stmt


class _Volatile(Visitor):
    def __init__(self):
        self.found: set[str] = set()

    def visit_FuncCall(self, ancestors, node):
        name = node.funcname[-1].sval.lower()
        if name in VOLATILE:
            self.found.add(name)

    def visit_SQLValueFunction(self, ancestors, node):
        self.found.add("current_timestamp")

    def visit_SelectStmt(self, ancestors, node):
        if node.lockingClause:
            self.found.add("FOR UPDATE")


def _volatile(stmt) -> set[str]:
    visitor = _Volatile()
    visitor(stmt)
    return visitor.found


def _normal(value):
    """Values that compare equal when they are equal: floats to 12 significant digits."""
    if isinstance(value, float):
        return float(f"{value:.12g}") if math.isfinite(value) else value
    if isinstance(value, Decimal):
        return value.normalize() if value.is_finite() else value
    if isinstance(value, (list, tuple)):
        return tuple(_normal(v) for v in value)
    if isinstance(value, dict):
        return repr(sorted(value.items()))
    return value


def _fetch(conn: psycopg.Connection, query: str, row_cap: int):
    with conn.cursor() as cur:
        cur.execute(pgsql.SQL(query))
        columns = [d.name for d in cur.description or ()]
        rows = cur.fetchmany(row_cap + 1)
    return columns, rows


def _server_fingerprint(conn: psycopg.Connection, query: str) -> tuple[int, Decimal]:
    row = conn.execute(
        pgsql.SQL("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM ({}) AS t").format(
            pgsql.SQL(query)
        )
    ).fetchone()
    return int(row[0]), row[1]


def compare_results(conn: psycopg.Connection, original: str, rewrite: str, *, row_cap: int = 10_000) -> Equivalence:
    """Run both on `conn` (the caller's read-only transaction with its timeout) and compare."""
    try:
        orig_stmt = _single_select(original)
        new_stmt = _single_select(rewrite)
    except Exception as exc:  # pglast raises its own ParseError; anything else is as bad
        return Equivalence(UNVERIFIED, f"not comparable: {exc}")
    volatile = _volatile(orig_stmt) | _volatile(new_stmt)
    if volatile:
        return Equivalence(UNVERIFIED, "the query is not deterministic (" + ", ".join(sorted(volatile)) + ")")
    if orig_stmt.limitCount is not None and not orig_stmt.sortClause:
        return Equivalence(UNVERIFIED, "LIMIT without ORDER BY returns any rows: results cannot be compared")
    # Both run for real: only what the target's catalog proves free of effects outside the transaction.
    for label, text in (("the query", original), ("the rewrite", rewrite)):
        verdict = sql_guard.execution_verdict(conn, text)
        if not verdict.allowed:
            return Equivalence(UNVERIFIED, f"{label} was not executed: {verdict.reason}")
    conn.execute("SAVEPOINT dbooster_verify")
    try:
        cols_a, rows_a = _fetch(conn, original, row_cap)
        cols_b, rows_b = _fetch(conn, rewrite, row_cap)
        if len(cols_a) != len(cols_b) or [c.lower() for c in cols_a] != [c.lower() for c in cols_b]:
            return Equivalence(DIFFERENT, f"different columns: {cols_a} vs {cols_b}")
        if len(rows_a) <= row_cap and len(rows_b) <= row_cap:
            same = Counter(_normal(r) for r in rows_a) == Counter(_normal(r) for r in rows_b)
            if same:
                return Equivalence(SAME, f"same columns and the same {len(rows_a)} rows (as multisets)", len(rows_a))
            return Equivalence(DIFFERENT, f"different rows: {len(rows_a)} vs {len(rows_b)} returned")
        fa, fb = _server_fingerprint(conn, original), _server_fingerprint(conn, rewrite)
        if fa == fb:
            return Equivalence(SAME, f"same columns and the same {fa[0]} rows (server-side multiset hash)", fa[0])
        return Equivalence(DIFFERENT, f"different rows: {fa[0]} vs {fb[0]} returned (server-side multiset hash)")
    except psycopg.Error as exc:
        conn.execute("ROLLBACK TO SAVEPOINT dbooster_verify")
        message = exc.diag.message_primary or str(exc)
        return Equivalence(UNVERIFIED, f"could not run both on the target: {message}")
    finally:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            conn.execute("RELEASE SAVEPOINT dbooster_verify")
