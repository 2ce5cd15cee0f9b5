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
from dataclasses import dataclass, field

import psycopg
from pglast import ast, parse_sql
from pglast.stream import RawStream
from psycopg import sql as pgsql

from optimizer.query_shape import SelectShape, param_count, select_shapes, tables_of

HYPOPG = "hypopg"
SANDBOX = "sandbox"
ESTIMATE_ONLY = "estimate-only"
# Methods HypoPG can simulate; anything else needs the sandbox.
HYPOPG_METHODS = {"btree", "brin", "hash"}
MAX_INCLUDE = 4
MAX_INDEXES_PER_QUERY = 3
# Building real indexes is slow on big tables: the sandbox measures at most this many per query.
MAX_SANDBOX_CANDIDATES = 12
# Timing a query: runs after one warm-up run, with and without the index, compared by their medians.
TIMED_RUNS = 5
# A sandboxed index must make the query at least this much faster in time (median over median) to be kept.
MIN_TIME_SPEEDUP = 1.05


# --- catalog --------------------------------------------------------------


@dataclass
class ColumnStats:
    name: str
    type: str
    n_distinct: float | None = None  # as pg_stats: negative is a fraction of the rows
    width: int = 8
    nullable: bool | None = None


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

    @property
    def qualified(self) -> str:
        return f"{_ident(self.schema)}.{_ident(self.name)}"

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
       CASE WHEN c.reltuples < 0 THEN pg_relation_size(c.oid) / 8192 * 50 ELSE c.reltuples END::float8,
       pg_relation_size(c.oid),
       (SELECT coalesce(json_agg(json_build_object(
                 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                 'n_distinct', s.n_distinct, 'width', s.avg_width) ORDER BY a.attnum), '[]')
          FROM pg_attribute a
          LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT coalesce(json_agg(json_build_object(
                 'name', i.relname, 'method', am.amname, 'unique', x.indisunique,
                 'predicate', pg_get_expr(x.indpred, x.indrelid),
                 'keys', (SELECT array_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k)
                            FROM generate_series(1, x.indnkeyatts) k),
                 'include', (SELECT coalesce(array_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k), '{}')
                               FROM generate_series(x.indnkeyatts + 1, x.indnatts) k))), '[]')
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
         WHERE x.indrelid = c.oid AND x.indisvalid),
       coalesce((SELECT st.n_tup_ins + st.n_tup_upd + st.n_tup_del FROM pg_stat_user_tables st
                  WHERE st.relid = c.oid), 0)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY(%s::oid[]) AND c.relkind IN ('r', 'p', 'm')
