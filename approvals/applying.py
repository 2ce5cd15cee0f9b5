"""Running an approved change on a user's database. Plain module: a URL and SQL in, a result out.

- `prepare_index(sql)`: one CREATE INDEX, rewritten to CONCURRENTLY with a name we can find again.
- `prepare_ddl(sql)`: schema-change statements of the kinds we allow, split one per statement.
- `create_index_concurrently(url, index, ...)`: the build outside a transaction (CONCURRENTLY
  cannot run in one), with lock_timeout and statement_timeout; a failed build leaves an INVALID
  index behind, which is found in pg_index and dropped again (DROP INDEX CONCURRENTLY).
- `run_ddl(url, statements, ...)`: the statements in one transaction with the same timeouts.
- `prepare_data_change(sql)`: one INSERT, UPDATE, DELETE or MERGE that calls nothing a rollback cannot undo;
  `estimated_rows(plan)`: the rows its EXPLAIN (not ANALYZE) plan expects it to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pglast
import psycopg
from pglast import ast
from pglast.stream import RawStream
from psycopg import sql as pgsql

from dbooster.errors import InvalidInput
from schema_metadata import sql_guard

# Statements a schema change may hold. Anything else (data changes, DO blocks, functions that
# could do anything, transaction control, COPY, roles and grants) is refused at submission.
DDL_STATEMENTS = {
    "AlterTableStmt": "ALTER TABLE",
    "CreateStmt": "CREATE TABLE",
    "IndexStmt": "CREATE INDEX",
    "DropStmt": "DROP",
    "RenameStmt": "RENAME",
    "CommentStmt": "COMMENT",
    "ViewStmt": "CREATE VIEW",
    "CreateSeqStmt": "CREATE SEQUENCE",
    "AlterSeqStmt": "ALTER SEQUENCE",
    "CreateEnumStmt": "CREATE TYPE AS ENUM",
    "AlterEnumStmt": "ALTER TYPE",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "CreateTableAsStmt": "CREATE MATERIALIZED VIEW",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
    "CreateStatsStmt": "CREATE STATISTICS",
}
# Statements a data change may be: exactly one of these (a data-changing CTE inside a SELECT is refused).
DATA_STATEMENTS = {
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
}
MAX_SQL_CHARS = 100_000
CLEANUP_LOCK_TIMEOUT_MS = 60_000
CLEANUP_STATEMENT_TIMEOUT_MS = 10 * 60_000


class ApplyFailed(Exception):
    """The database refused the change. `message` is the database's own words."""

    def __init__(self, message: str, *, sqlstate: str = "", cleanup: str = ""):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.cleanup = cleanup


@dataclass(frozen=True)
class IndexPlan:
    statement: str  # CREATE [UNIQUE] INDEX CONCURRENTLY name ON table ...
    name: str
    table: str  # as written, quoted where needed: usable in to_regclass()
    unique: bool
    drop_statement: str  # to undo it


def _parse(sql: str) -> list:
    if not sql or not sql.strip():
        raise InvalidInput("The SQL is empty.", code="invalid_sql")
    if len(sql) > MAX_SQL_CHARS:
        raise InvalidInput(f"The SQL is longer than {MAX_SQL_CHARS} characters.", code="invalid_sql")
    try:
        return list(sql_guard.parse_sql(sql, what="SQL"))
    except InvalidInput as exc:
        if exc.code != "parse_error":
            raise
        raise InvalidInput(f"The SQL does not parse as PostgreSQL: {exc.detail}", code="invalid_sql") from None


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def prepare_index(sql: str, *, fallback_name: str) -> IndexPlan:
    """The CREATE INDEX of `sql` as a CONCURRENTLY build with a name (given or `fallback_name`)."""
    statements = _parse(sql)
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.IndexStmt):
        raise InvalidInput("An index proposal must be exactly one CREATE INDEX statement.", code="not_an_index")
    stmt = statements[0].stmt
    values = stmt(skip_none=True)
    values["concurrent"] = True
    values["idxname"] = stmt.idxname or fallback_name
    prepared = ast.IndexStmt(values)
    table = RawStream()(stmt.relation)
    schema = stmt.relation.schemaname
    qualified_name = (_quote_ident(schema) + "." if schema else "") + _quote_ident(prepared.idxname)
    return IndexPlan(
        statement=RawStream()(prepared),
        name=prepared.idxname,
        table=table,
        unique=bool(stmt.unique),
        drop_statement=f"DROP INDEX CONCURRENTLY IF EXISTS {qualified_name}",
    )


