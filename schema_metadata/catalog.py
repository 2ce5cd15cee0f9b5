"""Reading a PostgreSQL catalog in a constant number of queries. Plain module: connection in, rows out.

Four statements, whatever the number of tables: relations, columns, indexes, foreign
keys. Each joins what it needs server-side, so there is never a per-table round trip.

Cost model (why the statements look the way they do): a catalog function that opens a
relation (pg_relation_size, pg_get_indexdef, pg_get_expr with a relation) builds that
relation's cache entry in a fresh backend and takes a lock on it, tens of microseconds each;
plain catalog columns and set-wise joins cost next to nothing. So sizes come from pg_class
(see _size), index definitions are assembled from catalog columns where that is exact (see
INDEXES_SQL), defaults are deparsed without their relation where it plays no part, and the
columns come out in the snapshot's shape: Python does no work per column.
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


def _size(rel: str, never_counted: str | None = None) -> str:
    """Bytes on disk of relation `rel` (a pg_class alias), as last counted by VACUUM / ANALYZE.

    relpages is what VACUUM and ANALYZE (autovacuum's too) last counted: the same moment as
    reltuples, our row estimate. A relation never counted (reltuples < 0, or the condition
    `never_counted`) is measured from its files instead, with pg_relation_size, which opens
    and locks it: tens of microseconds each in a fresh session, against nothing for relpages.
    """
    condition = f"{rel}.reltuples < 0" + (f" OR {never_counted}" if never_counted else "")
    return (
        f"CASE WHEN {condition} THEN pg_relation_size({rel}.oid) "
        f"ELSE {rel}.relpages::int8 * current_setting('block_size')::int8 END"
    )


# An index's relpages is current after its table's ANALYZE only: a VACUUM that finds nothing to
# delete skips the index (and its count), and an index made on an empty table claims one page.
_INDEX_NEVER_COUNTED = "c.reltuples < 0 OR greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid)) IS NULL"


RELATIONS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
       c.reltuples::float8,
       -- Table and TOAST (indexes are added from INDEXES_SQL). A TOAST table is never analyzed:
       -- when its table has stats and no pages, it is empty without asking the files.
       CASE WHEN c.relkind IN ('r', 'm') THEN {_size("c")} + coalesce(CASE
                WHEN t.reltuples < 0 AND c.reltuples >= 0 AND c.relpages = 0 THEN 0
                ELSE {_size("t")} END, 0)
            WHEN c.relkind = 'p' THEN 0 END,  -- a partitioned table has no storage of its own
       greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid)),
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       pn.nspname, pc.relname,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       d.description,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = nullif(c.reltoastrelid, 0)
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE {_USER_RELATION} {_NOT_EXTENSION_OWNED}
ORDER BY n.nspname, c.relname
"""

# One row per column, already in the snapshot's shape (COLUMN_FIELDS): Python only passes it on.
# is_indexed: the column leads a valid, non-partial index (an index can look it up).
# is_foreign_key / referred_*: its first foreign key by constraint name, and the column it names.
COLUMNS_SQL = f"""
WITH indexed AS (
    SELECT DISTINCT x.indrelid, x.indkey[0] AS attnum FROM pg_index x
    WHERE x.indisvalid AND x.indisready AND x.indpred IS NULL AND x.indkey[0] <> 0
),
referring AS (
    SELECT DISTINCT ON (con.conrelid, k.attnum) con.conrelid, k.attnum, rn.nspname, rc.relname, ra.attname
    FROM pg_constraint con
    CROSS JOIN unnest(con.conkey, con.confkey) AS k(attnum, ref_attnum)
    JOIN pg_class rc ON rc.oid = con.confrelid
    JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.ref_attnum
    WHERE con.contype = 'f' AND NOT EXISTS (  -- PostgreSQL's internal clones of a foreign key to a partitioned table
        SELECT 1 FROM pg_constraint parent WHERE parent.oid = con.conparentid AND parent.conrelid = con.conrelid
    )
    ORDER BY con.conrelid, k.attnum, con.conname
),
columns AS (
    SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attrelid, a.attnum,
           NOT a.attnotnull AS nullable, a.attidentity, a.attgenerated,
           -- pg_get_expr with a relation opens it (tens of microseconds each); the relation only names
           -- the columns a default refers to (Var nodes: generated columns), so the rest go without.
           CASE WHEN d.adbin::text LIKE '%{{VAR %' THEN pg_get_expr(d.adbin, d.adrelid)
                ELSE pg_get_expr(d.adbin, 0) END AS expr
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND {_USER_RELATION} {_NOT_EXTENSION_OWNED}
)
SELECT col.nspname, col.relname, col.attname, col.type, ix.attnum IS NOT NULL, r.attnum IS NOT NULL,
       CASE WHEN r.nspname = col.nspname THEN r.relname ELSE r.nspname || '.' || r.relname END, r.attname,
       col.attnum, col.nullable,
       CASE WHEN col.attidentity = 'a' THEN 'GENERATED ALWAYS AS IDENTITY'
            WHEN col.attidentity = 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY'
            WHEN col.attgenerated = 's' THEN 'GENERATED ALWAYS AS (' || col.expr || ') STORED'
            WHEN col.attgenerated = 'v' THEN 'GENERATED ALWAYS AS (' || col.expr || ') VIRTUAL'
            ELSE col.expr END
FROM columns col
LEFT JOIN indexed ix ON ix.indrelid = col.attrelid AND ix.attnum = col.attnum
LEFT JOIN referring r ON r.conrelid = col.attrelid AND r.attnum = col.attnum
ORDER BY col.attrelid, col.attnum
"""
COLUMN_FIELDS = ("schema_name", "table_name", "column_name", "column_type", "is_indexed", "is_foreign_key",
                 "referred_table", "referred_column", "ordinal_position", "is_nullable", "column_default")  # fmt: skip

# pg_get_indexdef costs a relation open per index. Most indexes are plain: key columns by name,
# each with its type's default operator class and its own collation, in default order, no
# options, no expression. For those, "CREATE [UNIQUE] INDEX name ON schema.table USING am
# (cols) [INCLUDE (cols)] [WHERE predicate]" is exactly what pg_get_indexdef prints, and Python
# assembles it from the quoted names below (tests compare both on many index shapes). Every
# other index (column `definition` not NULL) gets pg_get_indexdef itself.
INDEXES_SQL = f"""
WITH idx AS (
    SELECT x.*, ic.relname AS index_name, ic.relkind AS index_kind, ic.relam, ic.reloptions, am.amname,
           CASE WHEN ic.relkind = 'I' THEN 0 ELSE {_size("ic", _INDEX_NEVER_COUNTED)} END AS size_bytes
    FROM pg_index x
    JOIN pg_class ic ON ic.oid = x.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_class c ON c.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {_USER_RELATION}
),
index_column AS (
    SELECT i.indexrelid, i.relam, k.ord, k.ord <= i.indnkeyatts AS is_key, k.opclass, k.coll, k.option,
           a.atttypid, a.attcollation, a.attname
    FROM idx i
    CROSS JOIN unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[], i.indoption::int2[])
        WITH ORDINALITY AS k(attnum, opclass, coll, option, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0
),
-- Column names in order (NULL for an expression), as they are and quoted.
index_names AS (
    SELECT indexrelid, array_agg(attname ORDER BY ord) AS names, array_agg(quote_ident(attname) ORDER BY ord) AS quoted
    FROM index_column GROUP BY indexrelid
),
key_column AS (SELECT * FROM index_column WHERE is_key),
-- The default operator classes each key column's type could take (GetDefaultOpClass's candidates):
-- one for exactly that type, or, for a plain base type, those it is implicitly binary-coercible to.
candidate AS (
    SELECT p.relam, p.atttypid, o.oid AS opclass, o.opcintype = p.atttypid AS exact,
           ot.typispreferred AND ot.typcategory = t.typcategory AS preferred
    FROM (SELECT DISTINCT relam, atttypid FROM key_column WHERE atttypid IS NOT NULL) p
    JOIN pg_type t ON t.oid = p.atttypid
    JOIN pg_opclass o ON o.opcmethod = p.relam AND o.opcdefault
    JOIN pg_type ot ON ot.oid = o.opcintype
    WHERE o.opcintype = p.atttypid
       OR (t.typtype = 'b' AND t.typcategory <> 'A' AND (
           o.opcintype IN ('"any"'::regtype, 'anyelement'::regtype, 'anynonarray'::regtype,
                           'anycompatible'::regtype, 'anycompatiblenonarray'::regtype)
           OR EXISTS (SELECT 1 FROM pg_cast ca WHERE ca.castsource = p.atttypid AND ca.casttarget = o.opcintype
                      AND ca.castmethod = 'b' AND ca.castcontext = 'i')))
),
-- GetDefaultOpClass's choice: the exact one, else the only preferred one, else the only one;
-- NULL when it would find none (pg_get_indexdef then prints the class, so we ask it).
default_opclass AS (
    SELECT relam, atttypid, CASE
        WHEN bool_or(exact) THEN min(opclass) FILTER (WHERE exact)
        WHEN count(*) FILTER (WHERE preferred) = 1 THEN min(opclass) FILTER (WHERE preferred)
        WHEN count(*) FILTER (WHERE preferred) = 0 AND count(*) = 1 THEN min(opclass)
    END AS opclass
    FROM candidate
    GROUP BY relam, atttypid
),
-- Indexes with a key column pg_get_indexdef prints with more than its name.
decorated AS (
    SELECT DISTINCT k.indexrelid
    FROM key_column k
    LEFT JOIN default_opclass d ON d.relam = k.relam AND d.atttypid = k.atttypid
    LEFT JOIN pg_attribute ia ON ia.attrelid = k.indexrelid AND ia.attnum = k.ord
    WHERE k.atttypid IS NULL OR k.option <> 0 OR ia.attoptions IS NOT NULL
       OR k.coll NOT IN (0, k.attcollation) OR d.opclass IS DISTINCT FROM k.opclass
)
SELECT i.indexrelid, i.indrelid, i.index_name, i.amname, i.indisunique, i.indisprimary,
       i.indisvalid AND i.indisready,
       CASE WHEN i.indexprs IS NOT NULL OR i.index_kind <> 'i' OR i.reloptions IS NOT NULL OR i.indnullsnotdistinct
                 OR EXISTS (SELECT 1 FROM decorated dc WHERE dc.indexrelid = i.indexrelid)
            THEN pg_get_indexdef(i.indexrelid) END,
       pg_get_expr(i.indpred, i.indrelid), pg_get_expr(i.indexprs, i.indrelid), i.indnkeyatts,
       nm.names, nm.quoted,
       -- Column texts only where some key is an expression.
       CASE WHEN i.indexprs IS NOT NULL THEN ARRAY(
           SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnatts) AS k ORDER BY k
       ) END,
       i.size_bytes, quote_ident(i.index_name), quote_ident(i.amname)
FROM idx i
JOIN index_names nm ON nm.indexrelid = i.indexrelid
ORDER BY i.indrelid, i.index_name
"""

FOREIGN_KEYS_SQL = f"""
SELECT con.conname, con.conrelid, array_agg(a.attname ORDER BY k.ord), array_agg(ra.attname ORDER BY k.ord),
       rn.nspname, rc.relname, con.confdeltype, con.confupdtype
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class rc ON rc.oid = con.confrelid
JOIN pg_namespace rn ON rn.oid = rc.relnamespace
CROSS JOIN unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, ref_attnum, ord)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.ref_attnum
WHERE con.contype = 'f' AND {_USER_RELATION} AND NOT EXISTS (  -- PostgreSQL's internal clones of a foreign key to a partitioned table
    SELECT 1 FROM pg_constraint parent WHERE parent.oid = con.conparentid AND parent.conrelid = con.conrelid
)
GROUP BY con.oid, con.conname, con.conrelid, rn.nspname, rc.relname, con.confdeltype, con.confupdtype
ORDER BY con.conrelid, con.conname
"""

CATALOG_STATEMENTS = (RELATIONS_SQL, COLUMNS_SQL, INDEXES_SQL, FOREIGN_KEYS_SQL)

_KINDS = {"r": "table", "v": "view", "m": "materialized_view", "p": "partitioned", "f": "foreign"}
_FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


@dataclass
class Catalog:
    tables: list[dict] = field(default_factory=list)
    # Columns as COLUMNS_SQL returns them: tuples in COLUMN_FIELDS order (24,000 of them for a
    # 2,000-table schema: no per-row Python work). `columns` gives them as dicts.
    column_rows: list[tuple] = field(default_factory=list)
    indexes: list[dict] = field(default_factory=list)
    foreign_keys: list[dict] = field(default_factory=list)
    statements: int = 0

    @property
    def columns(self) -> list[dict]:
        return [dict(zip(COLUMN_FIELDS, row, strict=True)) for row in self.column_rows]


def _relations(rows) -> tuple[list[dict], dict[int, dict], dict[int, str]]:
    tables, by_oid, qualified = [], {}, {}
    for (oid, schema, name, relkind, is_partition, reltuples, size, analyzed, part_key, p_schema, p_table,
         bound, comment, quoted) in rows:  # fmt: skip
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
        qualified[oid] = quoted
    return tables, by_oid, qualified


def plain_index_definition(*, unique, name, table, method, keys, include, predicate) -> str:
    """pg_get_indexdef's text for a plain index (see INDEXES_SQL), from already quoted names."""
    text = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} USING {method} ({', '.join(keys)})"
    if include:
        text += f" INCLUDE ({', '.join(include)})"
    if predicate:
        text += f" WHERE {predicate}"
    return text


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


