"""Reads of the workbench: history, snippets, and tables and indexes (the synced metadata plus live reads)."""

from __future__ import annotations

import psycopg
from django.conf import settings

import migration_safety
from approvals import applying
from approvals import selectors as approvals_selectors
from dbooster.errors import InvalidInput, NotFound
from dbooster.roles import Role, role_at_least
from optimizer.models import Suggestion
from schema_metadata import target
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata
from workbench import ddl, runner
from workbench.models import SensitiveColumn, Snippet, SqlRun
from workbench.tables import TableShape


def run_list(*, project):
    return SqlRun.objects.filter(project=project).select_related("user", "connection")


def run_get(*, project, pk) -> SqlRun:
    run = run_list(project=project).filter(pk=pk).first()
    if run is None:
        raise NotFound("History entry not found in this project.", code="run_not_found")
    return run


def snippet_list(*, project):
    return Snippet.objects.filter(project=project).select_related("created_by")


def snippet_get(*, project, pk) -> Snippet:
    snippet = snippet_list(project=project).filter(pk=pk).first()
    if snippet is None:
        raise NotFound("Snippet not found in this project.", code="snippet_not_found")
    return snippet


# --- tables ---------------------------------------------------------------------------------


def table_list(*, connection) -> list[dict]:
    """Every synced table with its size, row estimate and whether rows can be edited (a primary key)."""
    with_pk = set(
        DbIndex.objects.filter(connection=connection, is_primary=True).values_list("schema_name", "table_name")
    )
    return [
        {
            "schema": t.schema_name,
            "name": t.name,
            "kind": t.kind,
            "row_estimate": t.row_estimate if (t.row_estimate or 0) >= 0 else None,
            "size_bytes": t.size_bytes,
            "has_primary_key": (t.schema_name, t.name) in with_pk,
            "comment": t.comment,
        }
        for t in DbTable.objects.filter(connection=connection)
    ]


def _table_row(*, connection, table: str, schema: str | None) -> DbTable:
    qs = DbTable.objects.filter(connection=connection, name=table)
    if schema:
        qs = qs.filter(schema_name=schema)
    found = list(qs[:2])
    if len(found) > 1:
        found = [t for t in found if t.schema_name == "public"] or found
    if not found:
        where = f"{schema}.{table}" if schema else table
        raise NotFound(
            f"Unknown table {where!r} in the synced schema of connection {connection.name!r} (sync it if it is new).",
            code="unknown_table",
        )
    return found[0]


def table_shape(*, connection, table: str, schema: str | None = None) -> TableShape:
    row = _table_row(connection=connection, table=table, schema=schema)
    columns = [
        {
            "name": c.column_name,
            "type": c.column_type,
            "nullable": c.is_nullable,
            "default": c.column_default,
            "position": c.ordinal_position,
        }
        for c in SchemaMetadata.objects.filter(
            connection=connection, schema_name=row.schema_name, table_name=row.name
        ).order_by("ordinal_position")
    ]
    primary = (
        DbIndex.objects.filter(connection=connection, schema_name=row.schema_name, table_name=row.name, is_primary=True)
        .values_list("columns", flat=True)
        .first()
    )
    return TableShape(schema=row.schema_name, name=row.name, columns=columns, primary_key=list(primary or []))


def table_rows(*, connection, shape: TableShape, query, params, limit: int, cursor_columns: list[str]) -> dict:
    """Run the browser's page query read-only through the guard's session; next_after holds the last row's
    values of `cursor_columns` (the keyset the page is ordered by)."""
    with target.session(connection.url, read_only=True) as conn:
        try:
            cursor = conn.execute(query, params)
        except psycopg.Error as exc:
            raise runner.as_domain_error(exc, settings.TARGET_STATEMENT_TIMEOUT_MS) from None
        fetched = cursor.fetchmany(limit + 1)
        names = [d.name for d in cursor.description]
    rows = [[runner.jsonable(v) for v in row] for row in fetched[:limit]]
    more = len(fetched) > limit
    next_after = None
    if more and shape.primary_key:
        positions = [names.index(c) for c in cursor_columns]
        next_after = [rows[-1][i] for i in positions]
    return {"columns": names, "rows": rows, "has_more": more, "next_after": next_after}


