"""Index advisor: candidates from a query's shape, each measured by the planner.

Plain Python over a psycopg connection. Measurement, best first:
- `hypopg`: hypothetical indexes (hypopg_create_index, EXPLAIN without ANALYZE, hypopg_reset);
- `sandbox`: CREATE INDEX inside the caller's transaction, EXPLAIN, ROLLBACK TO SAVEPOINT
  (only where the caller allows it: never on production);
- `estimate-only`: nothing could be measured; the candidate is reported, unverified.
A measured candidate is kept only when the planner uses it and the query's cost drops by
at least `min_gain` (a fraction). The caller owns the connection and rolls it back.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import uuid
from dataclasses import dataclass, field, replace

import psycopg
from pglast import ast, parse_sql
from pglast.stream import RawStream
from psycopg import sql as pgsql

from optimizer.query_shape import (
    SelectShape,
    equality_parameters,
    param_count,
    parameterize,
    plan_relations,
    plan_shape,
    select_shapes,
    tables_of,
)

HYPOPG = "hypopg"
SANDBOX = "sandbox"
ESTIMATE_ONLY = "estimate-only"
# Methods HypoPG can simulate; anything else needs the sandbox.
HYPOPG_METHODS = {"btree", "brin", "hash"}
MAX_INCLUDE = 4
# Key width caps: at most this many key columns and this many bytes of average key width (pg_stats).
MAX_KEY_COLUMNS = 4
MAX_KEY_BYTES = 1000
# An index on equality columns that keep this fraction of the rows or more does not beat the scan.
LOW_SELECTIVITY = 0.25
# A statement the planner already costs under this is not worth an index (well under a millisecond), unless it
# reads a table of `min_rows` or more whole at a cost of MIN_WHOLE_SCAN_COST or more (some 40 pages): that scan grows
# with the table, a lookup does not.
MIN_BASE_COST = 100.0
MIN_WHOLE_SCAN_COST = MIN_BASE_COST / 2
# An unmeasurable (estimate-only) index is proposed only where the planner expects its filter to keep less.
ESTIMATE_ONLY_MAX_FRACTION = 0.1
# An index that extends (and so replaces) an existing one needs only this share of the usual cost gain.
EXTENSION_GAIN_FACTOR = 0.25
MAX_INDEXES_PER_QUERY = 3
# Building real indexes is slow on big tables: the sandbox measures at most this many per query.
MAX_SANDBOX_CANDIDATES = 12
# Timing a query: runs after one warm-up run, with and without the index, compared by their medians.
TIMED_RUNS = 5
# A sandboxed index must make the query at least this much faster in time (median over median) to be kept.
MIN_TIME_SPEEDUP = 1.05
# A parameter's column is skewed when its most common value is this many times as frequent as the average value
# (and holds at least SKEW_MIN_SHARE of the rows): the generic plan, costed for the average, hides the heavy calls.
SKEW_FACTOR = 3.0
SKEW_MIN_SHARE = 0.01


# --- catalog --------------------------------------------------------------


@dataclass
class ColumnStats:
    name: str
    type: str
    n_distinct: float | None = None  # as pg_stats: negative is a fraction of the rows
    width: int = 8
    nullable: bool | None = None
    null_frac: float | None = None


@dataclass
class ExistingIndex:
    name: str
    method: str
    keys: list[str]
    include: list[str]
    predicate: str | None
    unique: bool = False


@dataclass
class TableInfo:
    schema: str
    name: str
    rows: float
    bytes: int
    columns: dict[str, ColumnStats]
    indexes: list[ExistingIndex]
    writes: int = 0  # inserts + updates + deletes since the statistics were reset
    kind: str = "r"  # pg_class.relkind: r table, p partitioned table, m materialized view
    partitions: list[tuple[str, str]] = field(default_factory=list)  # leaf partitions of a partitioned table
    # Each leaf partition's indexes: a partitioned table indexed partition by partition, as dumps often are, has
    # no index on the parent and is served all the same.
    partition_indexes: dict[tuple[str, str], list[ExistingIndex]] = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{_ident(self.schema)}.{_ident(self.name)}"

    def eq_selectivity(self, column: str) -> float:
        """The fraction of rows one `column = value` returns: (1 - null_frac) / n_distinct."""
        stats = self.columns.get(column)
        null_frac = (stats.null_frac or 0.0) if stats else 0.0
        return (1.0 - null_frac) / max(self.distinct(column), 1.0)

    def distinct(self, column: str) -> float:
        stats = self.columns.get(column)
        if stats is None or stats.n_distinct is None:
            return max(self.rows, 1.0) / 10  # unknown: assume moderately selective
        if stats.n_distinct < 0:
            return -stats.n_distinct * max(self.rows, 1.0)
        return stats.n_distinct


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


_CATALOG_SQL = """
SELECT c.oid, n.nspname, c.relname, c.reltuples::float8,
       CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(pc.reltuples, 0)), 0)
                                         FROM pg_partition_tree(c.oid) pt JOIN pg_class pc ON pc.oid = pt.relid
                                        WHERE pt.isleaf)
            WHEN c.reltuples < 0 THEN pg_relation_size(c.oid) / 8192 * 50 ELSE c.reltuples END::float8,
       CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_relation_size(pt.relid)), 0)::bigint
                                         FROM pg_partition_tree(c.oid) pt WHERE pt.isleaf)
            ELSE pg_relation_size(c.oid) END,
       (SELECT coalesce(json_agg(json_build_object(
                 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                 'n_distinct', s.n_distinct, 'width', s.avg_width, 'null_frac', s.null_frac) ORDER BY a.attnum), '[]')
          FROM pg_attribute a
          LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
                              AND s.inherited = (c.relkind = 'p')
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       __INDEXES_OF_c.oid__,
       coalesce((SELECT st.n_tup_ins + st.n_tup_upd + st.n_tup_del FROM pg_stat_user_tables st
                  WHERE st.relid = c.oid), 0),
       c.relkind,
       CASE WHEN c.relkind = 'p' THEN (SELECT json_agg(json_build_array(pn.nspname, pc.relname, pt.level,
                                                                         __INDEXES_OF_pc.oid__) ORDER BY pc.relname)
                                         FROM pg_partition_tree(c.oid) pt JOIN pg_class pc ON pc.oid = pt.relid
                                         JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                                        WHERE pt.isleaf) END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY(%s::oid[]) AND c.relkind IN ('r', 'p', 'm')
"""

# A relation's valid indexes as JSON (a table's own, or each leaf partition's own).
_INDEXES_JSON = """(SELECT coalesce(json_agg(json_build_object(
                 'name', i.relname, 'method', am.amname, 'unique', x.indisunique,
                 'predicate', pg_get_expr(x.indpred, x.indrelid),
                 'keys', (SELECT array_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k)
                            FROM generate_series(1, x.indnkeyatts) k),
                 'include', (SELECT coalesce(array_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k), '{}')
                               FROM generate_series(x.indnkeyatts + 1, x.indnatts) k))), '[]')
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
         WHERE x.indrelid = __REL__ AND x.indisvalid)"""
for _rel in ("c.oid", "pc.oid"):
    _CATALOG_SQL = _CATALOG_SQL.replace(f"__INDEXES_OF_{_rel}__", _INDEXES_JSON.replace("__REL__", _rel))


# Relation kinds an index can be built on (tables, partitioned tables, materialized views).
INDEXABLE_KINDS = {"r", "p", "m"}
SYSTEM_SCHEMAS = {"pg_catalog", "information_schema", "pg_toast"}


@dataclass(frozen=True)
class Relation:
    """What a name the query reads turns out to be, and where advice on it goes."""

    schema: str
    name: str
    kind: str  # pg_class.relkind
    parent: tuple[str, str] | None = None  # a partition's partitioned root: advice goes there

    @property
    def system(self) -> bool:
        return self.schema in SYSTEM_SCHEMAS

    @property
    def skip_reason(self) -> str | None:
        if self.system:
            return f"{self.schema}.{self.name} is a system catalog: its indexes are PostgreSQL's own"
        if self.kind == "f":
            return f"{self.schema}.{self.name} is a foreign table: an index must be built on the remote server"
        if self.kind == "v":
            return None  # expanded to its base tables by the planner
        if self.kind not in INDEXABLE_KINDS:
            return f"{self.schema}.{self.name} cannot carry an index (relation kind {self.kind!r})"
        return None


_RELATIONS_SQL = """
SELECT t.name, n.nspname, c.relname, c.relkind,
       CASE WHEN c.relispartition THEN (SELECT rn.nspname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
                                        WHERE r.oid = pg_partition_root(c.oid)) END,
       CASE WHEN c.relispartition THEN (SELECT r.relname FROM pg_class r WHERE r.oid = pg_partition_root(c.oid)) END
  FROM unnest(%s::text[]) AS t(name)
  JOIN pg_class c ON c.oid = to_regclass(t.name)
  JOIN pg_namespace n ON n.oid = c.relnamespace
