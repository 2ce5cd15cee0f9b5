"""The advisor corpus: load the cases, run the advisor on each, and score it against the expected index.

SAME: the advisor proposes the expected index (or one of the written alternatives), or nothing where nothing is
expected. BETTER: it proposes another set, and the query's planner cost with that set, measured, is no higher
than with the expected set. WORSE: another set that costs more, or an index where none was expected. MISSED:
nothing where an index was expected. CRASH: the advisor raised.

B-tree, hash and BRIN candidates are measured with HypoPG. GIN and GiST ones (trigram, jsonb and array cases), which
HypoPG cannot simulate, are built for real in the sandbox (a rolled-back transaction on the corpus database) and
measured the same way: the planner's cost with the built index, and, in the benchmark, the query's time with and
without it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import yaml

from optimizer import advisor

HERE = Path(__file__).resolve().parent
VERDICTS = ("SAME", "BETTER", "WORSE", "MISSED", "CRASH")


@dataclass
class Case:
    id: str
    family: str
    schema: str
    query: str
    expected: list[str]  # empty: no index expected
    alternatives: list[list[str]] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class Outcome:
    case: Case
    verdict: str
    proposed: list[str] = field(default_factory=list)
    cost_base: float | None = None
    cost_expected: float | None = None
    cost_advisor: float | None = None
    error: str = ""
    verification: str = ""  # how the proposed set was measured: hypopg, sandbox (built for real), estimate-only
    time_before_ms: float | None = None  # sandboxed: the query's median time without and with the built index
    time_after_ms: float | None = None
    cost_after: float | None = None  # the planner's cost with the proposed set


# Families whose indexes HypoPG cannot simulate (GIN, GiST): built for real in the sandbox, like the others measured.
SANDBOX_FAMILIES = {"trigram", "jsonb", "array"}


def needs_sandbox(case: Case) -> bool:
    """A case whose expected (or alternative) index HypoPG cannot simulate, or of a GIN family: measured by building
    the indexes for real in a rolled-back transaction, never compared by shape alone."""
    methods = {_parse(ddl).method for option in [case.expected, *case.alternatives] for ddl in option}
    return case.family in SANDBOX_FAMILIES or bool(methods - advisor.HYPOPG_METHODS)


def _as_list(value) -> list[str]:
    if value in (None, "none"):
        return []
    return [value] if isinstance(value, str) else list(value)


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(HERE.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text()):
            cases.append(
                Case(
                    id=raw["id"],
                    family=raw["family"],
                    schema=path.stem,
                    query=raw["query"],
                    expected=_as_list(raw["expected"]),
                    alternatives=[_as_list(a) for a in raw.get("alternatives", [])],
                    setup=_as_list(raw.get("setup")),
                    reason=raw.get("reason", ""),
                )
            )
    return cases


def _norm_key(key: str) -> str:
    key = re.sub(r"\s+", " ", key.replace('"', "").lower()).strip()
    return re.sub(r"^\((.*)\)$", r"\1", key.replace(" asc", "").replace(" nulls last", ""))


def signature(cand: advisor.Candidate) -> tuple:
    keys = [_norm_key(k) for k in cand.keys]
    if all(k.endswith(" desc") for k in keys):  # one direction throughout: a B-tree reads it both ways
        keys = [k[: -len(" desc")] for k in keys]
    where = _norm_key(cand.where or "").replace("::text", "").replace("cast(", "").replace(" as text)", "")
    return (cand.schema.lower(), cand.table.lower(), cand.method, tuple(keys), where)


def _parse(ddl: str) -> advisor.Candidate:
    cand = advisor.parse_index_ddl(ddl)
    if cand is None:
        raise ValueError(f"not a CREATE INDEX statement: {ddl}")
    return cand


def _matches(expected: list[str], proposed: set[tuple]) -> bool:
    return all(signature(_parse(ddl)) in proposed for ddl in expected)


def _cost_with(conn, query: str, candidates: list[advisor.Candidate], *, sandbox: bool) -> float | None:
    whatif = advisor.WhatIf(conn, hypopg=True, sandbox=sandbox)
    added = []
    try:
        for cand in candidates:
            if whatif.mode_for(cand) == advisor.ESTIMATE_ONLY:
                return None
            whatif.add(cand)
            added.append(cand)
        return whatif.measure(query).cost
    finally:
        whatif.remove_all(added)


def _build_for_real(conn, candidates: list[advisor.Candidate]) -> None:
    """Every proposed index, built for real (without CONCURRENTLY, which a transaction refuses), then undone."""
    for cand in candidates:
        conn.execute("SAVEPOINT corpus_ddl")
        conn.execute(cand.ddl(concurrently=False))
        conn.execute("ROLLBACK TO SAVEPOINT corpus_ddl")


def run_case(
    conn: psycopg.Connection,
    case: Case,
    *,
    allow_sandbox: bool | None = None,
    execute_ddl: bool = False,
    measure_time: bool = False,
) -> Outcome:
    """Advise on one case inside a transaction that is rolled back; the verdict against the expected set.

    `allow_sandbox` None: the sandbox for the cases that need it (GIN, GiST) and HypoPG alone for the others.
    `measure_time`: a sandboxed index is also timed (the query with and without it) and dropped when no faster."""
    sandbox = needs_sandbox(case) if allow_sandbox is None else allow_sandbox
    try:
        for statement in case.setup:
            conn.execute(statement)
        result = advisor.advise(
            conn, case.query, allow_sandbox=sandbox, min_gain=0.2, min_rows=1000, measure_time=measure_time
        )
    except Exception as exc:  # noqa: BLE001 - a crash is the verdict
        conn.rollback()
        return Outcome(case, "CRASH", error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    proposed = [s.candidate for s in result.suggestions]
    outcome = Outcome(case, "", [c.ddl(concurrently=False) for c in proposed], cost_base=result.cost_before)
    outcome.verification = ",".join(sorted({s.verification for s in result.suggestions}))
    outcome.cost_after = result.cost_after
    timed = [s for s in result.suggestions if s.time_after_ms is not None]
    if timed:
        outcome.time_before_ms, outcome.time_after_ms = timed[0].time_before_ms, timed[0].time_after_ms
    if execute_ddl:
        try:
            _build_for_real(conn, proposed)
        except psycopg.Error as exc:
            conn.rollback()
            return Outcome(case, "CRASH", outcome.proposed, error=f"proposed DDL failed: {exc}")
    signatures = {signature(c) for c in proposed}
    try:
        outcome.verdict = _verdict(conn, case, result, proposed, signatures, outcome, sandbox)
    except Exception as exc:  # noqa: BLE001 - a failure to measure the expected set is reported, not a crash
        outcome.verdict, outcome.error = "WORSE", f"expected set not measurable: {exc}"
    conn.rollback()
    return outcome


def _verdict(conn, case, result, proposed, signatures, outcome, allow_sandbox) -> str:
    if not case.expected:
        return "SAME" if not proposed else "WORSE"
    if any(_matches(option, signatures) for option in [case.expected, *case.alternatives]):
        return "SAME"
    if not proposed:
        return "MISSED"
    expected = [_parse(ddl) for ddl in case.expected]
    outcome.cost_expected = _cost_with(conn, case.query, expected, sandbox=allow_sandbox)
    outcome.cost_advisor = result.cost_after
    if outcome.cost_expected is None or outcome.cost_advisor is None:
        return "WORSE"  # not measurable side by side: no claim of better
    return "BETTER" if outcome.cost_advisor <= outcome.cost_expected * 1.01 else "WORSE"


def run_schema(
    url: str,
    cases: list[Case],
    *,
    allow_sandbox: bool | None = None,
    execute_ddl: bool = False,
    measure_time: bool = False,
) -> list[Outcome]:
    outcomes = []
    with psycopg.connect(url) as conn:
        conn.execute("SET statement_timeout = '60s'")
        conn.commit()
        for case in cases:
            outcomes.append(
                run_case(conn, case, allow_sandbox=allow_sandbox, execute_ddl=execute_ddl, measure_time=measure_time)
            )
    return outcomes


def family_table(outcomes: list[Outcome]) -> list[tuple]:
    """(family, cases, SAME, BETTER, WORSE, MISSED, CRASH, share SAME-or-BETTER), sorted, with a total row."""
    by_family: dict[str, Counter] = defaultdict(Counter)
    for o in outcomes:
        by_family[o.case.family][o.verdict] += 1
    rows = []
    total = Counter()
    for family in sorted(by_family):
        counts = by_family[family]
        total.update(counts)
        rows.append(_row(family, counts))
    rows.append(_row("ALL", total))
    return rows


def _row(name: str, counts: Counter) -> tuple:
    n = sum(counts.values())
    good = counts["SAME"] + counts["BETTER"]
    return (name, n, *(counts[v] for v in VERDICTS), good / n if n else 0.0)


def share_same_or_better(outcomes: list[Outcome]) -> float:
    return sum(o.verdict in ("SAME", "BETTER") for o in outcomes) / max(len(outcomes), 1)
