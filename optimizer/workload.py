"""Workload: the target's top queries from pg_stat_statements, and one index set for all of them.

Plain Python over a psycopg connection. `top_queries` reads pg_stat_statements;
`advise_workload` chooses indexes greedily under a budget (total bytes and count): each
round adds the candidate with the largest time saved across every query it serves,
less its write cost on busy tables, measured with the indexes chosen so far in place.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import pglast
import psycopg

from optimizer import advisor

# Keeping one more index up to date costs roughly this much per written row (ms).
WRITE_COST_MS_PER_ROW = 0.002


@dataclass
class WorkloadItem:
    query: str
    # None: no timing known (queries from a scan); the planner's cost stands in for time.
    total_time_ms: float | None = None
    calls: int = 1
    mean_time_ms: float = 0.0
    rows: int = 0
    fingerprint: str = ""


def fingerprint(sql: str) -> str:
    try:
        return pglast.fingerprint(sql)
    except Exception:  # noqa: BLE001 - pglast's ParseError; an unparsable text has no fingerprint
        return ""


def top_queries(conn: psycopg.Connection, *, limit: int = 50) -> tuple[list[WorkloadItem], float]:
    """The database's top statements by total time, and the database's whole time (ms)."""
    if not advisor.has_extension(conn, "pg_stat_statements"):
        raise LookupError("pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements)")
    version = advisor.server_version(conn)
    total_col = "total_exec_time" if version >= 130000 else "total_time"
    mean_col = "mean_exec_time" if version >= 130000 else "mean_time"
    where = "s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    total = conn.execute(f"SELECT coalesce(sum({total_col}), 0) FROM pg_stat_statements s WHERE {where}").fetchone()[0]
    rows = conn.execute(
        f"""SELECT s.query, s.calls, s.{total_col}, s.{mean_col}, s.rows
              FROM pg_stat_statements s
             WHERE {where} AND s.query ~* '^\\s*(select|with|update|delete|insert|merge)\\s'
               AND s.query !~* 'pg_stat_statements|hypopg'
             ORDER BY s.{total_col} DESC LIMIT %s""",
        [limit],
    ).fetchall()
    items = [
        WorkloadItem(q, float(t), int(c), float(m), int(r), fingerprint(q)) for q, c, t, m, r in rows if fingerprint(q)
    ]
    return items, float(total)


@dataclass
class WorkloadIndex:
    candidate: advisor.Candidate
    size_bytes: int
    benefit_ms: float
    write_cost_ms: float
    serves: list[int] = field(default_factory=list)  # positions in the workload

    def as_dict(self) -> dict:
        return {
            "sql": self.candidate.ddl(concurrently=True),
            "table": f"{self.candidate.schema}.{self.candidate.table}",
            "size_bytes": self.size_bytes,
            "benefit_ms": round(self.benefit_ms, 3),
            "write_cost_ms": round(self.write_cost_ms, 3),
            "serves": self.serves,
            "rationale": self.candidate.reason,
        }


def advise_workload(
    conn: psycopg.Connection,
    items: list[WorkloadItem],
    *,
    budget_bytes: int = 1 << 30,
    max_indexes: int = 10,
    allow_sandbox: bool = False,
    min_gain: float = 0.05,
    min_rows: float = 1000,
    write_cost_ms_per_row: float = WRITE_COST_MS_PER_ROW,
    include_catalog_queries: bool = False,
) -> dict:
    """One index set for the whole workload; the caller rolls the connection back after.

    Each index's write cost is the table's rows written since the statistics were reset (pg_stat_user_tables)
    times `write_cost_ms_per_row`: the same period pg_stat_statements' times cover.
    """
    hypopg = advisor.has_extension(conn, "hypopg")
    if not hypopg and not allow_sandbox:
        return {
            "verification": advisor.ESTIMATE_ONLY,
            "indexes": [],
            "notes": ["HypoPG is not installed and sandboxed indexes are not allowed here: nothing can be measured."],
        }
    whatif = advisor.WhatIf(conn, hypopg=hypopg, sandbox=allow_sandbox)
    trgm = advisor.has_extension(conn, "pg_trgm")
    tables: dict = {}
    usable: list[int] = []
    base: dict[int, float] = {}
    cand_queries: dict[tuple, tuple[advisor.Candidate, list[int]]] = {}
    notes: list[str] = []
    skipped: list[dict] = []
    unmeasured: dict[str, str] = {}  # GIN/GiST candidates nothing here can measure: reported, never dropped silently
    by_table: dict[tuple, list[int]] = {}
    timed = True
    for i, item in enumerate(items):
        try:
            context = _analyse(conn, item.query)
        except Exception as exc:  # noqa: BLE001 - one bad statement must not sink the workload
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            skipped.append({"position": i, "query": item.query, "reason": f"could not be planned: {reason}"})
            continue
        if context.reads_only_catalogs and not include_catalog_queries:
            skipped.append(
                {"position": i, "query": item.query, "reason": "reads only system catalogs (a monitoring query)"}
            )
            continue
        try:
            base[i] = _measure_alone(conn, whatif, item.query)
            cands, _ = advisor.generate_candidates(
                item.query,
                context.tables,
                min_rows=min_rows,
                trgm_available=trgm,
                shapes=context.shapes,
                via_views=context.via_views,
            )
        except Exception as exc:  # noqa: BLE001 - as above
            skipped.append({"position": i, "query": item.query, "reason": f"could not be measured: {_first_line(exc)}"})
            continue
        usable.append(i)
        if item.total_time_ms is None:
            item.total_time_ms = base[i]
            timed = False
        for info in context.tables.values():
            tables[(info.schema, info.name)] = info
            queries = by_table.setdefault((info.schema, info.name), [])
            if i not in queries:
                queries.append(i)
        for c in cands:
            if whatif.mode_for(c) == advisor.ESTIMATE_ONLY or c.needs_extension:
                unmeasured.setdefault(c.ddl(), c.reason)
                continue
            cand_queries.setdefault(c.signature, (c, []))[1].append(i)
    for s in skipped:
        notes.append(f"query {s['position']} left out: {s['reason']}")
    for ddl, reason in unmeasured.items():
        notes.append(
            f"Estimate-only, not in the measured set: {ddl} ({reason}); HypoPG cannot simulate this index kind and "
            "this connection does not allow building it in a rolled-back transaction."
        )

    ctx = _Selection(whatif, items, usable, base, tables, by_table, cand_queries, budget_bytes, max_indexes, min_gain)
    ctx.write_cost_ms_per_row = write_cost_ms_per_row if timed else 0.0
    # Greedy two ways (benefit per byte, plain benefit); the set that saves more time wins.
    runs = [_select(ctx, per_byte=True), _select(ctx, per_byte=False)]
    chosen, per_query = max(runs, key=lambda r: sum(q["saving_ms"] for q in r[1]))
    chosen = [c for c in chosen if c.serves]  # an index no query uses in the end is not worth its writes
    if not timed:
        notes.append("No timings: each query is weighed by its planner cost, and write costs are not counted.")
    not_measured = _not_measured(ctx.failures)
    notes.extend(n["note"] for n in not_measured)
    total = sum(items[i].total_time_ms for i in usable) or 1.0
    saved = sum(q["saving_ms"] for q in per_query)
    return {
        "verification": advisor.HYPOPG if hypopg else advisor.SANDBOX,
        "indexes": [c.as_dict() for c in chosen],
        "budget": {
            "bytes_used": sum(c.size_bytes for c in chosen),
            "bytes_allowed": budget_bytes,
            "count": len(chosen),
            "max_indexes": max_indexes,
        },
        "queries": sorted(per_query, key=lambda q: -q["saving_ms"]),
        "estimated_gain": round(saved / total, 4),
        "estimated_saving_ms": round(saved, 3),
        "notes": notes,
        "skipped": skipped,
        "estimate_only": [{"sql": ddl, "rationale": reason} for ddl, reason in unmeasured.items()],
        "not_measured": [{k: v for k, v in n.items() if k != "note"} for n in not_measured],
    }


def _not_measured(failures: dict) -> list[dict]:
    """Each candidate or statement a measurement failed on, with the error: a note and a structured entry."""
    out = []
    for (ddl, position), error in failures.items():
        if ddl is not None:
            note = f"Not measured, so not chosen: {ddl} ({error})."
        else:
            note = f"Query {position} could not be planned with the chosen indexes in place ({error})."
        out.append({"sql": ddl, "position": position, "error": error, "note": note})
    return out


def _measure_alone(conn: psycopg.Connection, whatif: advisor.WhatIf, query: str) -> float:
    """The statement's cost with no new index (a failure leaves the transaction usable)."""
    with _savepoint(conn, "dbooster_workload_item"):
        return whatif.measure(query).cost