"""


def _name_text(schema: str | None, table: str) -> str:
    return f"{_ident(schema)}.{_ident(table)}" if schema else _ident(table)


def classify_relations(conn: psycopg.Connection, names: list[tuple[str | None, str]]) -> dict[tuple, Relation]:
    """What each (schema or None, name) is: table, view, partition (with its root), foreign table, catalog."""
    if not names:
        return {}
    texts = [_name_text(s, t) for s, t in names]
    rows = conn.execute(_RELATIONS_SQL, [texts]).fetchall()
    by_text = {}
    for text, schema, name, kind, root_schema, root_name in rows:
        parent = (root_schema, root_name) if root_name and (root_schema, root_name) != (schema, name) else None
        by_text[text] = Relation(schema, name, kind, parent)
    return {name: by_text[text] for name, text in zip(names, texts, strict=True) if text in by_text}


def load_tables(conn: psycopg.Connection, names: list[tuple[str | None, str]]) -> dict[tuple, TableInfo]:
    """Catalog facts for the tables named as (schema or None, table); two queries whatever the count.

    Keys are the names as given, so the caller can look up what the query wrote. Names that are not tables
    (views, foreign tables, functions) or are system catalogs are left out.
    """
    if not names:
        return {}
    texts = [_name_text(s, t) for s, t in names]
    rows = conn.execute(
        """SELECT name, c.oid FROM unnest(%s::text[]) AS name JOIN pg_class c ON c.oid = to_regclass(name)
            WHERE c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(%s))""",
        [texts, sorted(SYSTEM_SCHEMAS)],
    ).fetchall()
    oid_by_text = {text: oid for text, oid in rows if oid is not None}
    if not oid_by_text:
        return {}
    info_by_oid = {}
    for oid_text, schema, rel, _, rows_est, size, columns, indexes, writes, kind, partitions in conn.execute(
        _CATALOG_SQL, [list(oid_by_text.values())]
    ).fetchall():
        cols = {
            c["name"]: ColumnStats(
                c["name"], c["type"], c["n_distinct"], c["width"] or 8, c.get("nullable"), c.get("null_frac")
            )
            for c in _json(columns)
        }
        leaves = _direct_partitions(_json(partitions))
        info_by_oid[oid_text] = TableInfo(
            schema,
            rel,
            rows_est,
            size,
            cols,
            _existing_indexes(indexes),
            int(writes or 0),
            kind,
            [leaf for leaf, _ in leaves],
            {leaf: _existing_indexes(leaf_indexes) for leaf, leaf_indexes in leaves},
        )
    return {
        name: info_by_oid[oid_by_text[text]]
        for name, text in zip(names, texts, strict=True)
        if oid_by_text.get(text) in info_by_oid
    }


def _direct_partitions(leaves: list | None) -> list[tuple[tuple[str, str], list]]:
    """Leaf partitions, each with its own indexes (JSON), when they all hang directly off the parent; none for a
    sub-partitioned table (its per-partition build would need an ON ONLY index on every level)."""
    leaves = leaves or []
    if any(level != 1 for _, _, level, _ in leaves):
        return []
    return [((schema, name), indexes) for schema, name, _, indexes in leaves]


def _existing_indexes(rows) -> list[ExistingIndex]:
    return [
        ExistingIndex(i["name"], i["method"], i["keys"] or [], i["include"] or [], i["predicate"], i["unique"])
        for i in _json(rows) or []
    ]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


# --- candidates ------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    schema: str
    table: str
    keys: tuple[str, ...]  # SQL of each key: 'status', 'lower(email)', 'created_at DESC'
    include: tuple[str, ...] = ()
    where: str | None = None
    method: str = "btree"
    reason: str = ""
    # The keys end with the query's ORDER BY: robust when a skewed value has many rows to sort.
    provides_order: bool = field(default=False, compare=False)
    # An extension the target must install before this index can exist (pg_trgm for gin_trgm_ops).
    needs_extension: str | None = field(default=None, compare=False)
    # The existing index this one extends (its keys lead this one's): building this one lets that one go.
    extends: str | None = field(default=None, compare=False)
    # A partitioned table's leaf partitions: CONCURRENTLY is built per partition, then attached.
    partitions: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    partitioned: bool = field(default=False, compare=False)
    # Partitions that already hold an index equal to this one, as (schema, partition, index): attached, not rebuilt.
    attach: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    # Why the statement's generic form would not use it (equality on columns that keep a large share of the rows):
    # never measured, proposed only estimate-only where nothing can be measured, with this caveat.
    unselective: str | None = field(default=None, compare=False)

    @property
    def signature(self) -> tuple:
        return (self.schema, self.table, self.method, self.keys, self.include, self.where)

    @property
    def name(self) -> str:
        words = [re.sub(r"\W+", "_", k.lower()).strip("_") for k in self.keys]
        base = "_".join(["idx", self.table, *words])[:50]
        digest = hashlib.sha1(repr(self.signature).encode()).hexdigest()[:6]
        return f"{base}_{digest}"

    def ddl(self, *, concurrently: bool = True, name: str | None = None) -> str:
        if concurrently and self.partitioned:
            return ";\n".join(self.partitioned_ddl()) + ";"
        return self._create(name or self.name, f"{_ident(self.schema)}.{_ident(self.table)}", concurrently=concurrently)

    def _create(self, name: str, table: str, *, concurrently: bool = False, only: bool = False) -> str:
        keys = ", ".join(_format_key(k) for k in self.keys)
        text = "CREATE INDEX {}{} ON {}{}{} ({})".format(
            "CONCURRENTLY " if concurrently else "",
            _ident(name),
            "ONLY " if only else "",
            table,
            "" if self.method == "btree" else f" USING {self.method}",
            keys,
        )
        if self.include:
            text += " INCLUDE ({})".format(", ".join(self.include))
        if self.where:
            text += f" WHERE {self.where}"
        return text

    def partitioned_ddl(self) -> list[str]:
        """CONCURRENTLY is refused on a partitioned table: build each partition's index concurrently, create the
        parent's index ON ONLY the parent (invalid until every partition's index is attached), then attach them."""
        parent = f"{_ident(self.schema)}.{_ident(self.table)}"
        if not self.partitions:
            # Sub-partitioned (or no partitions yet): only the plain build, which locks writes, is possible.
            return [self._create(self.name, parent)]
        statements, attaches = [], []
        existing = {(schema, partition): name for schema, partition, name in self.attach}
        for schema, partition in self.partitions:
            part_name = existing.get((schema, partition))
            if part_name is None:
                digest = hashlib.sha1(f"{self.name}/{partition}".encode()).hexdigest()[:6]
                part_name = f"{self.name[:40]}_{partition[:14]}_{digest}"
                statements.append(self._create(part_name, f"{_ident(schema)}.{_ident(partition)}", concurrently=True))
            attaches.append(
                f"ALTER INDEX {_ident(self.schema)}.{_ident(self.name)} ATTACH PARTITION "
                f"{_ident(schema)}.{_ident(part_name)}"
            )
        return [*statements, self._create(self.name, parent, only=True), *attaches]


def _format_key(key: str) -> str:
    """A column (with direction or operator class) as is; an expression in the parentheses it needs."""
    if key.startswith("(") or re.fullmatch(r'("[^"]+"|\w+)(\s+[\w ]+)?', key):
        return key
    return f"({key})"


def _key(column: str, *, descending: bool = False, nulls: str | None = None) -> str:
    text = _ident(column)
    if descending:
        text += " DESC"
    if nulls:
        text += f" NULLS {nulls}"
    return text


class _TableAsk:
    """What one SELECT block asks of one table, with columns resolved."""

    def __init__(self):
        self.eq: list[str] = []
        self.eq_constants: dict[str, str] = {}  # column -> "= 'pending'" / "IS NULL"
        self.ranges: list[str] = []
        self.expressions: list[str] = []
        self.joins: list[str] = []
        self.sort: list[tuple[str, bool, str | None]] = []
        self.group: list[str] = []
        self.trgm: list[str] = []
        self.jsonb: list[str] = []
        self.jsonb_key: list[str] = []
        self.prefix: list[str] = []
        self.partials: list[str] = []  # `NOT hidden`, `status <> 'removed'`: WHERE of a partial index only
        self.pinned: list[str] = []  # the columns those predicates pin: never keys of that partial index
        self.referenced: list[str] = []
        self.star = False


def _add(items: list, value) -> None:
    if value not in items:
        items.append(value)


def _resolve(shape: SelectShape, tables: dict[tuple, TableInfo]) -> dict[str, _TableAsk]:
    by_alias = {alias: tables.get(rel) for alias, rel in shape.relations.items()}
    by_alias = {a: t for a, t in by_alias.items() if t is not None}

    def owner(alias: str | None, column: str) -> str | None:
        if alias is not None:
            return alias if alias in by_alias and column in by_alias[alias].columns else None
        owners = [a for a, t in by_alias.items() if column in t.columns]
        return owners[0] if len(owners) == 1 else None

    asks = {alias: _TableAsk() for alias in by_alias}
    for p in shape.predicates:
        a = owner(p.alias, p.column)
        if a is None:
            continue
        ask = asks[a]
        if p.expression:
            if p.kind in ("eq", "range"):
                _add(ask.expressions, p.expression)
            continue
        if p.kind in ("eq", "isnull"):
            _add(ask.eq, p.column)
            if p.constant and p.column not in ask.eq_constants:
                ask.eq_constants[p.column] = "IS NULL" if p.kind == "isnull" else f"= {p.constant}"
        elif p.kind == "range":
            _add(ask.ranges, p.column)
        elif p.kind in ("bool", "ne"):
            if p.partial_sql:
                _add(ask.partials, p.partial_sql)
                _add(ask.pinned, p.column)
        else:
            _add(getattr(ask, p.kind), p.column)
    for j in shape.joins:
        if j.alias is None:  # USING (col): every table that has it
            for a, t in by_alias.items():
                if j.column in t.columns:
                    _add(asks[a].joins, j.column)
            continue
        a = owner(j.alias, j.column)
        if a is not None:
            _add(asks[a].joins, j.column)
    sort_owners = {owner(s.alias, s.column) for s in shape.order_by}
    if len(sort_owners) == 1 and None not in sort_owners:
        a = sort_owners.pop()
        asks[a].sort = [(s.column, s.descending, s.nulls) for s in shape.order_by]
    group_owners = {owner(g.alias, g.column) for g in shape.group_by}
    if len(group_owners) == 1 and None not in group_owners:
        a = group_owners.pop()
        asks[a].group = [g.column for g in shape.group_by]
    for r in shape.referenced:
        a = owner(r.alias, r.column)
        if a is not None:
            _add(asks[a].referenced, r.column)
    if shape.star:
        for ask in asks.values():
            ask.star = True
    return {a: ask for a, ask in asks.items()}, by_alias


def _low_cardinality(table: TableInfo, column: str) -> bool:
    return table.distinct(column) <= 50


def _fraction(table: TableInfo, columns, ask: _TableAsk) -> float:
    """The fraction of rows an equality (or IS NULL) on all `columns` keeps (independent, as the planner assumes)."""
    fraction = 1.0
    for c in columns:
        if ask.eq_constants.get(c) == "IS NULL":
            stats = table.columns.get(c)
            fraction *= (stats.null_frac or 0.0) if stats and stats.null_frac is not None else 0.01
        else:
            fraction *= table.eq_selectivity(c)
    return fraction


def _unselective_reason(table: TableInfo, columns: list[str], ask: _TableAsk) -> str:
    values = ", ".join(f"{c} has about {table.distinct(c):,.0f} distinct values" for c in columns)
    written = [f"{c} {ask.eq_constants[c]}" for c in columns if c in ask.eq_constants]
    rare = f"; only a rare value (as {', '.join(written)} may be) would use it" if written else ""
    return (
        f"{values}: the statement's generic form keeps about {_fraction(table, columns, ask):.0%} of the rows per "
        f"call, where a scan of {table.name} is as fast{rare}"
    )


def _key_column(key: str) -> str:
    return key.split(" ")[0].strip('"')


def _capped(table: TableInfo, keys: list[str]) -> list[str]:
    """The longest prefix of `keys` within MAX_KEY_COLUMNS and MAX_KEY_BYTES (pg_stats' average widths): a B-tree
    entry must fit a third of a page, and a wide key makes every lookup read more pages."""
    out, width = [], 0
    for key in keys[:MAX_KEY_COLUMNS]:
        stats = table.columns.get(_key_column(key))
        width += stats.width if stats else 8
        if out and width > MAX_KEY_BYTES:
            break
        out.append(key)
    return out


def _table_candidates(table: TableInfo, ask: _TableAsk, trgm_available: bool) -> list[Candidate]:
    s, t = table.schema, table.name
    out: list[Candidate] = []
    # Most selective equality columns first (fewest rows per value, NULLs counted out): the index then narrows
    # fastest and serves other queries on its leading column.
    eq = sorted(ask.eq, key=table.eq_selectivity)
    eq_keys = [_key(c) for c in eq]
    partitioned = table.kind == "p"

    def add(keys, reason, include=(), where=None, method="btree"):
        keys = tuple(_capped(table, list(dict.fromkeys(keys))))
        key_columns = {_key_column(k) for k in keys}
        unselective = None
        if where is None and keys and key_columns <= set(eq) and _fraction(table, key_columns, ask) > LOW_SELECTIVITY:
            # Equality on columns that keep a quarter of the rows or more: for the statement's generic form the
            # scan is as good. Kept aside with the reason: where nothing can be measured, it is still proposed.
            unselective = _unselective_reason(table, sorted(key_columns), ask)
        include = [i for i in include if i.strip('"') not in key_columns]
        if keys:
            ordered = bool(sort_keys) and keys[-len(sort_keys) :] == tuple(sort_keys)
            out.append(
                Candidate(
                    s,
                    t,
                    keys,
                    tuple(include),
                    where,
                    method,
                    reason,
                    provides_order=ordered,
                    partitions=tuple(table.partitions),
                    partitioned=partitioned,
                    unselective=unselective,
                )
            )

    ranges = ask.ranges + ask.prefix
    sort_keys = [_key(c, descending=d, nulls=n) for c, d, n in ask.sort]
    base_sets: list[tuple[list[str], str]] = []
    if eq or ranges:
        for r in ranges[:2] or [None]:
            keys = eq_keys + ([_key(r)] if r else [])
            base_sets.append((keys, "equality columns first, then the range" if r else "equality columns"))
    for p in ask.prefix:
        # LIKE 'abc%' uses a B-tree only under the C collation or with text_pattern_ops.
        base_sets.append((eq_keys + [f"{_ident(p)} text_pattern_ops"], f"LIKE 'prefix%' on {p}: text_pattern_ops"))
    if ask.sort:
        base_sets.append((eq_keys + sort_keys, "equality columns, then ORDER BY with its direction"))
        if ranges and not eq:
            base_sets.append((sort_keys, "ORDER BY with its direction, read in order under the LIMIT"))
    if ask.group:
        base_sets.append((eq_keys + [_key(g) for g in ask.group], "equality columns, then GROUP BY"))
    for j in ask.joins:
        base_sets.append(([_key(j)] + eq_keys, f"join column {j} for the inner side of a join"))
        if ranges:
            base_sets.append(([_key(j)] + eq_keys + [_key(ranges[0])], f"join column {j}, then filters"))
    for expr in ask.expressions:
        base_sets.append(([expr] + eq_keys, f"expression index on {expr}, as the query writes it"))
    if not base_sets and ask.partials:
        # Only exclusions and flags (`WHERE NOT hidden`): a partial index keyed on what the query reads.
        other = [c for c in ask.referenced if c not in ask.pinned][:1]
        if other:
            base_sets.append(([_key(other[0])], "a column the query reads, under the query's flags"))

    for keys, reason in base_sets:
        full = [k for k in keys if _key_column(k) not in ask.pinned]
        if full:
            add(full, reason)
        # Covering: the other columns the query reads, so the scan can be index-only.
        key_cols = {_key_column(k) for k in keys}
        extra = [c for c in ask.referenced if c not in key_cols and c not in ask.pinned]
        if not ask.star and extra and len(extra) <= MAX_INCLUDE and len(keys) + len(extra) <= 6:
            add(full, reason + ", INCLUDE for an index-only scan", include=[_ident(c) for c in extra])
        _add_partials(table, ask, keys, reason, extra, sort_keys, ranges, add)
    _add_gin_candidates(table, ask, trgm_available, out)
    # Unique, in first-seen order.
    unique = {}
    for cand in out:
        unique.setdefault(cand.signature, cand)
    return list(unique.values())


def _add_partials(table, ask, keys, reason, extra, sort_keys, ranges, add) -> None:
    """The query's constants as a partial index's WHERE: flags and exclusions written in the SQL, and the constant
    on the column with the fewest values (status-like). Only one such constant: moving every constant in fits this
    query's values and serves no other instance of it (`country = 'US'` today, 'DE' tomorrow). A parameter never
    becomes a predicate, and the index is never keyed on a column its predicate pins."""
    constants = [
        c for c in ask.eq if c in ask.eq_constants and (ask.eq_constants[c] == "IS NULL" or _low_cardinality(table, c))
    ]
    pinned_eq = [min(constants, key=table.distinct)] if constants else []
    predicates = [f"{_ident(c)} {ask.eq_constants[c]}" for c in pinned_eq] + ask.partials
    if not predicates:
        return
    pinned = set(pinned_eq) | set(ask.pinned)
    rest = [k for k in keys if _key_column(k) not in pinned]
    if not rest:
        rest = [k for k in sort_keys or [_key(c) for c in ranges[:1]] or [_key(c) for c in ask.joins[:1]]]
        rest = [k for k in rest if _key_column(k) not in pinned]
    if not rest:
        return
    where = " AND ".join(predicates)
    add(rest, reason + f", partial on {where}", where=where)
    extra = [c for c in extra if c not in pinned]
    if not ask.star and extra and len(extra) <= MAX_INCLUDE:
        add(
            rest,
            reason + f", partial on {where}, INCLUDE for an index-only scan",
            include=[_ident(c) for c in extra if _ident(c) not in rest],
            where=where,
        )


def _add_gin_candidates(table: TableInfo, ask: _TableAsk, trgm_available: bool, out: list) -> None:
    s, t = table.schema, table.name
    extra = {"partitions": tuple(table.partitions), "partitioned": table.kind == "p"}
    for c in ask.trgm:
        reason = f"trigram GIN for {c} LIKE/ILIKE '%...%'"
        if not trgm_available:
            reason += " (needs CREATE EXTENSION pg_trgm first)"
        needs = None if trgm_available else "pg_trgm"
        out.append(
            Candidate(s, t, (f"{_ident(c)} gin_trgm_ops",), (), None, "gin", reason, needs_extension=needs, **extra)
        )
    for c in ask.jsonb_key:
        out.append(
            Candidate(s, t, (_ident(c),), (), None, "gin", f"GIN (jsonb_ops) for the ? operators on {c}", **extra)
        )
    for c in ask.jsonb:
        column_type = table.columns[c].type if c in table.columns else ""
        if column_type == "jsonb" and c not in ask.jsonb_key:
            out.append(
                Candidate(s, t, (f"{_ident(c)} jsonb_path_ops",), (), None, "gin", f"GIN for jsonb @> on {c}", **extra)
            )
            out.append(Candidate(s, t, (_ident(c),), (), None, "gin", f"GIN for jsonb operators on {c}", **extra))
        elif column_type.endswith("[]"):
            out.append(Candidate(s, t, (_ident(c),), (), None, "gin", f"GIN for array @>/&& on {c}", **extra))


def _normalize_key(key: str) -> str:
    return re.sub(r"\s+", " ", key.replace('"', "").lower().replace(" asc", "")).strip()


def covered_by_existing(candidate: Candidate, table: TableInfo) -> ExistingIndex | None:
    """An existing index whose leading keys already are the candidate's keys: it serves the same lookups, and a
    variant that only adds INCLUDE columns or a partial predicate would mostly duplicate it."""
    return _leading_index(candidate, table.indexes)


def _leading_index(candidate: Candidate, indexes: list[ExistingIndex]) -> ExistingIndex | None:
    want = [_normalize_key(k) for k in candidate.keys]
    mixed = len({" desc" in k for k in want}) > 1
    if not mixed:
        want = [k.replace(" desc", "") for k in want]
    for index in indexes:
        if index.method != candidate.method:
            continue
        if index.predicate and _normalize_key(index.predicate) != _normalize_key(candidate.where or ""):
            continue
        have = [_normalize_key(k) for k in index.keys]
        if not mixed:
            have = [k.replace(" desc", "") for k in have]
        if have[: len(want)] == want:
            return index
    return None


def _equal_index(candidate: Candidate, index: ExistingIndex) -> bool:
    """`index` is the candidate itself (keys, INCLUDE, predicate, kind): a partition's copy ATTACH accepts."""
    return (
        not index.unique
        and index.method == candidate.method
        and [_normalize_key(k) for k in index.keys] == [_normalize_key(k) for k in candidate.keys]
        and [_normalize_key(k) for k in index.include] == [_normalize_key(k) for k in candidate.include]
        and _normalize_key(index.predicate or "") == _normalize_key(candidate.where or "")
    )


def partitions_serving(candidate: Candidate, table: TableInfo) -> tuple[Candidate | None, str]:
    """A partitioned table's candidate against the indexes its partitions already hold (pagila's payment carries
    one per partition and none on the parent).

    Served on every partition: nothing to build (None and why). Served on some: only the plain index on the parent
    is kept; it attaches the partitions' equal indexes and builds the missing ones (CREATE INDEX on a partitioned
    table attaches an equivalent existing index of a partition instead of building another, docs: CREATE INDEX),
    while an INCLUDE or partial variant would duplicate the keys those partitions already index."""
    served = {
        leaf: index
        for leaf in table.partitions
        if (index := _leading_index(candidate, table.partition_indexes.get(leaf, []))) is not None
    }
    if not served:
        return candidate, ""
    names = ", ".join(sorted(index.name for index in served.values())[:3])
    if len(served) == len(table.partitions):
        return None, f"already served on every partition by its own index ({names}, ...)"
    if candidate.include or candidate.where:
        return None, (
            f"{len(served)} of {len(table.partitions)} partitions already index these keys ({names}, ...): "
            "the plain index on the parent completes them"
        )
    attach = []
    for leaf in table.partitions:
        equal = next((i for i in table.partition_indexes.get(leaf, []) if _equal_index(candidate, i)), None)
        if equal is not None:
            attach.append((*leaf, equal.name))
    return replace(candidate, attach=tuple(attach)), ""


def generate_candidates(
    sql: str,
    tables: dict[tuple, TableInfo],
    *,
    min_rows: float = 1000,
    trgm_available: bool = False,
    shapes: list[SelectShape] | None = None,
    via_views: dict[tuple, str] | None = None,
    unselective: bool = False,
) -> tuple[list[Candidate], list[dict]]:
    """Candidates for `sql` (or for the given shapes), and the ones skipped with why (covered by an index, tiny,
    unselective for the generic form). With `unselective`, those last come back too, after all the others: where
    nothing can be measured they are proposed estimate-only with their caveat rather than dropped."""
    out: dict[tuple, Candidate] = {}
    aside: dict[tuple, Candidate] = {}
    skipped: list[dict] = []
    for shape in select_shapes(sql) if shapes is None else shapes:
        asks, by_alias = _resolve(shape, tables)
        for alias, ask in asks.items():
            table = by_alias[alias]
            view = (via_views or {}).get((table.schema, table.name))
            if table.rows < min_rows:
                tiny = {
                    "index": f"(any on {table.qualified})",
                    "reason": f"{table.name} is tiny ({int(table.rows)} rows)",
                }
                if tiny not in skipped:
                    skipped.append(tiny)
                continue
            for cand in _table_candidates(table, ask, trgm_available):
                if cand.signature in out:
                    continue
                existing = covered_by_existing(cand, table)
                if existing is not None:
                    skipped.append({"index": cand.ddl(), "reason": f"already served by index {existing.name}"})
                    continue
                kept, served = partitions_serving(cand, table)
                if kept is None:
                    aside_entry = {"index": cand.ddl(concurrently=False), "reason": served}
                    if aside_entry not in skipped:
                        skipped.append(aside_entry)
                    continue
                cand = _with_context(kept, table, view)
                if cand.unselective is None:
                    out[cand.signature] = cand
                elif unselective:
                    aside.setdefault(cand.signature, cand)
                elif not any(s["index"] == cand.ddl() for s in skipped):
                    skipped.append({"index": cand.ddl(), "reason": cand.unselective})
    return [*out.values(), *(c for sig, c in aside.items() if sig not in out)], skipped


def _with_context(cand: Candidate, table: TableInfo, view: str | None) -> Candidate:
    """The reason, told where the table was reached (a view) and which existing index the candidate extends."""
    reason = cand.reason
    if view:
        reason += f" (the query reads it through view {view})"
    extended = extended_existing(cand, table)
    if extended is not None:
        reason += (
            f"; extends existing index {extended.name} (its keys lead this one): once this one is built, "
            f"DROP INDEX CONCURRENTLY {_ident(table.schema)}.{_ident(extended.name)} serves nothing it does not"
        )
    return replace(cand, reason=reason, extends=extended.name if extended else None)


def extended_existing(candidate: Candidate, table: TableInfo) -> ExistingIndex | None:
    """A non-unique existing index of the same kind whose keys are a strict prefix of the candidate's."""
    want = [_normalize_key(k) for k in candidate.keys]
    for index in table.indexes:
        if index.unique or index.method != candidate.method or index.predicate != candidate.where:
            continue
        have = [_normalize_key(k) for k in index.keys]
        if len(have) < len(want) and want[: len(have)] == have:
            return index
    return None


@dataclass
class QueryContext:
    """A statement as the planner reads it: the tables it really reads, and what it asks of each."""

    plan: dict
    shapes: list[SelectShape]
    tables: dict[tuple, TableInfo]
    via_views: dict[tuple, str] = field(default_factory=dict)
    skipped_relations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reads_only_catalogs: bool = False


def analyse_query(conn: psycopg.Connection, query: str, *, tables: dict | None = None) -> QueryContext:
    """Plan `query` (VERBOSE: every column qualified) and read its shape from both its text and its plan.

    The plan sees through views, inlined CTEs, subqueries in FROM, ORDER BY 1 and aliases, and DML; the text
    keeps what a plan hides (an ORDER BY an existing index already satisfies). Catalogs and foreign tables are
    skipped with the reason; a partition's scan is advice for its partitioned table.
    """
    plan = explain_json(conn, query, verbose=True)
    try:
        parsed = tables_of(query)
        text_shapes = select_shapes(query)
    except Exception:  # noqa: BLE001 - pglast's errors: the plan alone still says what the query reads
        parsed, text_shapes = [], []
    scans = plan_relations(plan)
    kinds = classify_relations(conn, [*parsed, *((r.schema, r.name) for r in scans)])
    context = QueryContext(plan=plan, shapes=[], tables={})
    aliases: dict[str, tuple[str, str]] = {}
    skipped_names = set()
    for scan in scans:
        rel = kinds.get((scan.schema, scan.name))
        if rel is None:
            continue
        if rel.skip_reason:
            if rel.name not in skipped_names:
                skipped_names.add(rel.name)
                context.skipped_relations.append({"relation": f"{rel.schema}.{rel.name}", "reason": rel.skip_reason})
            continue
        aliases[scan.alias] = rel.parent or (rel.schema, rel.name)
    for name in parsed:
        rel = kinds.get(name)
        if rel is not None and rel.kind == "v" and not rel.system:
            bases = sorted({f"{s}.{t}" for s, t in aliases.values()})
            context.notes.append(
                f"{rel.schema}.{rel.name} is a view: the advice is for the tables it reads ({', '.join(bases)})."
            )
            for base in aliases.values():
                context.via_views.setdefault(base, f"{rel.schema}.{rel.name}")
        elif rel is not None and rel.skip_reason and rel.name not in skipped_names:
            skipped_names.add(rel.name)
            context.skipped_relations.append({"relation": f"{rel.schema}.{rel.name}", "reason": rel.skip_reason})
    context.reads_only_catalogs = (
        bool(scans)
        and not aliases
        and all(kinds.get((r.schema, r.name)) is None or kinds[(r.schema, r.name)].system for r in scans)
    )
    loaded = load_tables(conn, [*parsed, *dict.fromkeys(aliases.values())])
    context.tables = {**(tables or {}), **loaded}
    context.shapes = [*text_shapes, plan_shape(plan, aliases)]
    for skipped in context.skipped_relations:
        context.notes.append(f"Skipped {skipped['relation']}: {skipped['reason']}.")
    return context


# --- measuring ---------------------------------------------------------------


def server_version(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0])


