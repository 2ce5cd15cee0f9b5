"""Reading a PostgreSQL catalog in a constant number of queries. Plain module: connection in, dicts out.

Four statements, whatever the number of tables: relations, columns, indexes, foreign
keys. Each joins what it needs server-side, so there is never a per-table round trip.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# The user's own objects: not the system catalogs, not TOAST, not other sessions' temp schemas.
_USER_RELATION = """
    c.relkind IN ('r', 'v', 'm', 'p', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%'
    AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""
# Objects an extension owns (pg_stat_statements' views...) are not the user's schema. Only the
# relations statement checks; the others drop rows whose relation it did not return.
_NOT_EXTENSION_OWNED = """
    AND NOT EXISTS (
        SELECT 1 FROM pg_depend e
        WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
    )
"""

RELATIONS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
       c.reltuples::float8,
       -- Main forks only (table, TOAST; indexes are added from INDEXES_SQL): no per-fork file stats.
       CASE WHEN c.relkind IN ('r', 'm', 'p')
            THEN pg_relation_size(c.oid) + coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0) END,
       greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid)),
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       pn.nspname, pc.relname,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       d.description
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE {_USER_RELATION} {_NOT_EXTENSION_OWNED}
ORDER BY n.nspname, c.relname
"""

COLUMNS_SQL = f"""
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnum, NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND {_USER_RELATION}
ORDER BY a.attrelid, a.attnum
"""

INDEXES_SQL = f"""
SELECT x.indexrelid, x.indrelid, ic.relname, am.amname, x.indisunique, x.indisprimary,
       x.indisvalid AND x.indisready, pg_get_indexdef(x.indexrelid),
       pg_get_expr(x.indpred, x.indrelid), pg_get_expr(x.indexprs, x.indrelid), x.indnkeyatts,
       x.indkey::int2[],
       -- Column texts only where some key is an expression; plain columns are named from COLUMNS_SQL.
       CASE WHEN x.indexprs IS NOT NULL THEN ARRAY(
           SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnatts) AS k ORDER BY k
       ) END,
       pg_relation_size(x.indexrelid)
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_USER_RELATION}
ORDER BY x.indrelid, ic.relname
"""

FOREIGN_KEYS_SQL = f"""
SELECT con.conname, con.conrelid, con.confrelid,
       ARRAY(
           SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord
       ),
       ARRAY(
           SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord
       ),
       rn.nspname, rc.relname, con.confdeltype, con.confupdtype
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class rc ON rc.oid = con.confrelid
JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype = 'f' AND {_USER_RELATION}
ORDER BY con.conrelid, con.conname
"""

CATALOG_STATEMENTS = (RELATIONS_SQL, COLUMNS_SQL, INDEXES_SQL, FOREIGN_KEYS_SQL)

_KINDS = {"r": "table", "v": "view", "m": "materialized_view", "p": "partitioned", "f": "foreign"}
_FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


@dataclass
class Catalog:
    tables: list[dict] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)
    indexes: list[dict] = field(default_factory=list)
    foreign_keys: list[dict] = field(default_factory=list)
    statements: int = 0


def _relations(rows) -> tuple[list[dict], dict[int, dict]]:
    tables, by_oid = [], {}
    for (oid, schema, name, relkind, is_partition, reltuples, size, analyzed, part_key, p_schema, p_table,
         bound, comment) in rows:  # fmt: skip
        kind = "partition" if is_partition else _KINDS.get(relkind, "table")
        table = {
            "schema_name": schema,
            "name": name,
            "kind": kind,
            # reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+).
            "row_estimate": int(reltuples) if reltuples is not None and relkind != "v" else None,
            "size_bytes": size,
            "last_analyze": analyzed,
            "partition_key": part_key or "",
            "parent_schema": p_schema or "",
            "parent_table": p_table or "",
            "partition_bound": bound or "",
            "comment": comment or "",
        }
        tables.append(table)
        by_oid[oid] = table
    return tables, by_oid


def _column_default(default, identity, generated) -> str | None:
    if identity == "a":
        return "GENERATED ALWAYS AS IDENTITY"
    if identity == "d":
        return "GENERATED BY DEFAULT AS IDENTITY"
    if generated == "s" and default is not None:
        return f"GENERATED ALWAYS AS ({default}) STORED"
    if generated == "v" and default is not None:
        return f"GENERATED ALWAYS AS ({default}) VIRTUAL"
    return default


def in_background(work):
    """Start `work()` in a thread; the returned callable waits for its result (or raises its error)."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed over to the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait():
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    return wait