@contextmanager
def _savepoint(conn: psycopg.Connection, name: str):
    """A failure inside rolls back to here and propagates: the transaction, its read-only flag and timeouts, and
    the indexes already in place stay as they were."""
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except Exception:
        conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
        raise
    conn.execute(f"RELEASE SAVEPOINT {name}")


@dataclass
class _Selection:
    whatif: advisor.WhatIf
    items: list
    usable: list
    base: dict
    tables: dict
    by_table: dict
    cand_queries: dict
    budget_bytes: int
    max_indexes: int
    min_gain: float
    write_cost_ms_per_row: float = 0.0
    # What could not be measured, and why: (candidate DDL or None, statement position or None) -> the error.
    failures: dict = field(default_factory=dict)

    def failed(self, exc: Exception, *, candidate: advisor.Candidate | None = None, position: int | None = None):
        key = (candidate.ddl() if candidate is not None else None, position)
        self.failures.setdefault(key, _first_line(exc))


def _select(ctx: _Selection, *, per_byte: bool) -> tuple[list[WorkloadIndex], list[dict]]:
    """One greedy pass; leaves no index in place. Returns the set and each query's cost with it."""
    whatif, items, usable, base, tables, by_table = (
        ctx.whatif,
        ctx.items,
        ctx.usable,
        ctx.base,
        ctx.tables,
        ctx.by_table,
    )
    budget_bytes, max_indexes, min_gain = ctx.budget_bytes, ctx.max_indexes, ctx.min_gain
    cand_queries = ctx.cand_queries
    chosen: list[WorkloadIndex] = []
    current = dict(base)
    used_bytes = 0
    remaining = {sig: c for sig, (c, _) in cand_queries.items()}
    # A candidate's benefit changes when any index on a table its queries read joins the set (a join's plan can
    # change with an index on the other side): remember it only till then.
    cache: dict[tuple, tuple[float, int]] = {}
    tables_of_query: dict[int, set] = {}
    for table_key, queries in by_table.items():
        for q in queries:
            tables_of_query.setdefault(q, set()).add(table_key)
    try:
        while len(chosen) < max_indexes and remaining:
            best = None
            for sig, cand in list(remaining.items()):
                table_key = (cand.schema, cand.table)
                queries = by_table.get(table_key, [])
                if any(_redundant(cand, c.candidate) for c in chosen):
                    remaining.pop(sig)
                    continue
                touched = set().union(*(tables_of_query.get(q, set()) for q in queries)) if queries else set()
                state = (sig, tuple(c.candidate.signature for c in chosen if _table(c.candidate) in touched))
                if state not in cache:
                    try:
                        cache[state] = _benefit(whatif, cand, items, queries, current)
                    except psycopg.Error as exc:
                        # Reported with the error in the advice's notes, never dropped in silence.
                        ctx.failed(exc, candidate=cand)
                        remaining.pop(sig)
                        continue
                benefit, size = cache[state]
                if used_bytes + size > budget_bytes:
                    continue
                info = next((t for t in tables.values() if (t.schema, t.name) == table_key), None)
                # Write cost is in ms; without real timings there is nothing to weigh it against.
                write_cost = (info.writes if info else 0) * ctx.write_cost_ms_per_row
                net = benefit - write_cost
                total_time = sum(items[q].total_time_ms for q in queries) or 1.0
                if benefit / total_time < min_gain or net <= 0:
                    continue
                # Benefit per byte, with each index charged at least a fair share of the budget: under a tight
                # byte budget small indexes that save much win; under a count limit, the biggest savings do.
                rank = net / (size + budget_bytes / max(max_indexes, 1)) if per_byte else net
                if best is None or rank > best[1]:
                    best = (cand, rank, size, benefit, write_cost)
            if best is None:
                break
            cand, _net, size, benefit, write_cost = best
            remaining.pop(cand.signature)
            # The chosen index stays in place for the next rounds (hypothetical or sandboxed).
            try:
                whatif.add(cand)  # a failure leaves the transaction as it was (the index's own savepoint)
            except psycopg.Error as exc:
                ctx.failed(exc, candidate=cand)
                continue
            chosen.append(WorkloadIndex(cand, size, benefit, write_cost))
            used_bytes += size
            used_names: set[str] = set()
            for q in by_table.get(_table(cand), []):
                m = _measure(ctx, q)
                if m is None:
                    used_names |= {whatif.name_of(c.candidate) for c in chosen}  # unknown: keep every index
                    continue
                current[q] = m.cost
                used_names |= m.used
            # An index the new one superseded (no query on its table uses it now) gives its bytes back.
            for old in [c for c in chosen if _table(c.candidate) == _table(cand)]:
                name = whatif.name_of(old.candidate)
                if name not in used_names and whatif.mode_for(old.candidate) == advisor.HYPOPG:
                    whatif.remove(old.candidate)
                    chosen.remove(old)
                    used_bytes -= old.size_bytes
                    remaining.pop(old.candidate.signature, None)

        # Final pass: every query planned with the whole set; who uses what.
        per_query = []
        name_of = {whatif.name_of(c.candidate): c for c in chosen}
        for i in usable:
            m = _measure(ctx, i)
            if m is None:
                continue
            for name in m.used:
                if name in name_of:
                    name_of[name].serves.append(i)
            ratio = m.cost / base[i] if base[i] else 1.0
            per_query.append(
                {
                    "position": i,
                    "query": items[i].query,
                    "cost_before": base[i],
                    "cost_after": m.cost,
                    "total_time_ms": items[i].total_time_ms,
                    "saving_ms": round(max(0.0, items[i].total_time_ms * (1 - ratio)), 3),
                    "indexes": sorted(name_of[n].candidate.ddl(concurrently=True) for n in m.used if n in name_of),
                }
            )
    finally:
        whatif.remove_all(c.candidate for c in chosen)
    return chosen, per_query