def has_extension(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name]).fetchone() is not None


def explain_json(conn: psycopg.Connection, query: str, *, analyze: bool = False, verbose: bool = False) -> dict:
    """EXPLAIN (FORMAT JSON) of `query`; queries with $n are planned generically."""
    params = param_count(query)
    options = "FORMAT JSON" + (", ANALYZE, BUFFERS" if analyze else "") + (", VERBOSE" if verbose else "")
    if params == 0:
        row = conn.execute(
            pgsql.SQL("EXPLAIN ({}) {}").format(pgsql.SQL(options), pgsql.SQL(query)), prepare=False
        ).fetchone()
        return _json(row[0])[0]
    if analyze:
        raise ValueError("a query with parameters cannot be executed")
    if server_version(conn) >= 160000:
        # Never auto-prepared: a prepared EXPLAIN would expect values for the $n.
        row = conn.execute(
            pgsql.SQL("EXPLAIN (GENERIC_PLAN, {}) {}").format(pgsql.SQL(options), pgsql.SQL(query)), prepare=False
        ).fetchone()
        return _json(row[0])[0]
    # PostgreSQL 15: a prepared statement with a forced generic plan; NULLs are never folded in.
    name = "dbooster_" + uuid.uuid4().hex[:12]
    conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.execute(pgsql.SQL("PREPARE {} AS {}").format(pgsql.Identifier(name), pgsql.SQL(query)))
    try:
        nulls = pgsql.SQL(", ").join([pgsql.SQL("NULL")] * params)
        row = conn.execute(
            pgsql.SQL("EXPLAIN ({}) EXECUTE {}({})").format(pgsql.SQL(options), pgsql.Identifier(name), nulls)
        ).fetchone()
    finally:
        conn.execute(pgsql.SQL("DEALLOCATE {}").format(pgsql.Identifier(name)))
    return _json(row[0])[0]


