"""Writing a catalog into our snapshot tables: only the rows that changed, plus the drift.

Called inside the sync's transaction. A resync of an unchanged 2,000-table schema writes
almost nothing; the first sync inserts everything in one statement per table.
"""

from __future__ import annotations

import hashlib
import json

from django.db import connection as django_connection

from schema_metadata import diff as drift
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata

# part -> (model, key fields); the catalog's dict keys are the model's field names.
PARTS = {
    "columns": (SchemaMetadata, drift.COLUMN_KEY),
    "tables": (DbTable, drift.TABLE_KEY),
    "indexes": (DbIndex, drift.INDEX_KEY),
    "foreign_keys": (DbForeignKey, ("schema_name", "table_name", "name")),
}

_SQL_TYPES = {
    "TextField": "text",
    "CharField": "text",
    "BooleanField": "boolean",
    "IntegerField": "integer",
    "BigIntegerField": "bigint",
    "JSONField": "jsonb",
    "DateTimeField": "timestamptz",
}


def _fields(model, rows: list[dict]) -> list[str]:
    if rows:
        return list(rows[0])
    return [f.name for f in model._meta.concrete_fields if f.name not in ("id", "connection")]


def _payload(fields: list[str], rows: list[dict]) -> str:
    # Rows travel as JSON arrays (smaller than objects); positions name the columns.
    return json.dumps([[row[name] for name in fields] for row in rows], default=str)


def _sync_part(
    model, connection_id: int, key: tuple, fields: list[str], payload: str, reported, *, empty: bool
) -> tuple:
    """Make the stored rows of one part equal to `rows`, comparing in PostgreSQL.

    The new rows go into a temporary table in one statement; then one DELETE removes the
    stored rows that have no identical new row, and one INSERT adds the new rows that have
    no identical stored row. Unchanged rows are never touched. Returns the deleted rows'
    and the inserted rows' (key + reported fields) for the drift.
    """
    table = model._meta.db_table
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = [f'"{f.column}"' for f in model_fields]
    types = [_SQL_TYPES[f.get_internal_type()] for f in model_fields]
    picks = ", ".join(
        (f"r->{i}" if kind == "jsonb" else f"(r->>{i})::{kind}") + f" AS {column}"
        for i, (kind, column) in enumerate(zip(types, columns, strict=True))
    )
    same_key = " AND ".join(f'n."{k}" = o."{k}"' for k in key)
    same_row = f"({', '.join('n.' + c for c in columns)}) IS NOT DISTINCT FROM ({', '.join('o.' + c for c in columns)})"
    returned = ", ".join(f'"{name}"' for name in (*key, *reported))
    with django_connection.cursor() as cursor:
        if empty:  # nothing stored yet: a plain insert
            cursor.execute(
                f'INSERT INTO "{table}" (connection_id, {", ".join(columns)}) SELECT %s, {picks} '
                f"FROM jsonb_array_elements(%s::jsonb) r RETURNING {returned}",
                [connection_id, payload],
            )
            return [], cursor.fetchall()
        cursor.execute("DROP TABLE IF EXISTS pg_temp.snapshot_new")
        cursor.execute(
            f"CREATE TEMP TABLE snapshot_new ON COMMIT DROP AS SELECT {picks} FROM jsonb_array_elements(%s::jsonb) r",
            [payload],
        )
        cursor.execute(
            f'DELETE FROM "{table}" o WHERE o.connection_id = %s '
            f"AND NOT EXISTS (SELECT 1 FROM snapshot_new n WHERE {same_key} AND {same_row}) RETURNING {returned}",
            [connection_id],
        )
        deleted = cursor.fetchall()
        cursor.execute(
            f'INSERT INTO "{table}" (connection_id, {", ".join(columns)}) '
            f"SELECT %s, {', '.join('n.' + c for c in columns)} FROM snapshot_new n WHERE NOT EXISTS "
            f'(SELECT 1 FROM "{table}" o WHERE o.connection_id = %s AND {same_key} AND {same_row}) '
            f"RETURNING {returned}",
            [connection_id, connection_id],
        )
        inserted = cursor.fetchall()
        cursor.execute("DROP TABLE pg_temp.snapshot_new")
    return deleted, inserted


def write(connection, catalog, previous_fingerprints: dict | None = None) -> tuple[dict, dict, dict]:
    """Make the stored snapshot of `connection` equal to `catalog`.

    Returns (drift, rows written, fingerprints). A part whose fingerprint equals the one the
    last successful sync stored (`previous_fingerprints`) is already in place and is skipped.
    The drift compares only what a person calls a schema change (drift.PARTS' fields), so a
    table whose row estimate moved is rewritten but not reported.
    """
    previous_fingerprints = previous_fingerprints or {}
    stored = {part: model.objects.filter(connection=connection).exists() for part, (model, _key) in PARTS.items()}
    previous, current, written, fingerprints = {}, {}, {}, {}
    for part, (model, key) in PARTS.items():
        rows = getattr(catalog, part)
        fields = _fields(model, rows)
        payload = _payload(fields, rows)
        fingerprints[part] = hashlib.sha256(payload.encode()).hexdigest()
        previous[part] = current[part] = {}
        unchanged = stored[part] and previous_fingerprints.get(part) == fingerprints[part]
        if unchanged or (not rows and not stored[part]):
            written[part] = {"deleted": 0, "inserted": 0}
            continue
        reported = drift.PARTS[part][1] if part in drift.PARTS else ()
        deleted, inserted = _sync_part(model, connection.pk, key, fields, payload, reported, empty=not stored[part])
        written[part] = {"deleted": len(deleted), "inserted": len(inserted)}
        size = len(key)
        previous[part] = {tuple(r[:size]): tuple(r[size:]) for r in deleted}
        current[part] = {tuple(r[:size]): tuple(r[size:]) for r in inserted}
    result = drift.snapshot_diff({p: previous[p] for p in drift.PARTS}, {p: current[p] for p in drift.PARTS})
    result["initial"] = not stored["tables"] and not stored["columns"]
    return result, written, fingerprints