def _measure(ctx: _Selection, position: int) -> advisor.Measurement | None:
    """The statement's cost with the indexes in place, or None (reported) when it cannot be planned now."""
    try:
        with _savepoint(ctx.whatif.conn, "dbooster_workload_measure"):
            return ctx.whatif.measure(ctx.items[position].query)
    except psycopg.Error as exc:
        ctx.failed(exc, position=position)
        return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _analyse(conn: psycopg.Connection, query: str) -> advisor.QueryContext:
    """The statement's context: a statement that fails to plan leaves the transaction usable."""
    with _savepoint(conn, "dbooster_workload_item"):
        return advisor.analyse_query(conn, query)


def _redundant(cand: advisor.Candidate, chosen: advisor.Candidate) -> bool:
    """`cand` duplicates `chosen` or is a prefix of it: the chosen index serves whatever `cand` would."""
    same_kind = (cand.schema, cand.table, cand.method, cand.where) == (
        chosen.schema,
        chosen.table,
        chosen.method,
        chosen.where,
    )
    return same_kind and chosen.keys[: len(cand.keys)] == cand.keys


def _table(cand: advisor.Candidate) -> tuple:
    return (cand.schema, cand.table)


def _benefit(whatif, cand, items, queries, current) -> tuple[float, int]:
    """Time saved across `queries` if `cand` joined the indexes in place, and its size; a failure (a refused
    definition, a lock or statement timeout) leaves everything as it was and propagates."""
    try:
        with _savepoint(whatif.conn, "dbooster_workload_benefit"):
            _, name, size = whatif.add(cand)
            benefit = 0.0
            for q in queries:
                m = whatif.measure(items[q].query)
                if name in m.used and current[q] > 0:
                    benefit += items[q].total_time_ms * max(0.0, (current[q] - m.cost) / current[q])
            whatif.remove(cand)
    except psycopg.Error:
        whatif.discard(cand)
        raise
    return benefit, size
