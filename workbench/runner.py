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

import pglast
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


@dataclass(frozen=True)
class Page:
    """Which rows of a read-only statement's result to send: `number` from 1, `size` rows, optionally
    ordered by the result's column at `sort_column` (from 0)."""

    number: int = 1
    size: int | None = None  # None: every row up to the cap (an export)
    sort_column: int | None = None
    descending: bool = False


def _statement_text(sql: str) -> tuple[str, int]:
    """The statement without what surrounds it (a trailing semicolon, comments) and where it starts."""
    raw = pglast.parse_sql(sql)[0]
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(sql)
    return sql[start:end], start


def _declare(statement: Statement, page: Page, row_cap: int) -> tuple[str, int]:
    """DECLARE ... FOR the statement (wrapped in an ordered SELECT to sort it); the characters sent before
    the user's text, to point errors at it. The wrapped text keeps the user's lines: a trailing comment
    cannot swallow the closing parenthesis."""
    if page.sort_column is None:
        return _CURSOR_PREFIX + statement.sql, len(_CURSOR_PREFIX)
    text, start = _statement_text(statement.sql)
    head = _CURSOR_PREFIX + "SELECT * FROM (\n"
    order = f"{int(page.sort_column) + 1} {'DESC' if page.descending else 'ASC'} NULLS LAST"
    return f"{head}{text}\n) AS dbooster_result ORDER BY {order}", len(head) - start


def _fetch_page(conn, page: Page, row_cap: int):
    """Only one page of rows reaches DBooster: MOVE skips the rows before it and counts the rest up to the
    cap, on the server. Returns (cursor of the FETCH, rows, rows in the result up to cap + 1)."""
    skip = (page.number - 1) * page.size
    if skip >= row_cap:
        raise InvalidInput(f"page: beyond the row cap of {row_cap} rows.", code="invalid_page")
    skipped = conn.execute(f"MOVE FORWARD {skip} FROM {_CURSOR_NAME}").rowcount if skip else 0
    cursor = conn.execute(f"FETCH FORWARD {min(page.size, row_cap - skip)} FROM {_CURSOR_NAME}")
    rows = cursor.fetchall()
    rest = conn.execute(f"MOVE FORWARD {row_cap - skip - len(rows) + 1} FROM {_CURSOR_NAME}").rowcount
    return cursor, rows, skipped + len(rows) + rest


MASK = "••••••"
_SENSITIVE_SOURCES = """
SELECT c.oid::int, a.attnum::int
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname, c.relname, a.attname) IN (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))
"""


def _masked_positions(conn, cursor, sensitive) -> set[int]:
    """The result's columns read straight from a sensitive column (PostgreSQL names each output column's source
    table and column when it is a plain reference, through subqueries too; an expression over one has none)."""
    if not sensitive:
        return set()
    schemas, tables, columns = (list(part) for part in zip(*sorted(sensitive), strict=True))
    sources = set(conn.execute(_SENSITIVE_SOURCES, [schemas, tables, columns]).fetchall())
    result = cursor.pgresult
    return {i for i in range(result.nfields) if (result.ftable(i), result.ftablecol(i)) in sources}


def execute(
    url: str,
    statement: Statement,
    *,
    read_only: bool,
    commit: bool,
    row_cap: int,
    statement_timeout_ms: int,
    page: Page | None = None,
    sensitive: set[tuple[str, str, str]] | None = None,
) -> dict:
    """Run `statement`; rolled back unless `commit` (only ever with read_only False).

    Returns {"columns": [{"name", "type"}], "rows", "row_count", "truncated", "committed",
    "notices", "duration_ms"}; with a page size, "rows" holds that page only, and a read-only statement
    is paged (and sorted) by the database. Values of the `sensitive` (schema, table, column)s are masked.
    Database errors come out as DomainErrors carrying "position".
    """
    page = page or Page()
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
            total = None
            if statement.kind == "select":
                # A cursor on the server: at most a page (or row_cap + 1 rows) reaches DBooster.
                declare, offset = _declare(statement, page, row_cap)
                conn.execute(declare)
                if page.size is not None:
                    cursor, fetched, total = _fetch_page(conn, page, row_cap)
                else:
                    cursor = conn.execute(f"FETCH FORWARD {int(row_cap) + 1} FROM {_CURSOR_NAME}")
            else:
                cursor = conn.execute(statement.sql)
            duration_ms = (time.perf_counter() - started) * 1000
            columns, rows, truncated = [], [], False
            if cursor.description is not None:
                if total is None:
                    fetched = cursor.fetchmany(row_cap + 1)
                    total = len(fetched)
                    fetched = fetched[:row_cap]
                    if page.size is not None:  # a data change's RETURNING rows: paged here
                        fetched = fetched[(page.number - 1) * page.size : page.number * page.size]
                truncated = total > row_cap
                masked = _masked_positions(conn, cursor, sensitive)
                rows = [[MASK if i in masked else jsonable(v) for i, v in enumerate(row)] for row in fetched]
                types = _type_names(conn, sorted({col.type_code for col in cursor.description}))
                columns = [
                    {"name": col.name, "type": types.get(col.type_code, str(col.type_code)), "masked": i in masked}
                    for i, col in enumerate(cursor.description)
                ]
            if statement.kind == "select" or cursor.rowcount < 0:
                row_count = min(total or 0, row_cap)
            else:
                row_count = cursor.rowcount
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