# Read by a second session sharing the first one's snapshot while the first reads the columns
# (see services): the columns are the largest part and complete on their own, so the caller can
# store them while the rest is still being read.
SECOND_SESSION_STATEMENTS = (RELATIONS_SQL, INDEXES_SQL, FOREIGN_KEYS_SQL)


class CatalogReader:
    """Reads a catalog in two steps, so a caller can store the columns (complete once read:
    their index and foreign-key flags come from SQL) while the rest is still being read.

    read_columns() reads the columns on `conn`; finish() adds relations, indexes and foreign keys,
    from `second_session` when given (a callable returning the rows of SECOND_SESSION_STATEMENTS,
    a list per statement, read by another session sharing `conn`'s snapshot), else from `conn`.
    """

    def __init__(self, conn, second_session=None):
        self.conn, self.second_session = conn, second_session
        self.catalog = Catalog()
        self.columns_read = False

    def read_columns(self) -> list[tuple]:
        if not self.columns_read:
            self.catalog.column_rows, self.columns_read = self._run(COLUMNS_SQL), True
        return self.catalog.column_rows

    def _run(self, sql):
        self.catalog.statements += 1
        return self.conn.execute(sql).fetchall()

    def finish(self) -> Catalog:
        self.read_columns()
        if self.second_session is None:
            relation_rows, index_rows, foreign_key_rows = (self._run(sql) for sql in SECOND_SESSION_STATEMENTS)
        else:
            self.catalog.statements += len(SECOND_SESSION_STATEMENTS)
            relation_rows, index_rows, foreign_key_rows = self.second_session()
        self.catalog.tables, by_oid, qualified = _relations(relation_rows)
        self.catalog.indexes, leading = _indexes(index_rows, by_oid, qualified)
        self.catalog.foreign_keys = _foreign_keys(foreign_key_rows, by_oid, leading)
        return self.catalog


