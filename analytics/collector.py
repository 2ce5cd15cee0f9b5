"""Read one snapshot of a database's statistics, and turn cumulative counters into deltas.

Plain Python: the caller opens the connection (read only, statement timeout, client-side deadline: the
project's target session) and passes it in; the caller also keeps the previous counters between snapshots.

PostgreSQL's statistics are cumulative since their last reset (`pg_stat_database.stats_reset`,
`pg_stat_statements_info.stats_reset` on PostgreSQL 14+). A delta is the current value minus the previous
one; after a reset (the reset time changed, or a counter went down) the current value is the delta: the
counters restarted from zero after the previous snapshot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from optimizer.workload import fingerprint

DATABASE_COUNTERS = ("xact_commit", "xact_rollback", "blks_hit", "blks_read")
STATEMENT_COUNTERS = ("calls", "total_ms", "rows", "shared_blks_hit", "shared_blks_read")

DATABASE_SQL = """
SELECT pg_database_size(d.oid) AS database_bytes, s.xact_commit, s.xact_rollback, s.blks_hit, s.blks_read,
       s.stats_reset::text AS stats_reset
FROM pg_database d JOIN pg_stat_database s ON s.datid = d.oid
WHERE d.datname = current_database()
"""

# Every session of this database but the collector's own, by state (NULL: a background process).
CONNECTIONS_SQL = """
SELECT coalesce(state, 'background') AS state, count(*) AS n
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
GROUP BY 1
"""

# The largest tables (heap + TOAST) and indexes outside the system schemas; rows: the live-tuple count of a
# table, the planner's estimate (reltuples, -1 when never analyzed) of an index.
RELATIONS_SQL = """
SELECT format('%%I.%%I', n.nspname, c.relname) AS name,
       CASE WHEN c.relkind IN ('i', 'I') THEN 'index' ELSE 'table' END AS kind,
       CASE WHEN c.relkind IN ('i', 'I') THEN format('%%I.%%I', tn.nspname, t.relname) ELSE '' END AS parent,
       CASE WHEN c.relkind IN ('i', 'I') THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END AS bytes,
       CASE WHEN c.relkind IN ('i', 'I') THEN greatest(c.reltuples, 0)::bigint ELSE st.n_live_tup END AS rows
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
WHERE c.relkind IN ('r', 'm', 'p', 'i', 'I')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
ORDER BY bytes DESC, name
LIMIT %(limit)s
"""

# Counters only (no text: the texts are read once per new statement), summed over roles and nesting levels.
STATEMENTS_SQL = """
SELECT queryid::text AS queryid, sum(calls)::bigint AS calls, sum({total})::float8 AS total_ms,
       sum(rows)::bigint AS rows, sum(shared_blks_hit)::bigint AS shared_blks_hit,
       sum(shared_blks_read)::bigint AS shared_blks_read
FROM pg_stat_statements(false)
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
GROUP BY queryid
"""

TEXTS_SQL = """
SELECT DISTINCT ON (queryid) queryid::text AS queryid, query
FROM pg_stat_statements(true)
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid::text = ANY(%s)
"""


@dataclass
class Reading:
    """What one snapshot read: sizes and gauges as they are, counters as cumulative totals."""

    database_bytes: int
    database: dict  # DATABASE_COUNTERS -> cumulative value, and stats_reset
    connections: dict[str, int]
    relations: list[dict]  # name, kind, parent (an index's table), bytes, rows
    statements: dict[str, dict] | None  # queryid -> STATEMENT_COUNTERS; None without pg_stat_statements
    statements_reset: str | None = None
    notes: list[str] = field(default_factory=list)


HAS_EXTENSION_SQL = "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
HAS_INFO_SQL = "SELECT to_regclass('pg_stat_statements_info') IS NOT NULL"
VERSION_SQL = "SHOW server_version_num"


def _placeholders(text: str) -> str:
    """A statement as psycopg sends it ($1, $2, ...), so that pglast fingerprints it as the server saw it."""
    count = iter(range(1, 100))
    text = re.sub(r"%\([a-z_]+\)s|%s", lambda _: f"${next(count)}", text)
    return text.replace("%%", "%")


# The snapshot's own reads are in pg_stat_statements too: they are left out of the statements it records.
OWN_FINGERPRINTS = frozenset(
    fingerprint(_placeholders(text))
    for text in (DATABASE_SQL, CONNECTIONS_SQL, RELATIONS_SQL, TEXTS_SQL, HAS_EXTENSION_SQL, HAS_INFO_SQL, VERSION_SQL)
) - {""}


def _has_pg_stat_statements(conn: psycopg.Connection) -> bool:
    return conn.execute(HAS_EXTENSION_SQL).fetchone() is not None


def _statements_reset(conn: psycopg.Connection) -> str | None:
    """pg_stat_statements' last reset (its 1.9+ info view), None where the view is missing."""
    exists = conn.execute(HAS_INFO_SQL).fetchone()[0]
    if not exists:
        return None
    return conn.execute("SELECT stats_reset::text FROM pg_stat_statements_info").fetchone()[0]


