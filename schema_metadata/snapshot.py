"""Writing a catalog into our snapshot tables: only the rows that changed, plus the drift.

Called inside the sync's transaction. Rows travel by binary COPY, the cheapest way into
PostgreSQL (no SQL text or JSON to build and parse per row). A part with nothing stored yet
is copied straight into its table; otherwise the new rows go into a temporary table and
PostgreSQL compares: one DELETE of the stored rows with no identical new row, one INSERT of
the new rows with no identical stored row, so unchanged rows are never touched. A part
whose fingerprint equals the last sync's is not sent at all.
"""

from __future__ import annotations

import hashlib
import pickle
from operator import itemgetter

from django.db import connection as django_connection

from schema_metadata import diff as drift
from schema_metadata.catalog import COLUMN_FIELDS
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata

# part -> (model, key fields); the catalog's dict keys are the model's field names.
PARTS = {
    "columns": (SchemaMetadata, drift.COLUMN_KEY),
    "tables": (DbTable, drift.TABLE_KEY),
    "indexes": (DbIndex, drift.INDEX_KEY),
    "foreign_keys": (DbForeignKey, ("schema_name", "table_name", "name")),
}

# Binary COPY needs each value's exact PostgreSQL type.
_COPY_TYPES = {
    "TextField": "text",
    "CharField": "varchar",
    "BooleanField": "bool",
    "IntegerField": "int4",
    "BigIntegerField": "int8",
    "BigAutoField": "int8",
    "AutoField": "int4",
    "JSONField": "jsonb",
    "DateTimeField": "timestamptz",
}


class _Table:
    """One snapshot table as COPY and the comparison statements see it."""

    def __init__(self, model, key: tuple, reported: tuple):
        meta = model._meta
        self.name = f'"{meta.db_table}"'
        self.fields = [f for f in meta.concrete_fields if f.name not in ("id", "connection")]
        self.columns = [f'"{f.column}"' for f in self.fields]
        self.types = [_COPY_TYPES[f.get_internal_type()] for f in self.fields]
        self.connection_type = _COPY_TYPES[meta.get_field("connection").target_field.get_internal_type()]
        self.names = tuple(f.name for f in self.fields)
        self.key, self.reported = key, reported
        self.returned = ", ".join(f'"{name}"' for name in (*key, *reported))


def _copy(cursor, table: str, columns: list[str], types: list[str], rows) -> None:
    # psycopg's own cursor: its errors are made Django's, like every other statement's here.
    with django_connection.wrap_database_errors:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)


def _insert_all(cursor, table: _Table, connection_id: int, rows) -> None:
    """Nothing stored yet: the rows go straight into the table."""
    _copy(
        cursor,
        table.name,
        ["connection_id", *table.columns],
        [table.connection_type, *table.types],
        [(connection_id, *row) for row in rows],
    )


def _replace_changed(cursor, table: _Table, connection_id: int, rows: list[tuple]) -> tuple[list, list]:
    """Make the stored rows equal to `rows`, comparing in PostgreSQL. Returns the deleted and the
    inserted rows' key + reported fields, for the drift."""
    columns = ", ".join(table.columns)
    same_key = " AND ".join(f'n."{k}" = o."{k}"' for k in table.key)
    new, old = ", ".join("n." + c for c in table.columns), ", ".join("o." + c for c in table.columns)
    same_row = f"({new}) IS NOT DISTINCT FROM ({old})"
    cursor.execute("DROP TABLE IF EXISTS pg_temp.snapshot_new")
    cursor.execute(f"CREATE TEMP TABLE snapshot_new ON COMMIT DROP AS SELECT {columns} FROM {table.name} WITH NO DATA")
    _copy(cursor, "pg_temp.snapshot_new", table.columns, table.types, rows)
    cursor.execute(
        f"DELETE FROM {table.name} o WHERE o.connection_id = %s "
        f"AND NOT EXISTS (SELECT 1 FROM snapshot_new n WHERE {same_key} AND {same_row}) RETURNING {table.returned}",
        [connection_id],
    )
    deleted = cursor.fetchall()
    cursor.execute(
        f"INSERT INTO {table.name} (connection_id, {columns}) SELECT %s, {new} FROM snapshot_new n WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table.name} o WHERE o.connection_id = %s AND {same_key} AND {same_row}) "
        f"RETURNING {table.returned}",
        [connection_id, connection_id],
    )
    inserted = cursor.fetchall()
    cursor.execute("DROP TABLE pg_temp.snapshot_new")
    return deleted, inserted