def explain_with_values(conn: psycopg.Connection, query: str, values: list[str]) -> dict:
    """EXPLAIN (FORMAT JSON) of `query` with its $n bound to `values`: the custom plan a call with them gets."""
    name = "dbooster_" + uuid.uuid4().hex[:12]
    # Inside a savepoint: a value the statement refuses must not abort the caller's transaction, and the rollback
    # also forgets the prepared statement and the SET LOCAL.
    conn.execute("SAVEPOINT dbooster_values")
    try:
        conn.execute(pgsql.SQL("PREPARE {} AS {}").format(pgsql.Identifier(name), pgsql.SQL(query)))
        conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        args = pgsql.SQL(", ").join(pgsql.Literal(v) for v in values)
        row = conn.execute(
            pgsql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}({})").format(pgsql.Identifier(name), args)
        ).fetchone()
    finally:
        conn.execute("ROLLBACK TO SAVEPOINT dbooster_values")
        conn.execute("RELEASE SAVEPOINT dbooster_values")
    return _json(row[0])[0]


_PARAM_STATS_SQL = """
SELECT s.most_common_vals::text::text[], s.most_common_freqs, s.n_distinct, greatest(c.reltuples, 1)::float8
  FROM unnest(%s::text[]) AS t(name)
  JOIN pg_class c ON c.oid = to_regclass(t.name)
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = %s AND NOT s.inherited
"""