def read_catalog(conn, index_rows=None) -> Catalog:
    """The schema of the database `conn` is connected to: four statements in all.

    `index_rows`, when given, is a callable that returns INDEXES_SQL's rows, read by another
    session sharing `conn`'s snapshot while this one reads the rest (see services).
    """
    catalog = Catalog()

    def run(sql):
        catalog.statements += 1
        return conn.execute(sql).fetchall()

    def indexes():
        if index_rows is None:
            return run(INDEXES_SQL)
        catalog.statements += 1
        return index_rows()

    catalog.tables, by_oid = _relations(run(RELATIONS_SQL))
    columns_by_oid: dict[int, dict[str, dict]] = {}
    names_by_attnum: dict[int, dict[int, str]] = {}
    for relid, name, type_name, position, nullable, default, identity, generated in run(COLUMNS_SQL):
        table = by_oid.get(relid)
        if table is None:
            continue
        column = {
            "schema_name": table["schema_name"],
            "table_name": table["name"],
            "column_name": name,
            "column_type": type_name,
            "ordinal_position": position,
            "is_nullable": nullable,
            "column_default": _column_default(default, identity, generated),
            "is_indexed": False,
            "is_foreign_key": False,
            "referred_table": None,
            "referred_column": None,
        }
        catalog.columns.append(column)
        columns_by_oid.setdefault(relid, {})[name] = column
        names_by_attnum.setdefault(relid, {})[position] = name

    leading_columns: dict[int, list[list[str]]] = {}
    for (_oid, relid, name, method, unique, primary, valid, definition, predicate, expressions, n_key,
         attnums, texts, size) in indexes():  # fmt: skip
        table = by_oid.get(relid)
        if table is None:
            continue
        names = names_by_attnum.get(relid, {})
        columns = [
            names.get(attnum, f"#{attnum}") if attnum else (texts[i] if texts else "?")
            for i, attnum in enumerate(attnums or [])
        ]
        if size is not None and table["size_bytes"] is not None:
            table["size_bytes"] += size
        key_columns, include_columns = columns[:n_key], columns[n_key:]
        catalog.indexes.append(
            {
                "schema_name": table["schema_name"],
                "table_name": table["name"],
                "name": name,
                "definition": definition,
                "method": method,
                "is_unique": unique,
                "is_primary": primary,
                "is_valid": valid,
                "predicate": predicate or "",
                "expressions": expressions or "",
                "columns": key_columns,
                "include_columns": include_columns,
                "size_bytes": size,
            }
        )
        if valid and not predicate:
            leading_columns.setdefault(relid, []).append(key_columns)
            # A column is "indexed" when an index can look it up: it leads a key.
            first = columns_by_oid.get(relid, {}).get(key_columns[0]) if key_columns else None
            if first is not None:
                first["is_indexed"] = True

    for (name, relid, _ref_relid, columns, ref_columns, ref_schema, ref_table, on_delete,
         on_update) in run(FOREIGN_KEYS_SQL):  # fmt: skip
        table = by_oid.get(relid)
        if table is None:
            continue
        columns, ref_columns = list(columns or []), list(ref_columns or [])
        has_index = any(sorted(cols[: len(columns)]) == sorted(columns) for cols in leading_columns.get(relid, []))
        catalog.foreign_keys.append(
            {
                "schema_name": table["schema_name"],
                "table_name": table["name"],
                "name": name,
                "columns": columns,
                "referred_schema": ref_schema,
                "referred_table": ref_table,
                "referred_columns": ref_columns,
                "on_delete": _FK_ACTIONS.get(on_delete, ""),
                "on_update": _FK_ACTIONS.get(on_update, ""),
                "has_index": has_index,
            }
        )
        referred = ref_table if ref_schema == table["schema_name"] else f"{ref_schema}.{ref_table}"
        for column_name, ref_column in zip(columns, ref_columns, strict=False):
            column = columns_by_oid.get(relid, {}).get(column_name)
            if column is not None and not column["is_foreign_key"]:
                column["is_foreign_key"] = True
                column["referred_table"] = referred
                column["referred_column"] = ref_column
    return catalog