"""


def load_tables(conn: psycopg.Connection, names: list[tuple[str | None, str]]) -> dict[tuple, TableInfo]:
    """Catalog facts for the tables named as (schema or None, table); two queries whatever the count.

    Keys are the names as given, so the caller can look up what the query wrote.
    """
    if not names:
        return {}
    texts = [(f"{_ident(s)}.{_ident(t)}" if s else _ident(t)) for s, t in names]
    rows = conn.execute("SELECT name, to_regclass(name)::oid FROM unnest(%s::text[]) AS name", [texts]).fetchall()
    oid_by_text = {text: oid for text, oid in rows if oid is not None}
    if not oid_by_text:
        return {}
    info_by_oid = {}
    for oid_text, schema, rel, _, rows_est, size, columns, indexes, writes in conn.execute(
        _CATALOG_SQL, [list(oid_by_text.values())]
    ).fetchall():
        cols = {
            c["name"]: ColumnStats(c["name"], c["type"], c["n_distinct"], c["width"] or 8, c.get("nullable"))
            for c in _json(columns)
        }
        idx = [
            ExistingIndex(i["name"], i["method"], i["keys"] or [], i["include"] or [], i["predicate"], i["unique"])
            for i in _json(indexes)
        ]
        info_by_oid[oid_text] = TableInfo(schema, rel, rows_est, size, cols, idx, int(writes or 0))
    return {
        name: info_by_oid[oid_by_text[text]] for name, text in zip(names, texts, strict=True) if text in oid_by_text
    }


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
        keys = ", ".join(_format_key(k) for k in self.keys)
        text = "CREATE INDEX {}{} ON {}.{}{} ({})".format(
            "CONCURRENTLY " if concurrently else "",
            _ident(name or self.name),
            _ident(self.schema),
            _ident(self.table),
            "" if self.method == "btree" else f" USING {self.method}",
            keys,
        )
        if self.include:
            text += " INCLUDE ({})".format(", ".join(self.include))
        if self.where:
            text += f" WHERE {self.where}"
        return text


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
        self.prefix: list[str] = []
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
            if p.kind == "eq":
                _add(ask.expressions, p.expression)
            continue
        if p.kind in ("eq", "isnull"):
            _add(ask.eq, p.column)
            if p.constant and p.column not in ask.eq_constants:
                ask.eq_constants[p.column] = "IS NULL" if p.kind == "isnull" else f"= {p.constant}"
        elif p.kind == "range":
            _add(ask.ranges, p.column)
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


def _table_candidates(table: TableInfo, ask: _TableAsk, trgm_available: bool) -> list[Candidate]:
    s, t = table.schema, table.name
    out: list[Candidate] = []
    # Most selective equality columns first: the index serves other queries on the leading one.
    eq = sorted(ask.eq, key=lambda c: -table.distinct(c))
    eq_keys = [_key(c) for c in eq]

    def add(keys, reason, include=(), where=None, method="btree"):
        keys = tuple(dict.fromkeys(keys))
        key_columns = {k.split(" ")[0] for k in keys}
        include = [i for i in include if i not in key_columns]
        if keys:
            ordered = bool(sort_keys) and keys[-len(sort_keys) :] == tuple(sort_keys)
            out.append(Candidate(s, t, keys, tuple(include), where, method, reason, provides_order=ordered))

    ranges = ask.ranges + ask.prefix
    sort_keys = [_key(c, descending=d, nulls=n) for c, d, n in ask.sort]
    base_sets: list[tuple[list[str], str]] = []
    if eq or ranges:
        for r in ranges[:2] or [None]:
            keys = eq_keys + ([_key(r)] if r else [])
            base_sets.append((keys, "equality columns first, then the range" if r else "equality columns"))
    if ask.sort:
        base_sets.append((eq_keys + sort_keys, "equality columns, then ORDER BY with its direction"))
    if ask.group:
        base_sets.append((eq_keys + [_key(g) for g in ask.group], "equality columns, then GROUP BY"))
    for j in ask.joins:
        base_sets.append(([_key(j)] + eq_keys, f"join column {j} for the inner side of a join"))
        if ranges:
            base_sets.append(([_key(j)] + eq_keys + [_key(ranges[0])], f"join column {j}, then filters"))
    for expr in ask.expressions:
        base_sets.append(([expr] + eq_keys, f"expression index on {expr}, as the query writes it"))

    for keys, reason in base_sets:
        add(keys, reason)
        # Covering: the other columns the query reads, so the scan can be index-only.
        key_cols = {k.split(" ")[0].strip('"') for k in keys}
        extra = [c for c in ask.referenced if c not in key_cols]
        if not ask.star and extra and len(extra) <= MAX_INCLUDE and len(keys) + len(extra) <= 6:
            add(keys, reason + ", INCLUDE for an index-only scan", include=[_ident(c) for c in extra])
        # Partial: the constant predicate on the column with the fewest values (status-like) moves into WHERE.
        # Only one: moving every constant in fits this query's values and serves no other instance of it
        # (`country = 'US'` today, 'DE' tomorrow); the other constants stay key columns.
        constants = [c for c in eq if c in ask.eq_constants and _low_cardinality(table, c)]
        partial = [min(constants, key=table.distinct)] if constants else []
        if partial:
            rest = [k for k in keys if k.split(" ")[0].strip('"') not in partial]
            if not rest:
                rest = sort_keys or [_key(c) for c in ranges[:1]] or [_key(c) for c in ask.joins[:1]]
            if not rest:
                # Nothing but the constant to look up (`WHERE status = 'paid'`): key the index on that column.
                # Every entry then holds the same value, which B-tree deduplication stores in a few pages.
                rest = [_key(c) for c in partial]
            where = " AND ".join(f"{_ident(c)} {ask.eq_constants[c]}" for c in partial)
            add(rest, reason + f", partial on {where}", where=where)
            if not ask.star and extra and len(extra) <= MAX_INCLUDE:
                add(
                    rest,
                    reason + f", partial on {where}, INCLUDE for an index-only scan",
                    include=[_ident(c) for c in extra if c not in partial and _ident(c) not in rest],
                    where=where,
                )
    if trgm_available:
        for c in ask.trgm:
            out.append(
                Candidate(
                    s, t, (f"{_ident(c)} gin_trgm_ops",), (), None, "gin", f"trigram GIN for {c} LIKE/ILIKE '%...%'"
                )
            )
    for c in ask.jsonb:
        out.append(
            Candidate(s, t, (f"{_ident(c)} jsonb_path_ops",), (), None, "gin", f"GIN for jsonb containment on {c}")
        )
        out.append(Candidate(s, t, (_ident(c),), (), None, "gin", f"GIN for jsonb operators on {c}"))
    # Unique, in first-seen order.
    unique = {}
    for cand in out:
        unique.setdefault(cand.signature, cand)
    return list(unique.values())


def _normalize_key(key: str) -> str:
    return re.sub(r"\s+", " ", key.replace('"', "").lower().replace(" asc", "")).strip()


def covered_by_existing(candidate: Candidate, table: TableInfo) -> ExistingIndex | None:
    """An existing index whose leading keys already are the candidate's keys (and whose columns cover it)."""
    want = [_normalize_key(k) for k in candidate.keys]
    mixed = len({" desc" in k for k in want}) > 1
    if not mixed:
        want = [k.replace(" desc", "") for k in want]
    for index in table.indexes:
        if index.method != candidate.method:
            continue
        if index.predicate and _normalize_key(index.predicate) != _normalize_key(candidate.where or ""):
            continue
        have = [_normalize_key(k) for k in index.keys]
        if not mixed:
            have = [k.replace(" desc", "") for k in have]
        if have[: len(want)] != want:
            continue
        have_all = {k.split(" ")[0] for k in have + [_normalize_key(i) for i in index.include]}
        if all(_normalize_key(i) in have_all for i in candidate.include):
            return index
    return None