@dataclass
class SkewedCall:
    """Values for every $n of a statement that make its heaviest call: each column's most common value."""

    values: list[str]
    described: list[str]  # "website_id = 'c4ca…' (41% of the rows)"


def skewed_call(conn: psycopg.Connection, query: str) -> SkewedCall | None:
    """The call the generic plan underestimates: every `column = $n` bound to the column's most common value, when
    at least one of them is skewed (pg_stats). None when a parameter is not such an equality, or nothing is skewed."""
    count = param_count(query)
    if not count:
        return None
    try:
        params = equality_parameters(query)
    except Exception:  # noqa: BLE001 - pglast's errors: no call to add
        return None
    if set(params) != set(range(1, count + 1)):
        return None
    values, described, skewed = [], [], False
    for number in range(1, count + 1):
        tables, column = params[number]
        rows = conn.execute(_PARAM_STATS_SQL, [[_name_text(s, t) for s, t in tables], column]).fetchall()
        if len(rows) != 1 or not rows[0][0]:
            return None
        mcv, freqs, n_distinct, reltuples = rows[0]
        distinct = -n_distinct * reltuples if n_distinct < 0 else max(n_distinct, 1.0)
        skewed |= freqs[0] >= SKEW_MIN_SHARE and freqs[0] >= SKEW_FACTOR / distinct
        values.append(mcv[0])
        described.append(f"{column} = {mcv[0]!r} ({freqs[0]:.0%} of the rows)")
    return SkewedCall(values, described) if skewed else None


def plan_indexes(plan: dict) -> set[str]:
    """Names of the indexes a plan scans."""
    names: set[str] = set()

    def walk(node):
        if "Index Name" in node:
            names.add(node["Index Name"])
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return names


@dataclass
class Measurement:
    cost: float
    used: set[str]
    plan: dict


class SandboxIndexHidden(psycopg.Error):
    """A sandboxed index PostgreSQL built but will not plan with in the transaction that built it.

    Building an index over a HOT chain whose older row versions a running transaction may still see marks the
    index `indcheckxmin`: the planner then ignores it in every transaction whose snapshot is older than the
    index's catalog row, the building one included. On a busy server that is any table updated since the oldest
    transaction still open began. Measured anyway, the index would look useless, and be dropped for a reason that
    is not true."""

    REASON = (
        "PostgreSQL built it but hides it from the transaction that built it (pg_index.indcheckxmin): rows of the "
        "table were updated while a transaction still open on the server had begun, so no plan in this "
        "transaction may use it. Measure again when no long transaction is open, or install HypoPG on the target"
    )

    def __init__(self):
        super().__init__(self.REASON)