def _rows(catalog, part: str, table: _Table) -> list[tuple]:
    """The catalog's rows of `part` as tuples in the table's field order."""
    if part == "columns":  # already tuples
        rows, names = catalog.column_rows, COLUMN_FIELDS
        if names == table.names:
            return rows
        pick = itemgetter(*[names.index(name) for name in table.names])
        return [pick(row) for row in rows]
    pick = itemgetter(*table.names)
    return [pick(row) for row in getattr(catalog, part)]


def _fingerprint(rows: list[tuple]) -> str:
    # pickle is an exact and fast encoding of what a catalog holds (str, numbers, bool, None,
    # datetime, lists). Were equal rows ever encoded differently, that would only cost a compare.
    return hashlib.sha256(pickle.dumps(rows, protocol=5)).hexdigest()


def _by_key(rows, size: int) -> dict:
    return {tuple(r[:size]): tuple(r[size:]) for r in rows}


class SnapshotWriter:
    """Makes the stored snapshot of `connection` equal to a catalog, one part at a time (the
    caller may write the columns before the rest of the catalog is read), inside the caller's
    transaction. A part whose fingerprint equals the one the last successful sync stored
    (`previous_fingerprints`) is already in place and is skipped. The drift compares only what a
    person calls a schema change (drift.PARTS' fields), so a table whose row estimate moved is
    rewritten but not reported.
    """

    def __init__(self, connection, previous_fingerprints: dict | None = None):
        self.connection = connection
        self.previous_fingerprints = previous_fingerprints or {}
        self.stored = {part: model.objects.filter(connection=connection).exists() for part, (model, _) in PARTS.items()}
        self.previous, self.current, self.written, self.fingerprints = {}, {}, {}, {}

    def write_part(self, part: str, catalog) -> None:
        table = self._table(part)
        rows = _rows(catalog, part, table)
        fingerprint = _fingerprint(rows)
        self.fingerprints[part] = fingerprint
        self.previous[part] = self.current[part] = {}
        self.written[part] = {"deleted": 0, "inserted": 0}
        stored = self.stored[part]
        if (stored and self.previous_fingerprints.get(part) == fingerprint) or not (stored or rows):
            return  # already in place
        with django_connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own cursor: COPY
            if not stored:
                _insert_all(cursor, table, self.connection.pk, rows)
                self._all_new(part, table, rows)
                return
            deleted, inserted = _replace_changed(cursor, table, self.connection.pk, rows)
        self.written[part] = {"deleted": len(deleted), "inserted": len(inserted)}
        size = len(table.key)
        self.previous[part], self.current[part] = _by_key(deleted, size), _by_key(inserted, size)

    def _table(self, part: str) -> _Table:
        model, key = PARTS[part]
        return _Table(model, key, drift.PARTS[part][1] if part in drift.PARTS else ())

    def _all_new(self, part: str, table: _Table, rows: list[tuple]) -> None:
        # Everything is new: the drift's rows are the catalog's own.
        self.written[part]["inserted"] = len(rows)
        reported = itemgetter(*[table.names.index(name) for name in (*table.key, *table.reported)])
        self.current[part] = _by_key(map(reported, rows), len(table.key))

    def finish(self) -> tuple[dict, dict, dict]:
        """(drift, rows written, fingerprints) once every part is written."""
        result = drift.snapshot_diff(
            {p: self.previous[p] for p in drift.PARTS}, {p: self.current[p] for p in drift.PARTS}
        )
        result["initial"] = not self.stored["tables"] and not self.stored["columns"]
        return result, self.written, self.fingerprints


def write(connection, catalog, previous_fingerprints: dict | None = None) -> tuple[dict, dict, dict]:
    """Make the stored snapshot of `connection` equal to `catalog` (see SnapshotWriter)."""
    writer = SnapshotWriter(connection, previous_fingerprints)
    for part in PARTS:
        writer.write_part(part, catalog)
    return writer.finish()