def generate_candidates(
    sql: str, tables: dict[tuple, TableInfo], *, min_rows: float = 1000, trgm_available: bool = False
) -> tuple[list[Candidate], list[dict]]:
    """Candidates for `sql`, and the ones skipped with why (covered by an index, tiny table)."""
    out: dict[tuple, Candidate] = {}
    skipped: list[dict] = []
    for shape in select_shapes(sql):
        asks, by_alias = _resolve(shape, tables)
        for alias, ask in asks.items():
            table = by_alias[alias]
            for cand in _table_candidates(table, ask, trgm_available):
                if cand.signature in out:
                    continue
                if table.rows < min_rows:
                    skipped.append({"index": cand.ddl(), "reason": f"{table.name} is tiny ({int(table.rows)} rows)"})
                    continue
                existing = covered_by_existing(cand, table)
                if existing is not None:
                    skipped.append({"index": cand.ddl(), "reason": f"already covered by index {existing.name}"})
                    continue
                out[cand.signature] = cand
    return list(out.values()), skipped


# --- measuring ---------------------------------------------------------------


def server_version(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0])


def has_extension(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name]).fetchone() is not None


def explain_json(conn: psycopg.Connection, query: str, *, analyze: bool = False) -> dict:
    """EXPLAIN (FORMAT JSON) of `query`; queries with $n are planned generically."""
    params = param_count(query)
    options = "FORMAT JSON" + (", ANALYZE, BUFFERS" if analyze else "")
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
            pgsql.SQL("EXPLAIN (GENERIC_PLAN, FORMAT JSON) {}").format(pgsql.SQL(query)), prepare=False
        ).fetchone()
        return _json(row[0])[0]
    # PostgreSQL 15: a prepared statement with a forced generic plan; NULLs are never folded in.
    name = "dbooster_" + uuid.uuid4().hex[:12]
    conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.execute(pgsql.SQL("PREPARE {} AS {}").format(pgsql.Identifier(name), pgsql.SQL(query)))
    try:
        nulls = pgsql.SQL(", ").join([pgsql.SQL("NULL")] * params)
        row = conn.execute(
            pgsql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}({})").format(pgsql.Identifier(name), nulls)
        ).fetchone()
    finally:
        conn.execute(pgsql.SQL("DEALLOCATE {}").format(pgsql.Identifier(name)))
    return _json(row[0])[0]


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