class WhatIf:
    """Hypothetical or sandboxed indexes on one connection, in the caller's transaction."""

    def __init__(self, conn: psycopg.Connection, *, hypopg: bool, sandbox: bool):
        self.conn = conn
        self.hypopg = hypopg
        self.sandbox = sandbox
        self._handles: dict[tuple, tuple[str, str, int | None]] = {}  # signature -> (mode, name, hypo oid)
        self._skewed: dict[str, SkewedCall | None] = {}

    def mode_for(self, candidate: Candidate) -> str:
        if self.hypopg and candidate.method in HYPOPG_METHODS:
            return HYPOPG
        if self.sandbox:
            return SANDBOX
        return ESTIMATE_ONLY

    def add(self, candidate: Candidate) -> tuple[str, str, int]:
        """Create the candidate; returns (mode, the name the planner will show, size in bytes)."""
        mode = self.mode_for(candidate)
        if mode == HYPOPG:
            # A refused definition must not abort the caller's transaction.
            self.conn.execute("SAVEPOINT dbooster_hypo")
            oid = None
            try:
                oid, name = self.conn.execute(
                    "SELECT indexrelid, indexname FROM hypopg_create_index(%s)", [candidate.ddl(concurrently=False)]
                ).fetchone()
                size = self.conn.execute("SELECT hypopg_relation_size(%s)", [oid]).fetchone()[0]
            except psycopg.Error:
                self.conn.execute("ROLLBACK TO SAVEPOINT dbooster_hypo")
                if oid is not None:  # HypoPG's indexes outlive a rollback
                    self.conn.execute("SELECT hypopg_drop_index(%s)", [oid])
                raise
            self.conn.execute("RELEASE SAVEPOINT dbooster_hypo")
            self._handles[candidate.signature] = (mode, name, oid)
            return mode, name, int(size)
        if mode == SANDBOX:
            name = f"dbooster_{uuid.uuid4().hex[:12]}"
            savepoint = f"sp_{name}"
            self.conn.execute(pgsql.SQL("SAVEPOINT {}").format(pgsql.Identifier(savepoint)))
            try:
                self.conn.execute(pgsql.SQL(candidate.ddl(concurrently=False, name=name)))
                size, hidden = self.conn.execute(
                    "SELECT pg_relation_size(indexrelid), indcheckxmin FROM pg_index WHERE indexrelid = %s::regclass",
                    [_ident(candidate.schema) + "." + name],
                ).fetchone()
                if hidden:
                    raise SandboxIndexHidden()
            except psycopg.Error:
                self.conn.execute(pgsql.SQL("ROLLBACK TO SAVEPOINT {}").format(pgsql.Identifier(savepoint)))
                raise
            self._handles[candidate.signature] = (mode, name, None)
            return mode, name, int(size)
        raise ValueError("nothing can measure this candidate")

    def remove(self, candidate: Candidate) -> None:
        mode, name, oid = self._handles[candidate.signature]
        if mode == HYPOPG:
            self.conn.execute("SELECT hypopg_drop_index(%s)", [oid])
        else:
            self.conn.execute(pgsql.SQL("ROLLBACK TO SAVEPOINT {}").format(pgsql.Identifier(f"sp_{name}")))
        # Forgotten only once gone: a hypothetical index left behind by a failed drop would skew every later plan.
        del self._handles[candidate.signature]

    def discard(self, candidate: Candidate) -> None:
        """After the caller rolled back to a savepoint taken before `add`: a sandboxed index went with it, a
        hypothetical one (HypoPG's live outside transactions) is dropped here."""
        handle = self._handles.pop(candidate.signature, None)
        if handle is not None and handle[0] == HYPOPG:
            self.conn.execute("SELECT hypopg_drop_index(%s)", [handle[2]])

    def remove_all(self, candidates) -> None:
        # Sandboxed indexes roll back in reverse order of creation.
        for cand in reversed(list(candidates)):
            if cand.signature in self._handles:
                self.remove(cand)

    def name_of(self, candidate: Candidate) -> str | None:
        handle = self._handles.get(candidate.signature)
        return handle[1] if handle else None

    def skewed_call(self, query: str) -> SkewedCall | None:
        if query not in self._skewed:
            self._skewed[query] = skewed_call(self.conn, query)
        return self._skewed[query]

    def measure(self, query: str) -> Measurement:
        """The statement's cost: its generic plan's, plus its heaviest call's where a parameter's column is skewed
        (a generic plan costed for the average website hides the calls for the one taking most of the traffic)."""
        plan = explain_json(self.conn, query)
        m = Measurement(float(plan["Plan"]["Total Cost"]), plan_indexes(plan), plan)
        call = self.skewed_call(query)
        if call is not None:
            try:
                heavy = explain_with_values(self.conn, query, call.values)
            except psycopg.Error:
                # The values could not be planned (the first measurement of this query, so all stay comparable).
                self._skewed[query] = None
                return m
            m.cost += float(heavy["Plan"]["Total Cost"])
            m.used |= plan_indexes(heavy)
        return m


@dataclass
class IndexAdvice:
    candidate: Candidate
    verification: str
    cost_before: float | None = None
    cost_after: float | None = None
    size_bytes: int | None = None
    used_as: str | None = None  # the name the planner showed in the plan
    time_before_ms: float | None = None
    time_after_ms: float | None = None
    plan_after: dict | None = None
    reason_unverified: str = ""

    @property
    def sql(self) -> str:
        return self.candidate.ddl(concurrently=True)

    @property
    def verified(self) -> bool:
        return self.verification in (HYPOPG, SANDBOX) and self.cost_after is not None

    @property
    def gain(self) -> float | None:
        if self.cost_before and self.cost_after is not None:
            return (self.cost_before - self.cost_after) / self.cost_before
        return None

    def as_dict(self) -> dict:
        return {
            "kind": "index",
            "sql": self.sql,
            "rationale": self.candidate.reason,
            "table": f"{self.candidate.schema}.{self.candidate.table}",
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "time_before_ms": self.time_before_ms,
            "time_after_ms": self.time_after_ms,
            "size_bytes": self.size_bytes,
            "verification": self.verification,
            "verified": self.verified,
            "planner_used": self.used_as,
        }


@dataclass
class AdviceResult:
    mode: str
    cost_before: float | None
    cost_after: float | None
    suggestions: list[IndexAdvice] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    plan_before: dict | None = None
    plan_after: dict | None = None
    notes: list[str] = field(default_factory=list)
    tables: dict = field(default_factory=dict)


def _sorts(plan: dict) -> int:
    count = 0

    def walk(node):
        nonlocal count
        count += node.get("Node Type") in ("Sort", "Incremental Sort")
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return count


def _better(a: tuple[Measurement, int, Candidate], b: tuple[Measurement, int, Candidate]) -> bool:
    """Lower cost wins; within 3%, the plan with fewer sorts, then the index that gives the ORDER BY (both
    robust when a skewed value has far more rows than the estimate), then the smaller index."""
    (ma, sa, ca), (mb, sb, cb) = a, b
    if ma.cost < mb.cost * 0.97:
        return True
    if mb.cost < ma.cost * 0.97:
        return False
    sorts_a, sorts_b = _sorts(ma.plan), _sorts(mb.plan)
    if sorts_a != sorts_b:
        return sorts_a < sorts_b
    if ca.provides_order != cb.provides_order:
        return ca.provides_order
    return sa < sb


def advise(
    conn: psycopg.Connection,
    query: str,
    *,
    allow_sandbox: bool = False,
    min_gain: float = 0.2,
    min_rows: float = 1000,
    measure_time: bool = False,
    tables: dict | None = None,
    extra_candidates: list[Candidate] = (),
) -> AdviceResult:
    """Index suggestions for one query, each measured; the caller rolls the connection back after."""
    hypopg = has_extension(conn, "hypopg")
    trgm = has_extension(conn, "pg_trgm")
    context = analyse_query(conn, query, tables=tables)
    candidates, skipped = generate_candidates(
        query,
        context.tables,
        min_rows=min_rows,
        trgm_available=trgm,
        shapes=context.shapes,
        via_views=context.via_views,
        unselective=not hypopg and not allow_sandbox,
    )
    for extra in extra_candidates:
        if extra.signature not in {c.signature for c in candidates}:
            candidates.append(extra)
    whatif = WhatIf(conn, hypopg=hypopg, sandbox=allow_sandbox)
    mode = HYPOPG if hypopg else SANDBOX if allow_sandbox else ESTIMATE_ONLY
    result = AdviceResult(mode=mode, cost_before=None, cost_after=None, rejected=list(skipped))
    result.tables = {(t.schema, t.name): t for t in context.tables.values()}
    result.notes.extend(context.notes)
    result.rejected.extend(
        {"index": f"(any on {s['relation']})", "reason": s["reason"]} for s in context.skipped_relations
    )
    if not hypopg and not allow_sandbox:
        result.notes.append(
            "HypoPG is not installed and this connection does not allow sandboxed indexes: "
            "candidates are estimate-only, not measured."
        )
    base = whatif.measure(query)
    result.cost_before, result.plan_before = base.cost, base.plan
    call = whatif.skewed_call(query)
    if call is not None:
        result.notes.append(
            "Planned for the generic call and for the heaviest one (" + ", ".join(call.described) + "): the costs "
            "shown are the sum of both plans, so an index must serve the skewed value too."
        )
    if base.cost < MIN_BASE_COST and candidates and not _scans_a_table_whole(base.plan, context.tables, min_rows):
        result.notes.append(
            f"The planner already costs this statement at {base.cost:.0f}: it reads little, and no index would "
            "save measurable time."
        )
        result.rejected.extend({"index": c.ddl(), "reason": "the statement is already cheap"} for c in candidates)
        _note_existing_indexes(result, base)
        return result
    if not hypopg and not allow_sandbox:
        result.suggestions = [
            IndexAdvice(c, ESTIMATE_ONLY, cost_before=base.cost, reason_unverified=_unmeasured_reason(c))
            for c in _estimate_pick(candidates)
        ]
        result.cost_after = None
        return result

    measured: list[tuple[Candidate, Measurement, int, str]] = []
    unmeasurable: list[Candidate] = []
    hidden: list[Candidate] = []  # built in the sandbox, but hidden from this transaction's plans
    sandboxed = 0
    for cand in candidates:
        mode_c = whatif.mode_for(cand)
        if mode_c == ESTIMATE_ONLY or cand.needs_extension:
            unmeasurable.append(cand)
            continue
        if mode_c == SANDBOX:
            sandboxed += 1
            if sandboxed > MAX_SANDBOX_CANDIDATES:
                result.rejected.append({"index": cand.ddl(), "reason": "not measured: the sandbox's candidate limit"})
                continue
        try:
            cand, name, size = _add_or_shorten(whatif, cand)
        except SandboxIndexHidden:
            hidden.append(cand)
            continue
        except psycopg.Error as exc:
            result.rejected.append(
                {"index": cand.ddl(), "reason": f"PostgreSQL refused it: {exc.diag.message_primary}"}
            )
            continue
        try:
            m = whatif.measure(query)
        finally:
            whatif.remove(cand)
        if name not in m.used:
            result.rejected.append({"index": cand.ddl(), "reason": "the planner does not use it"})
        else:
            # Below the margin alone, it may still pay beside another table's index (joins).
            measured.append((cand, m, size, mode_c))

    chosen = _choose_set(whatif, query, base, measured, min_gain)
    chosen_signatures = {c.signature for c, _, _, _ in chosen}
    for cand, m, _, _ in measured:
        if cand.signature in chosen_signatures:
            continue
        gain = _gain(base, m, cand)
        if gain < _threshold(cand, min_gain):
            reason = f"cost gain {gain:.0%} is under {_threshold(cand, min_gain):.0%}"
        else:
            reason = f"a cheaper or smaller candidate was chosen (cost {m.cost:.2f})"
        result.rejected.append({"index": cand.ddl(), "reason": reason})
    # Measure the chosen set together: the reported cost is the cost with all of them.
    for cand, _, _, _ in chosen:
        whatif.add(cand)
    try:
        final = whatif.measure(query)
        for cand, m, size, mode_c in chosen:
            name = whatif.name_of(cand)
            if name not in final.used:
                result.rejected.append({"index": cand.ddl(), "reason": "unused once the other indexes exist"})
                continue
            result.suggestions.append(
                IndexAdvice(
                    cand,
                    mode_c,
                    cost_before=base.cost,
                    cost_after=m.cost,
                    size_bytes=size,
                    used_as=name,
                    plan_after=final.plan,
                )
            )
        if result.suggestions:
            _check_other_values(conn, query, result, context.tables)
        if result.suggestions:
            result.cost_after, result.plan_after = final.cost, final.plan
            if measure_time and all(s.verification == SANDBOX for s in result.suggestions) and param_count(query) == 0:
                after_ms = median_execution_ms(conn, query)
                for s in result.suggestions:
                    s.time_after_ms = after_ms
    finally:
        whatif.remove_all(c for c, _, _, _ in chosen)
    if measure_time and result.suggestions and result.suggestions[0].time_after_ms is not None:
        before_ms = median_execution_ms(conn, query)
        for s in result.suggestions:
            s.time_before_ms = before_ms
        _drop_if_not_faster(result)
    _add_estimate_only(result, [*hidden, *unmeasurable], base, context.tables, hidden={c.signature for c in hidden})
    if not result.suggestions:
        _note_existing_indexes(result, base)
    return result


