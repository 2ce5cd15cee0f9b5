"""Running one statement of the SQL editor on a user's database, through schema_metadata's guard.

The guard decides what may be sent (`sql_guard.parse_single_statement`, `side_effect_calls`) and how
(`target.session`: statement and lock timeouts, a client-side deadline, a transaction that is rolled
back). This module only adds what the editor needs: the row cap, column types, notices, the error's
position, and an explicit COMMIT when the caller asked for one on a connection that allows writes.
"""

from __future__ import annotations

import datetime
import decimal
import re
import time
import uuid
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors

from dbooster.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from schema_metadata import sql_guard, target

_PARSE_INDEX = re.compile(r"at index (\d+)")
_CURSOR_NAME = "dbooster_editor"
_CURSOR_PREFIX = f"DECLARE {_CURSOR_NAME} NO SCROLL CURSOR FOR "


@dataclass(frozen=True)
class Statement:
    sql: str
    kind: str  # one of sql_guard.KINDS
    fingerprint: str
    node_name: str  # the parse tree's statement class: SelectStmt, CreateStmt, ...


def parse(sql: str) -> Statement:
    """The one statement in `sql`, or InvalidInput with the position of a syntax error."""
    try:
        stmt, kind = sql_guard.parse_single_statement(sql)
    except InvalidInput as exc:
        match = _PARSE_INDEX.search(exc.detail)
        if match:
            exc.extra.setdefault("position", int(match.group(1)) + 1)  # PostgreSQL counts from 1
        raise
    calls = sql_guard.side_effect_calls(stmt)
    if calls:
        names = ", ".join(f"{name}()" for name in calls)
        raise PermissionDenied(
            f"The statement calls {names}, which acts outside the transaction (a rollback cannot undo it): "
            "the editor does not run it.",
            code="side_effect_call",
        )
    return Statement(sql=sql, kind=kind, fingerprint=sql_guard.fingerprint(sql), node_name=type(stmt).__name__)


def jsonable(value):
    """A value from the database as JSON can carry it (numbers that JSON would round stay text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _type_names(conn: psycopg.Connection, oids: list[int]) -> dict[int, str]:
    """pg_type.typname of each type oid (psycopg knows the built-in ones; the catalog the rest)."""
    names = {}
    unknown = []
    for oid in oids:
        info = conn.adapters.types.get(oid)
        if info is not None:
            # psycopg files an array's oid under its element type; PostgreSQL names it "_element".
            names[oid] = f"_{info.name}" if oid == info.array_oid and oid != info.oid else info.name
        else:
            unknown.append(oid)
    if unknown:
        rows = conn.execute("SELECT oid::int, typname FROM pg_type WHERE oid = ANY(%s)", [unknown])
        names.update(dict(rows.fetchall()))
    return names


def as_domain_error(exc: psycopg.Error, limit_ms: int, *, offset: int = 0) -> DomainError:
    """The database's error as an API error, with where in the user's statement it points.

    `offset`: characters sent before the user's statement (a DECLARE ... FOR prefix).
    """
    error = target.map_query_error(exc)
    diag = exc.diag
    if diag is not None and diag.statement_position and int(diag.statement_position) > offset:
        error.extra["position"] = int(diag.statement_position) - offset
    if isinstance(exc, pg_errors.UndefinedTable):
        return NotFound(f"Unknown table: {diag.message_primary}.", code="unknown_table", extra=error.extra)
    if isinstance(exc, pg_errors.UndefinedColumn):
        return NotFound(f"Unknown column: {diag.message_primary}.", code="unknown_column", extra=error.extra)
    if isinstance(error, target.TargetTimeout) and error.code == "target_timeout":
        error.detail = f"The statement ran past the statement timeout of {limit_ms} ms and was cancelled."
        error.extra["limit_ms"] = limit_ms
    return error


def execute(
    url: str,
    statement: Statement,
    *,
    read_only: bool,
    commit: bool,
    row_cap: int,
    statement_timeout_ms: int,
) -> dict:
    """Run `statement`; rolled back unless `commit` (only ever with read_only False).

    Returns {"columns": [{"name", "type"}], "rows", "row_count", "truncated", "committed",
    "notices", "duration_ms"}. Database errors come out as DomainErrors carrying "position".
    """
    notices: list[str] = []
    started = time.perf_counter()
    with target.session(url, read_only=read_only, statement_timeout_ms=statement_timeout_ms) as conn:
        conn.add_notice_handler(lambda diag: notices.append(f"{diag.severity}: {diag.message_primary}"))
        if not commit:
            # The one guard of every path that runs user SQL: a run the editor rolls back must leave nothing
            # behind (an explicit commit on a writable connection is a write the user asked for).
            verdict = sql_guard.execution_verdict(conn, statement.sql)
            if not verdict.allowed:
                raise PermissionDenied(f"{verdict.reason} The editor does not run it.", code="side_effect_call")
        offset = 0
        try:
            if statement.kind == "select":
                # A cursor on the server: only row_cap + 1 rows ever reach DBooster, however big the result.
                offset = len(_CURSOR_PREFIX)
                conn.execute(_CURSOR_PREFIX + statement.sql)
                cursor = conn.execute(f"FETCH FORWARD {int(row_cap) + 1} FROM {_CURSOR_NAME}")
            else:
                cursor = conn.execute(statement.sql)
            duration_ms = (time.perf_counter() - started) * 1000
            columns, rows, truncated = [], [], False
            if cursor.description is not None:
                fetched = cursor.fetchmany(row_cap + 1)
                truncated = len(fetched) > row_cap
                rows = [[jsonable(v) for v in row] for row in fetched[:row_cap]]
                types = _type_names(conn, sorted({col.type_code for col in cursor.description}))
                columns = [
                    {"name": col.name, "type": types.get(col.type_code, str(col.type_code))}
                    for col in cursor.description
                ]
            row_count = len(rows) if statement.kind == "select" or cursor.rowcount < 0 else cursor.rowcount
            committed = False
            if commit and not read_only:
                # The guard's session always rolls back; COMMIT here is the caller's explicit choice.
                conn.execute("COMMIT")
                committed = True
            result_notices = list(notices)
        except psycopg.Error as exc:
            raise as_domain_error(exc, statement_timeout_ms, offset=offset) from None
    return {
        "columns": columns,
        "rows": rows,
        "row_count": row_count,
        "truncated": truncated,
        "committed": committed,
        "notices": result_notices,
        "duration_ms": round(duration_ms, 3),
    }