def read_statements(conn: psycopg.Connection) -> tuple[dict[str, dict] | None, str | None, list[str]]:
    """(queryid -> counters, reset time, notes); counters None when pg_stat_statements cannot be read."""
    if not _has_pg_stat_statements(conn):
        return None, None, ["pg_stat_statements is not installed in this database: no query statistics."]
    version = int(conn.execute(VERSION_SQL).fetchone()[0])
    total = "total_exec_time" if version >= 130000 else "total_time"
    conn.execute("SAVEPOINT analytics_statements")
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(STATEMENTS_SQL.format(total=total)).fetchall()
        reset = _statements_reset(conn)
    except psycopg.errors.ObjectNotInPrerequisiteState as exc:  # installed but not in shared_preload_libraries
        conn.execute("ROLLBACK TO SAVEPOINT analytics_statements")
        return None, None, [f"pg_stat_statements cannot be read: {exc.diag.message_primary}"]
    conn.execute("RELEASE SAVEPOINT analytics_statements")
    return {r.pop("queryid"): r for r in rows}, reset, []


def read(conn: psycopg.Connection, *, max_relations: int) -> Reading:
    """One snapshot of the database `conn` is connected to."""
    with conn.cursor(row_factory=dict_row) as cur:
        database = cur.execute(DATABASE_SQL).fetchone()
        connections = {r["state"]: int(r["n"]) for r in cur.execute(CONNECTIONS_SQL).fetchall()}
        relations = cur.execute(RELATIONS_SQL, {"limit": max_relations}).fetchall()
    statements, reset, notes = read_statements(conn)
    return Reading(
        database_bytes=int(database.pop("database_bytes")),
        database={k: (int(v) if k in DATABASE_COUNTERS else v) for k, v in database.items()},
        connections=connections,
        relations=[dict(r, rows=None if r["rows"] is None else int(r["rows"])) for r in relations],
        statements=statements,
        statements_reset=reset,
        notes=notes,
    )


def read_texts(conn: psycopg.Connection, queryids: list[str]) -> dict[str, str]:
    """The statement texts of these query ids (read only for statements not seen before)."""
    if not queryids:
        return {}
    return dict(conn.execute(TEXTS_SQL, [queryids]).fetchall())


def database_deltas(previous: dict | None, current: dict) -> tuple[dict | None, bool]:
    """(the database counters' deltas or None for a first snapshot, whether the statistics were reset)."""
    if previous is None:
        return None, False
    reset = previous.get("stats_reset") != current.get("stats_reset") or any(
        current[k] < previous.get(k, 0) for k in DATABASE_COUNTERS
    )
    if reset:
        return {k: current[k] for k in DATABASE_COUNTERS}, True
    return {k: current[k] - previous[k] for k in DATABASE_COUNTERS}, False


def statement_deltas(
    previous: dict[str, dict] | None, current: dict[str, dict], *, previous_reset, current_reset
) -> tuple[dict[str, dict] | None, bool]:
    """(queryid -> counters' deltas, only those called since; or None for a first snapshot; whether reset).

    A statement new since the previous snapshot (or evicted and back, its calls lower than before) counts
    from zero; after a reset of pg_stat_statements every statement does.
    """
    if previous is None:
        return None, False
    reset = previous_reset is not None and current_reset is not None and previous_reset != current_reset
    deltas = {}
    for queryid, now in current.items():
        before = None if reset else previous.get(queryid)
        if before is None or now["calls"] < before["calls"]:
            delta = dict(now)
        else:
            delta = {k: now[k] - before[k] for k in STATEMENT_COUNTERS}
        if delta["calls"] > 0:
            deltas[queryid] = delta
    return deltas, reset


def statement_fingerprint(query: str) -> str:
    """The scan's fingerprint of a statement text (pglast); "" for the snapshot's own reads and unparsable text."""
    if "pg_stat_statements" in query:
        return ""
    fp = fingerprint(query)
    return "" if fp in OWN_FINGERPRINTS else fp


def by_fingerprint(deltas: dict[str, dict], fingerprints: dict[str, str]) -> dict[str, dict]:
    """Sum the deltas of the query ids that share a fingerprint (the same statement under several ids)."""
    summed: dict[str, dict] = {}
    for queryid, delta in deltas.items():
        fp = fingerprints.get(queryid) or ""
        if not fp:
            continue
        into = summed.setdefault(fp, dict.fromkeys(STATEMENT_COUNTERS, 0))
        for k in STATEMENT_COUNTERS:
            into[k] += delta[k]
    return summed