def read_catalog(conn, second_session=None) -> Catalog:
    """The schema of the database `conn` is connected to: four statements in all."""
    return CatalogReader(conn, second_session).finish()


def _indexes(rows, by_oid, qualified) -> tuple[list[dict], dict[int, list[list[str]]]]:
    """Index records, and per relation the key columns of its valid non-partial indexes."""
    indexes, leading = [], {}
    for (_oid, relid, name, method, unique, primary, valid, definition, predicate, expressions, n_key,
         names, quoted, texts, size, quoted_name, quoted_method) in rows:  # fmt: skip
        table = by_oid.get(relid)
        if table is None:
            continue
        if definition is None:  # a plain index: every column is a named one
            definition = plain_index_definition(
                unique=unique, name=quoted_name, table=qualified[relid], method=quoted_method,
                keys=quoted[:n_key], include=quoted[n_key:], predicate=predicate,
            )  # fmt: skip
        if texts:  # an expression stands where a column name would
            names = [column if column is not None else text for column, text in zip(names, texts, strict=True)]
        if size is not None and table["size_bytes"] is not None:
            table["size_bytes"] += size
        key_columns, include_columns = names[:n_key], names[n_key:]
        indexes.append(
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
            leading.setdefault(relid, []).append(key_columns)
    return indexes, leading


def _foreign_keys(rows, by_oid, leading) -> list[dict]:
    """Foreign-key records; has_index: some index of the table starts with exactly its columns."""
    foreign_keys = []
    for name, relid, columns, ref_columns, ref_schema, ref_table, on_delete, on_update in rows:
        table = by_oid.get(relid)
        if table is None:
            continue
        has_index = any(sorted(cols[: len(columns)]) == sorted(columns) for cols in leading.get(relid, []))
        foreign_keys.append(
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
    return foreign_keys