def prepare_ddl(sql: str) -> list[str]:
    """The statements of a schema change, one string each, after checking each kind is allowed."""
    statements = _parse(sql)
    if not statements:
        raise InvalidInput("The SQL holds no statement.", code="invalid_sql")
    for raw in statements:
        kind = type(raw.stmt).__name__
        if kind not in DDL_STATEMENTS:
            raise InvalidInput(
                f"A schema change may hold only DDL ({', '.join(sorted(set(DDL_STATEMENTS.values())))}); "
                f"found {kind.removesuffix('Stmt')}.",
                code="not_ddl",
            )
        if isinstance(raw.stmt, ast.IndexStmt) and raw.stmt.concurrent and len(statements) > 1:
            raise InvalidInput(
                "CREATE INDEX CONCURRENTLY cannot run in a transaction with other statements: propose it on its own.",
                code="concurrent_in_transaction",
            )
    return [s.strip() for s in pglast.split(sql, with_parser=True)]


def prepare_data_change(sql: str) -> str:
    """The one INSERT, UPDATE, DELETE or MERGE of `sql` as text, after the guard's checks."""
    statements = _parse(sql)
    if len(statements) != 1 or type(statements[0].stmt).__name__ not in DATA_STATEMENTS:
        raise InvalidInput(
            "A data change must be exactly one INSERT, UPDATE, DELETE or MERGE statement.", code="not_a_data_change"
        )
    calls = sql_guard.side_effect_calls(statements[0].stmt)
    if calls:
        raise InvalidInput(
            f"The statement calls {', '.join(f'{c}()' for c in calls)}, which acts outside the transaction "
            "(a rollback cannot undo it): it is not proposed.",
            code="side_effect_call",
        )
    return pglast.split(sql, with_parser=True)[0].strip()


def estimated_rows(plan: list | dict) -> int | None:
    """The rows a data change's plan (EXPLAIN FORMAT JSON) expects to change: ModifyTable's input."""
    root = plan[0] if isinstance(plan, list) and plan else plan
    node = root.get("Plan", {}) if isinstance(root, dict) else {}
    if node.get("Node Type") == "ModifyTable" and node.get("Plans"):
        node = node["Plans"][0]
    rows = node.get("Plan Rows")
    return int(rows) if isinstance(rows, (int, float)) else None


def is_single_index(sql: str) -> bool:
    try:
        statements = _parse(sql)
    except InvalidInput:
        return False
    return len(statements) == 1 and isinstance(statements[0].stmt, ast.IndexStmt)


# Placeholders of drivers and ORMs (%s, %(name)s, ?, :name) as PostgreSQL's $1, only to parse the text.
_PLACEHOLDER_RE = re.compile(r"%\(\w+\)s|%s|\?|(?<![:\w]):[A-Za-z_]\w*")


def check_query(sql: str) -> None:
    """A rewrite must be one statement that parses (with its driver placeholders)."""
    statements = _parse(_PLACEHOLDER_RE.sub("$1", sql or ""))
    if len(statements) != 1:
        raise InvalidInput("A rewrite must be exactly one SQL statement.", code="invalid_sql")


def _database_message(exc: psycopg.Error) -> tuple[str, str]:
    diag = getattr(exc, "diag", None)
    primary = (getattr(diag, "message_primary", None) or str(exc) or exc.__class__.__name__).strip()
    detail = getattr(diag, "message_detail", None)
    message = f"{primary} ({detail})" if detail else primary
    return " ".join(message.split()), getattr(exc, "sqlstate", None) or ""


def _set_timeouts(conn: psycopg.Connection, *, lock_timeout_ms: int, statement_timeout_ms: int, local: bool) -> None:
    conn.execute("SELECT set_config('lock_timeout', %s, %s)", [f"{int(lock_timeout_ms)}ms", local])
    conn.execute("SELECT set_config('statement_timeout', %s, %s)", [f"{int(statement_timeout_ms)}ms", local])


_INDEX_LOOKUP = """
SELECT i.indexrelid, n.nspname, c.relname, i.indisvalid
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = to_regclass(%s) AND c.relname = %s
"""


def find_index(conn: psycopg.Connection, plan: IndexPlan) -> tuple[int, str, str, bool] | None:
    """(oid, schema, name, is_valid) of the index `plan` builds on its table, if it exists."""
    return conn.execute(_INDEX_LOOKUP, [plan.table, plan.name]).fetchone()