_CONSTRAINTS = """
SELECT conname, contype::text, pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid = (quote_ident(%s) || '.' || quote_ident(%s))::regclass ORDER BY conname
"""
_KINDS = {
    "p": "primary_key",
    "u": "unique",
    "f": "foreign_key",
    "c": "check",
    "x": "exclusion",
    "t": "trigger",
    "n": "not_null",
}


def table_schema(*, connection, shape: TableShape) -> dict:
    """Columns, constraints (live), indexes and foreign keys in and out (synced)."""
    with target.session(connection.url, read_only=True) as conn:
        constraints = [
            {"name": name, "type": _KINDS.get(kind, kind), "definition": definition}
            for name, kind, definition in conn.execute(_CONSTRAINTS, [shape.schema, shape.name]).fetchall()
        ]
    where = {"connection": connection, "schema_name": shape.schema, "table_name": shape.name}
    return {
        "schema": shape.schema,
        "name": shape.name,
        "primary_key": shape.primary_key,
        "editable": bool(shape.primary_key),
        "columns": shape.columns,
        "constraints": constraints,
        "indexes": [
            {"name": i.name, "definition": i.definition, "unique": i.is_unique, "primary": i.is_primary}
            for i in DbIndex.objects.filter(**where)
        ],
        "foreign_keys_out": [_fk(fk) for fk in DbForeignKey.objects.filter(**where)],
        "foreign_keys_in": [
            _fk(fk)
            for fk in DbForeignKey.objects.filter(
                connection=connection, referred_schema=shape.schema, referred_table=shape.name
            )
        ],
    }


def _fk(fk: DbForeignKey) -> dict:
    return {
        "name": fk.name,
        "table": f"{fk.schema_name}.{fk.table_name}",
        "columns": fk.columns,
        "referred_table": f"{fk.referred_schema}.{fk.referred_table}",
        "referred_columns": fk.referred_columns,
        "on_delete": fk.on_delete,
        "has_index": fk.has_index,
    }


# --- indexes --------------------------------------------------------------------------------

_INDEX_STATS = """
SELECT schemaname, indexrelname, idx_scan,
       (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database())
FROM pg_stat_user_indexes
"""


def _live_index_stats(connection) -> tuple[dict, str | None]:
    with target.session(connection.url, read_only=True) as conn:
        rows = conn.execute(_INDEX_STATS).fetchall()
    scans = {(schema, name): count for schema, name, count, _ in rows}
    reset = rows[0][3] if rows else None
    return scans, (reset.isoformat() if reset else None)


def _signature(index: DbIndex) -> tuple:
    return (index.schema_name, index.table_name, index.method, index.predicate, index.expressions)


def _duplicate_of(index: DbIndex, others: list[DbIndex]) -> str | None:
    """Another index with the same leading key columns (same method, predicate): one of them is redundant."""
    for other in others:
        if other.pk == index.pk or _signature(other) != _signature(index):
            continue
        same = other.columns == index.columns and other.include_columns == index.include_columns
        covered = len(other.columns) > len(index.columns) and other.columns[: len(index.columns)] == index.columns
        if (same and other.name < index.name and not index.is_unique) or (covered and not index.is_unique):
            return other.name
    return None


def index_list(*, connection) -> dict:
    indexes = list(DbIndex.objects.filter(connection=connection))
    scans, reset = _live_index_stats(connection)
    by_table: dict[tuple, list[DbIndex]] = {}
    for index in indexes:
        by_table.setdefault((index.schema_name, index.table_name), []).append(index)
    items = []
    for index in indexes:
        count = scans.get((index.schema_name, index.name))
        items.append(
            {
                "name": index.name,
                "schema": index.schema_name,
                "table": index.table_name,
                "definition": index.definition,
                "size_bytes": index.size_bytes,
                "scans": count,
                "valid": index.is_valid,
                "unique": index.is_unique,
                "primary": index.is_primary,
                # Unique and primary keys enforce something even when no query reads them.
                "unused": count == 0 and not (index.is_unique or index.is_primary),
                "duplicate_of": _duplicate_of(index, by_table[(index.schema_name, index.table_name)]),
            }
        )
    return {"stats_reset": reset, "indexes": items}


def index_get(*, connection, name: str) -> dict:
    listing = index_list(connection=connection)
    for item in listing["indexes"]:
        if item["name"] == name:
            return {"stats_reset": listing["stats_reset"], **item}
    raise NotFound(
        f"Unknown index {name!r} in the synced schema of connection {connection.name!r}.", code="unknown_index"
    )