_STATS_SQL = """
SELECT most_common_vals::text::text[], most_common_freqs, histogram_bounds::text::text[]
  FROM pg_stats WHERE schemaname = %s AND tablename = %s AND attname = %s
 ORDER BY inherited DESC LIMIT 1
"""


def representative_values(conn, table: TableInfo, column: str) -> dict[str, tuple[str, str]]:
    """A most-common value and a rare one for `column`, from pg_stats: {"common": (value, why), "rare": ...}."""
    row = conn.execute(_STATS_SQL, [table.schema, table.name, column]).fetchone()
    if row is None:
        return {}
    mcv, freqs, histogram = row
    out = {}
    if mcv:
        out["common"] = (mcv[0], f"the most common value ({freqs[0]:.0%} of the rows)")
    if histogram and len(histogram) > 2:
        out["rare"] = (histogram[len(histogram) // 2], "a value outside the most common ones")
    elif mcv and len(mcv) > 1:
        out["rare"] = (mcv[-1], f"the least common of the frequent values ({freqs[-1]:.1%} of the rows)")
    return out


def _check_other_values(conn, query: str, result: AdviceResult, tables: dict) -> None:
    """Advice for the query, not for one literal: with the chosen indexes in place, plan the statement's generic
    form (PREPARE, plan_cache_mode = force_generic_plan: what a parameterized application runs) and, for each
    equality literal, a most-common and a rare value from pg_stats. An index the planner uses neither in the
    generic plan nor for the rare value fits only the pasted literal: it is dropped, with the reason."""
    keep = set()
    for advice in result.suggestions:
        keep |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", (advice.candidate.where or "").replace('"', "")))
    try:
        text, literals = parameterize(query, keep)
    except Exception:  # noqa: BLE001 - pglast's errors: nothing to check
        return
    if not literals:
        return
    name = "dbooster_forms_" + uuid.uuid4().hex[:10]
    conn.execute("SAVEPOINT dbooster_forms")
    try:
        conn.execute(pgsql.SQL("PREPARE {} AS {}").format(pgsql.Identifier(name), pgsql.SQL(text)))
        checks = _plan_forms(conn, name, query, literals, tables)
        conn.execute(pgsql.SQL("DEALLOCATE {}").format(pgsql.Identifier(name)))
    except psycopg.Error:
        checks = None  # the rollback below also forgets a statement prepared inside the savepoint
    conn.execute("ROLLBACK TO SAVEPOINT dbooster_forms")  # and undoes the SET LOCALs
    if checks is None:
        result.notes.append("The statement's generic form could not be planned: the advice is checked as written.")
        return
    kept = []
    for advice in result.suggestions:
        facts = [(kind, label, advice.used_as in used) for kind, label, used in checks]
        generic = next((ok for kind, _, ok in facts if kind == "generic"), None)
        rare = next((ok for kind, _, ok in facts if kind == "rare"), None)
        said = "; ".join(f"{'used' if ok else 'not used'} for {label}" for _, label, ok in facts)
        if generic is False and rare is not True:
            result.rejected.append(
                {"index": advice.candidate.ddl(), "reason": f"fits only the literal written in the query ({said})"}
            )
            continue
        advice.candidate = replace(advice.candidate, reason=f"{advice.candidate.reason}; {said}")
        kept.append(advice)
    result.suggestions = kept


def _plan_forms(conn, name: str, query: str, literals: list, tables: dict) -> list[tuple[str, str, set[str]]]:
    """(generic | common | rare, what was planned, the indexes its plan uses) for the generic plan and for each
    equality literal's representative values."""
    own = param_count(query)
    written = [pgsql.SQL("NULL")] * own + [pgsql.SQL(lit.sql) for lit in literals]
    statement = pgsql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}({})")
    conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    plan = conn.execute(statement.format(pgsql.Identifier(name), pgsql.SQL(", ").join(written))).fetchone()[0]
    out = [("generic", "the generic plan", plan_indexes(_json(plan)[0]))]
    if own:
        return out  # custom plans would need values for the statement's own parameters
    conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    by_name = {(t.schema, t.name): t for t in tables.values()}
    for lit in literals:
        owners = [t for t in by_name.values() if lit.column in t.columns]
        if not lit.equality or len(owners) != 1:
            continue
        for kind, (value, why) in representative_values(conn, owners[0], lit.column).items():
            args = [pgsql.SQL("NULL")] * own + [
                pgsql.Literal(value) if other is lit else pgsql.SQL(other.sql) for other in literals
            ]
            plan = conn.execute(statement.format(pgsql.Identifier(name), pgsql.SQL(", ").join(args))).fetchone()[0]
            out.append((kind, f"{why} {value!r} of {lit.column}", plan_indexes(_json(plan)[0])))
    return out


def _add_or_shorten(whatif: WhatIf, cand: Candidate) -> tuple[Candidate, str, int]:
    """Create the candidate; when PostgreSQL or HypoPG refuses it (a key too wide), try shorter key prefixes."""
    while True:
        try:
            _, name, size = whatif.add(cand)
            return cand, name, size
        except SandboxIndexHidden:
            raise  # a shorter key would be hidden the same way
        except psycopg.Error:
            if len(cand.keys) <= 1 or cand.method != "btree":
                raise
            cand = replace(
                cand, keys=cand.keys[:-1], include=(), reason=cand.reason + ", shortened: the key was too wide"
            )


def _scan_fraction(plan: dict, table: TableInfo) -> float | None:
    """The largest fraction of `table`'s rows a scan of it (or of its partitions) returns in `plan`."""
    names = {(table.schema, table.name), *table.partitions}
    rows: list[float] = []

    def walk(node):
        if (node.get("Schema"), node.get("Relation Name")) in names or (
            node.get("Relation Name") == table.name and "Schema" not in node
        ):
            rows.append(float(node.get("Plan Rows", 0)))
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    if not rows or table.rows <= 0:
        return None
    return max(rows) / table.rows


def _add_estimate_only(
    result: AdviceResult,
    candidates: list[Candidate],
    base: Measurement,
    tables: dict | None = None,
    *,
    hidden: frozenset | set = frozenset(),
) -> None:
    """GIN, GiST and trigram indexes HypoPG cannot simulate, where the sandbox is not allowed, and sandboxed
    indexes PostgreSQL hid from this transaction (`hidden`, by signature): proposed, labelled estimate-only with
    the reason, one per column (the first kind written for it). Where the planner expects the filter to keep a
    large share of the table, no index would beat the scan: rejected with that reason."""
    seen: set[tuple] = set()
    by_name = {(t.schema, t.name): t for t in (tables or {}).values()}
    for cand in candidates:
        column = (cand.schema, cand.table, _key_column(cand.keys[0]))
        if column in seen:
            continue
        seen.add(column)
        table = by_name.get((cand.schema, cand.table))
        fraction = _scan_fraction(base.plan, table) if table is not None else None
        if fraction is not None and fraction > ESTIMATE_ONLY_MAX_FRACTION:
            result.rejected.append(
                {"index": cand.ddl(), "reason": f"the planner expects the filter to keep {fraction:.0%} of the rows"}
            )
            continue
        if cand.signature in hidden:
            why = SandboxIndexHidden.REASON
        elif cand.needs_extension:
            why = (
                f"the {cand.needs_extension} extension is not installed on the target, so the index cannot be "
                "built or measured"
            )
        else:
            why = (
                f"HypoPG cannot simulate {cand.method.upper()} indexes and this connection does not allow "
                "building one in a rolled-back transaction"
            )
        result.suggestions.append(IndexAdvice(cand, ESTIMATE_ONLY, cost_before=base.cost, reason_unverified=why))
        result.notes.append(f"Not measured: {cand.ddl()} ({why}).")


def _note_existing_indexes(result: AdviceResult, base: Measurement) -> None:
    if base.used:
        names = ", ".join(sorted(base.used))
        result.notes.append(f"Existing index {names} already serves this query: no new index is needed for it.")


def median_execution_ms(conn: psycopg.Connection, query: str, runs: int = TIMED_RUNS) -> float:
    """The median execution time of `runs` runs after one warm-up run.

    The warm-up matters: CREATE INDEX and big sequential scans read the table through a small ring of
    buffers, so right after the sandbox builds an index the heap pages are not in shared buffers, and
    a single timed run would charge the index with reading them from disk. TIMING OFF keeps the
    per-row clock calls, which cost more on plans that return rows one by one, out of the comparison.
    """
    statement = pgsql.SQL("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {}").format(pgsql.SQL(query))
    samples = []
    for _ in range(runs + 1):
        row = conn.execute(statement, prepare=False).fetchone()
        samples.append(float(_json(row[0])[0].get("Execution Time", 0.0)))
    return statistics.median(samples[1:])


def _drop_if_not_faster(result: AdviceResult) -> None:
    """A sandboxed index whose measured time is no better is not a win, whatever the cost estimate says."""
    first = result.suggestions[0]
    before, after = first.time_before_ms, first.time_after_ms
    if not before or after is None or before >= after * MIN_TIME_SPEEDUP:
        return
    why = (
        f"measured no faster: {after:.1f} ms with the index against {before:.1f} ms without (median of "
        f"{TIMED_RUNS} warm runs each), although the planner's cost fell from {first.cost_before:.0f} to "
        f"{result.cost_after:.0f}"
    )
    for s in result.suggestions:
        result.rejected.append({"index": s.candidate.ddl(), "reason": why})
    result.notes.append(
        f"Not recommended: {why}. The plan with the index "
        f"({_node_types(result.plan_after)}) does not beat the plan without it ({_node_types(result.plan_before)}) "
        "on this data, for example when the matching rows are spread over most of the table's pages."
    )
    result.suggestions, result.cost_after, result.plan_after = [], None, None


def _node_types(plan: dict | None) -> str:
    names: list[str] = []

    def walk(node):
        names.append(("Parallel " if node.get("Parallel Aware") else "") + node.get("Node Type", "?"))
        for child in node.get("Plans", ()):
            walk(child)

    if plan:
        walk(plan["Plan"])
    return " > ".join(names)


def _threshold(cand: Candidate, min_gain: float) -> float:
    """The cost gain a candidate must bring. An extension of an existing index replaces it (one index either way,
    no new write cost), so a smaller gain is worth it."""
    return min_gain * EXTENSION_GAIN_FACTOR if cand.extends else min_gain


def _scans_a_table_whole(plan: dict, tables: dict, min_rows: float) -> bool:
    """True when the plan reads a table of at least `min_rows` rows by a sequential scan that costs
    MIN_WHOLE_SCAN_COST or more."""
    big = {t.name for t in tables.values() if t.rows >= min_rows}
    big |= {name for t in tables.values() if t.rows >= min_rows for _, name in t.partitions}
    found = False

    def walk(node):
        nonlocal found
        found |= (
            node.get("Node Type", "").endswith("Seq Scan")
            and node.get("Relation Name") in big
            and float(node.get("Total Cost", 0.0)) >= MIN_WHOLE_SCAN_COST
        )
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return found


def _modified_relation(plan: dict) -> str | None:
    """The table an UPDATE, DELETE, MERGE or INSERT writes (the plan's ModifyTable), None for a SELECT."""
    node = plan["Plan"]
    return node.get("Relation Name") if node.get("Node Type") == "ModifyTable" else None


def _relation_cost(plan: dict, table: str) -> float:
    """The planner's cost of the scans of `table` in `plan` (the topmost node reading it, its children included)."""
    total = 0.0

    def walk(node):
        nonlocal total
        if node.get("Relation Name") == table and node.get("Node Type") != "ModifyTable":
            total += float(node.get("Total Cost", 0.0))
            return
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan["Plan"])
    return total