def drop_invalid_index(conn: psycopg.Connection, plan: IndexPlan, *, existed_before: int | None) -> str:
    """Drop the INVALID index a failed build left behind; returns what was done, for the record."""
    found = find_index(conn, plan)
    if found is None:
        return "No index was left behind."
    oid, schema, name, valid = found
    if existed_before is not None and oid == existed_before:
        return f"Index {schema}.{name} existed before this attempt; it was left as it was."
    if valid:
        return f"Index {schema}.{name} exists and is valid; nothing to clean up."
    conn.execute(
        pgsql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(pgsql.Identifier(schema, name)),
    )
    return f"The failed build left the INVALID index {schema}.{name}; it was dropped (DROP INDEX CONCURRENTLY)."


def create_index_concurrently(
    connect, plan: IndexPlan, *, lock_timeout_ms: int, statement_timeout_ms: int, drop_invalid_leftover: bool = False
) -> str:
    """Build the index; returns a note on success, raises ApplyFailed with the database's message.

    `connect()` returns a new autocommit connection to the target (target.connect under guard).
    `drop_invalid_leftover`: on a retry, an INVALID index of the same name on the same table is
    what an earlier attempt left (a worker lost mid-build); it is dropped before building again.
    """
    conn = connect()
    notes = []
    try:
        _set_timeouts(conn, lock_timeout_ms=lock_timeout_ms, statement_timeout_ms=statement_timeout_ms, local=False)
        before = find_index(conn, plan)
        if before is not None and not before[3] and drop_invalid_leftover:
            notes.append(drop_invalid_index(conn, plan, existed_before=None))
            before = find_index(conn, plan)
        existed_before = before[0] if before else None
        try:
            conn.execute(plan.statement)
        except psycopg.Error as exc:
            message, sqlstate = _database_message(exc)
            cleanup = _cleanup(connect, conn, plan, existed_before, lock_timeout_ms)
            raise ApplyFailed(message, sqlstate=sqlstate, cleanup=cleanup) from None
        # CONCURRENTLY can end without an error and still leave an invalid index (e.g. IF NOT EXISTS
        # finding an invalid leftover): success means a valid index is there.
        found = find_index(conn, plan)
        if found is None or not found[3]:
            raise ApplyFailed(
                f"The index {plan.name} is not valid after the build.",
                cleanup=_cleanup(connect, conn, plan, existed_before, lock_timeout_ms),
            )
        return " ".join([*notes, f"Index {found[1]}.{found[2]} built and valid."])
    finally:
        conn.close()


def _cleanup(
    connect, conn: psycopg.Connection, plan: IndexPlan, existed_before: int | None, lock_timeout_ms: int
) -> str:
    """Drop what a failed build left, on the same connection if it still works, else on a new one."""
    for attempt in range(2):
        try:
            if attempt == 1 or conn.closed or conn.broken:
                conn = connect()
            # DROP INDEX CONCURRENTLY blocks no reads or writes while it waits, so it may wait longer
            # than the build did for the transactions that made the build fail to finish.
            _set_timeouts(
                conn,
                lock_timeout_ms=max(lock_timeout_ms, CLEANUP_LOCK_TIMEOUT_MS),
                statement_timeout_ms=CLEANUP_STATEMENT_TIMEOUT_MS,
                local=False,
            )
            return drop_invalid_index(conn, plan, existed_before=existed_before)
        except psycopg.Error as exc:
            message, _ = _database_message(exc)
            last = message
        except Exception as exc:  # noqa: BLE001 - report any failure to clean up, never hide the original
            last = str(exc)
    return f"Cleanup failed: {last}. Drop the invalid index {plan.name} by hand (DROP INDEX CONCURRENTLY)."


def run_ddl(connect, statements: list[str], *, lock_timeout_ms: int, statement_timeout_ms: int) -> str:
    """Run the statements in one transaction; all or nothing. Raises ApplyFailed."""
    conn = connect()
    try:
        with conn.transaction():
            _set_timeouts(conn, lock_timeout_ms=lock_timeout_ms, statement_timeout_ms=statement_timeout_ms, local=True)
            for statement in statements:
                conn.execute(statement)
        return f"{len(statements)} statement(s) committed."
    except psycopg.Error as exc:
        message, sqlstate = _database_message(exc)
        raise ApplyFailed(message, sqlstate=sqlstate, cleanup="The transaction was rolled back.") from None
    finally:
        conn.close()