def advisor_index_suggestions(*, project, limit: int = 10):
    """The index advisor's latest kept suggestions in this project, shown beside the index list."""
    return (
        Suggestion.objects.filter(run__project=project, kind=Suggestion.Kind.INDEX, dropped=False)
        .select_related("run")
        .order_by("-created_at", "-id")[:limit]
    )


# --- the DDL builder's catalog ---------------------------------------------------------------


class DdlCatalog:
    """The names a structured schema change is checked against: the connection's synced tables and indexes,
    and its live constraints (not synced)."""

    def __init__(self, connection):
        self.connection = connection
        self._constraints: dict[tuple[str, str], set[str]] = {}

    def table(self, name: str, schema: str | None) -> TableShape:
        return table_shape(connection=self.connection, table=name, schema=schema)

    def has_table(self, name: str, schema: str) -> bool:
        return DbTable.objects.filter(connection=self.connection, schema_name=schema, name=name).exists()

    def index_table(self, name: str, schema: str | None) -> tuple[str, str]:
        indexes = DbIndex.objects.filter(connection=self.connection, name=name)
        if schema:
            indexes = indexes.filter(schema_name=schema)
        found = indexes.values_list("schema_name", "table_name").first()
        if found is None:
            where = f"{schema}.{name}" if schema else name
            raise NotFound(
                f"Unknown index {where!r} in the synced schema of connection {self.connection.name!r}.",
                code="unknown_index",
            )
        return found

    def has_index(self, name: str, schema: str) -> bool:
        # Indexes share one namespace with tables in a schema.
        return DbIndex.objects.filter(
            connection=self.connection, schema_name=schema, name=name
        ).exists() or self.has_table(name, schema)

    def constraint_names(self, shape: TableShape) -> set[str]:
        key = (shape.schema, shape.name)
        if key not in self._constraints:
            with target.session(self.connection.url, read_only=True) as conn:
                rows = conn.execute(_CONSTRAINTS, [shape.schema, shape.name]).fetchall()
            self._constraints[key] = {name for name, _kind, _definition in rows}
        return self._constraints[key]


def schema_change_sql(*, connection, sql: str | None = None, change: dict | None = None) -> ddl.Built:
    """The DDL of a schema change given as text or built from a structured change (exactly one of them)."""
    if (sql is None) == (change is None):
        raise InvalidInput(
            "Send either sql (DDL text) or change (a structured change), not both.", code="sql_or_change"
        )
    if change is not None:
        return ddl.build(change, DdlCatalog(connection))
    applying.prepare_ddl(sql)
    return ddl.Built("ddl", (sql.strip().rstrip(";"),))


def schema_change_preview(*, project, connection, sql: str | None = None, change: dict | None = None) -> dict:
    """The DDL and its migration-safety review, as a proposal of it would carry; nothing is stored."""
    built = schema_change_sql(connection=connection, sql=sql, change=change)
    facts = approvals_selectors.safety_facts(project=project, connection=connection)
    return {
        "kind": built.kind,
        "sql": built.sql,
        "statements": list(built.statements),
        "safety_review": migration_safety.review(built.sql, facts).as_dict(),
    }


# --- sensitive columns ------------------------------------------------------------------------


def sensitive_columns(*, connection) -> set[tuple[str, str, str]]:
    """Every (schema, table, column) marked sensitive on the connection. The assistant asks this before any
    row data may reach a model: a value of one of these columns never does."""
    return set(
        SensitiveColumn.objects.filter(connection=connection).values_list("schema_name", "table_name", "column_name")
    )


def sensitive_in_table(*, connection, shape: TableShape) -> list[str]:
    return list(
        SensitiveColumn.objects.filter(
            connection=connection, schema_name=shape.schema, table_name=shape.name
        ).values_list("column_name", flat=True)
    )


def sees_sensitive_values(user) -> bool:
    """The rule: admins see the values of sensitive columns; members and viewers see them masked."""
    return role_at_least(getattr(user, "role", Role.VIEWER), Role.ADMIN)


def masked_for(user, *, connection) -> set[tuple[str, str, str]]:
    """The columns whose values `user` is shown masked."""
    return set() if sees_sensitive_values(user) else sensitive_columns(connection=connection)