def _gain(before: Measurement, after: Measurement, cand: Candidate) -> float:
    """The share of the cost a candidate saves. In an UPDATE, DELETE, MERGE or INSERT ... SELECT, a subquery on
    another table is advised like the SELECT it is: its gain is read on that table's part of the statement's plan,
    since finding and reading the rows the statement writes costs the same whatever index that table gets (and
    the statement's own cost must fall too)."""
    statement = (before.cost - after.cost) / before.cost if before.cost else 0.0
    target = _modified_relation(before.plan)
    if target is None or target == cand.table or after.cost >= before.cost:
        return statement
    part_before, part_after = _relation_cost(before.plan, cand.table), _relation_cost(after.plan, cand.table)
    if part_before <= 0:
        return statement
    return max(statement, (part_before - part_after) / part_before)


def _choose_set(whatif: WhatIf, query: str, base: Measurement, measured: list, min_gain: float) -> list:
    """Greedy: add the candidate that lowers the cost most, given those already chosen, while each step
    lowers it by a clear margin; at most one index per table."""
    chosen: list = []
    current = base
    pool = list(measured)
    while pool and len(chosen) < MAX_INDEXES_PER_QUERY:
        step = None
        for cand, m_alone, size, mode_c in pool:
            if chosen:
                for c, _, _, _ in chosen:
                    whatif.add(c)
                whatif.add(cand)
                try:
                    m = whatif.measure(query)
                    used = whatif.name_of(cand) in m.used
                finally:
                    whatif.remove_all([*(c for c, _, _, _ in chosen), cand])
                if not used:
                    continue
            else:
                m = m_alone
            if step is None or _better((m, size, cand), (step[1], step[2], step[0])):
                step = (cand, m, size, mode_c)
        if step is None or not current.cost or _gain(current, step[1], step[0]) < _threshold(step[0], min_gain):
            break
        chosen.append(step)
        current = step[1]
        pool = [p for p in pool if (p[0].schema, p[0].table) != (step[0].schema, step[0].table)]
    return chosen


def _unmeasured_reason(cand: Candidate) -> str:
    why = (
        "HypoPG is not installed on the target and the connection does not allow sandboxed indexes (it is "
        "production or read-only)"
    )
    return f"{why}; and beware: {cand.unselective}" if cand.unselective else why


def _estimate_pick(candidates: list[Candidate]) -> list[Candidate]:
    """Without a planner to ask: one candidate per table, the first (equality-first) one."""
    picked: dict[tuple, Candidate] = {}
    for cand in candidates:
        picked.setdefault((cand.schema, cand.table), cand)
    return list(picked.values())


def parse_index_ddl(ddl: str) -> Candidate | None:
    """A Candidate from a CREATE INDEX statement (the AI's suggestions), or None if it is not one."""
    try:
        stmts = parse_sql(ddl)
    except Exception:
        return None
    if len(stmts) != 1 or not isinstance(stmts[0].stmt, ast.IndexStmt):
        return None
    stmt = stmts[0].stmt
    keys = []
    for elem in stmt.indexParams:
        text = _ident(elem.name) if elem.name else f"({RawStream()(elem.expr)})"
        if elem.opclass:
            text += " " + ".".join(n.sval for n in elem.opclass)
        if elem.ordering and elem.ordering.name == "SORTBY_DESC":
            text += " DESC"
        keys.append(text)
    include = tuple(_ident(e.name) for e in stmt.indexIncludingParams or () if e.name)
    where = RawStream()(stmt.whereClause) if stmt.whereClause is not None else None
    rel = stmt.relation
    return Candidate(
        rel.schemaname or "public",
        rel.relname,
        tuple(keys),
        include,
        where,
        stmt.accessMethod or "btree",
        "suggested by AI",
    )