class WhatIf:
    """Hypothetical or sandboxed indexes on one connection, in the caller's transaction."""

    def __init__(self, conn: psycopg.Connection, *, hypopg: bool, sandbox: bool):
        self.conn = conn
        self.hypopg = hypopg
        self.sandbox = sandbox
        self._handles: dict[tuple, tuple[str, str, int | None]] = {}  # signature -> (mode, name, hypo oid)

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
            try:
                oid, name = self.conn.execute(
                    "SELECT indexrelid, indexname FROM hypopg_create_index(%s)", [candidate.ddl(concurrently=False)]
                ).fetchone()
            except psycopg.Error:
                self.conn.execute("ROLLBACK TO SAVEPOINT dbooster_hypo")
                raise
            self.conn.execute("RELEASE SAVEPOINT dbooster_hypo")
            size = self.conn.execute("SELECT hypopg_relation_size(%s)", [oid]).fetchone()[0]
            self._handles[candidate.signature] = (mode, name, oid)
            return mode, name, int(size)
        if mode == SANDBOX:
            name = f"dbooster_{uuid.uuid4().hex[:12]}"
            savepoint = f"sp_{name}"
            self.conn.execute(pgsql.SQL("SAVEPOINT {}").format(pgsql.Identifier(savepoint)))
            try:
                self.conn.execute(pgsql.SQL(candidate.ddl(concurrently=False, name=name)))
            except psycopg.Error:
                self.conn.execute(pgsql.SQL("ROLLBACK TO SAVEPOINT {}").format(pgsql.Identifier(savepoint)))
                raise
            size = self.conn.execute("SELECT pg_relation_size(%s::regclass)", [_ident(candidate.schema) + "." + name])
            self._handles[candidate.signature] = (mode, name, None)
            return mode, name, int(size.fetchone()[0])
        raise ValueError("nothing can measure this candidate")

    def remove(self, candidate: Candidate) -> None:
        mode, name, oid = self._handles.pop(candidate.signature)
        if mode == HYPOPG:
            self.conn.execute("SELECT hypopg_drop_index(%s)", [oid])
        else:
            self.conn.execute(pgsql.SQL("ROLLBACK TO SAVEPOINT {}").format(pgsql.Identifier(f"sp_{name}")))

    def remove_all(self, candidates) -> None:
        # Sandboxed indexes roll back in reverse order of creation.
        for cand in reversed(list(candidates)):
            if cand.signature in self._handles:
                self.remove(cand)

    def name_of(self, candidate: Candidate) -> str | None:
        handle = self._handles.get(candidate.signature)
        return handle[1] if handle else None

    def measure(self, query: str) -> Measurement:
        plan = explain_json(self.conn, query)
        return Measurement(float(plan["Plan"]["Total Cost"]), plan_indexes(plan), plan)


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
    tables = tables if tables is not None else load_tables(conn, tables_of(query))
    candidates, skipped = generate_candidates(query, tables, min_rows=min_rows, trgm_available=trgm)
    for extra in extra_candidates:
        if extra.signature not in {c.signature for c in candidates}:
            candidates.append(extra)
    whatif = WhatIf(conn, hypopg=hypopg, sandbox=allow_sandbox)
    mode = HYPOPG if hypopg else SANDBOX if allow_sandbox else ESTIMATE_ONLY
    result = AdviceResult(mode=mode, cost_before=None, cost_after=None, rejected=list(skipped))
    if not hypopg and not allow_sandbox:
        result.notes.append(
            "HypoPG is not installed and this connection does not allow sandboxed indexes: "
            "candidates are estimate-only, not measured."
        )
    base = whatif.measure(query)
    result.cost_before, result.plan_before = base.cost, base.plan
    if not hypopg and not allow_sandbox:
        result.suggestions = [IndexAdvice(c, ESTIMATE_ONLY, cost_before=base.cost) for c in _estimate_pick(candidates)]
        result.cost_after = None
        return result

    measured: list[tuple[Candidate, Measurement, int, str]] = []
    sandboxed = 0
    for cand in candidates:
        mode_c = whatif.mode_for(cand)
        if mode_c == ESTIMATE_ONLY:
            result.rejected.append({"index": cand.ddl(), "reason": "cannot be measured here (needs the sandbox)"})
            continue
        if mode_c == SANDBOX:
            sandboxed += 1
            if sandboxed > MAX_SANDBOX_CANDIDATES:
                result.rejected.append({"index": cand.ddl(), "reason": "not measured: the sandbox's candidate limit"})
                continue
        try:
            _, name, size = whatif.add(cand)
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
        gain = (base.cost - m.cost) / base.cost if base.cost else 0.0
        if gain < min_gain:
            reason = f"cost gain {gain:.0%} is under {min_gain:.0%}"
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
    return result


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
        if step is None or not current.cost or (current.cost - step[1].cost) / current.cost < min_gain:
            break
        chosen.append(step)
        current = step[1]
        pool = [p for p in pool if (p[0].schema, p[0].table) != (step[0].schema, step[0].table)]
    return chosen


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
