"""The written report on a database: facts from our own checks and measurements, prose around them.

    from assistant.report import ReportFacts, build_report
    report = build_report(facts, write=None)           # prose from templates
    report = build_report(facts, write=ask_the_model)  # write(system, user) -> text: the model's prose, checked

The facts (size now and its growth, health findings, the slowest queries with the optimizer's advice) are
gathered by the caller; this engine orders what to do first, formats every value once, and writes each
section's prose from a template. When a `write` callable is given, the model is asked once for all sections'
prose (a JSON object, one text per section) and sees only the formatted facts; a section's model prose is
kept only if every number in it is a number of the facts shown. A foreign number (an invented size, a
percentage it computed, a count it guessed), an empty text, malformed output or a failed call, and the
template prose is used, with a note saying why. Plain Python, no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

SECTION_TITLES = {
    "size": "Size and growth",
    "health": "Health findings",
    "queries": "Slowest queries",
    "first": "What to do first",
}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
MAX_PRIORITIES = 5
MAX_PROSE_CHARS = 1_500
# A number as prose writes it: 12, 1,234, 3.5 (not the digits inside a name such as t1 or pg_stat_statements).
NUMBER = re.compile(r"(?<![A-Za-z_\d.,])\d+(?:,\d{3})*(?:\.\d+)?")

SYSTEM_PROMPT = """You write the prose of a report on a PostgreSQL database for its developers.
You receive the report's sections as JSON: each has a key, a title and its facts, already measured.
Answer with one JSON object mapping each section key to two to four plain sentences that explain that
section's facts and why they matter. Use only numbers that appear in the facts, written exactly as they
appear there; never compute, round or invent a number (no totals, ratios or percentages of your own). Do not
repeat SQL. No Markdown, no lists, no headings."""


# --- facts in ------------------------------------------------------------------------------------------------


@dataclass
class TableSize:
    name: str
    bytes: int
    rows: int | None = None


@dataclass
class Growth:
    """The database's size at the first and last snapshot of a period, and the tables that grew most."""

    since: str  # ISO date of the first snapshot
    until: str
    start_bytes: int
    end_bytes: int
    tables: list[TableSize] = field(default_factory=list)  # bytes: growth over the period


@dataclass
class HealthFinding:
    check: str
    severity: str
    title: str
    detail: str = ""
    fix: str = ""
    fix_sql: str = ""
    objects: list[str] = field(default_factory=list)


@dataclass
class Advice:
    """One piece of the optimizer's advice for a query: a rule's finding, or a measured suggestion."""

    text: str
    sql: str = ""
    speedup: float | None = None  # measured time before / after (None: not measured)
    rule_id: str = ""


@dataclass
class SlowQuery:
    query: str
    mean_ms: float
    calls: int | None = None
    total_ms: float | None = None
    share: float | None = None  # of the database's whole statement time
    advice: list[Advice] = field(default_factory=list)


@dataclass
class ReportFacts:
    project: str
    database: str
    measured_at: str  # ISO time the size was read
    database_bytes: int | None = None
    largest_tables: list[TableSize] = field(default_factory=list)
    growth: Growth | None = None
    growth_unavailable: str = ""  # why there is no growth (when growth is None)
    health_checked_at: str = ""
    health_findings: list[HealthFinding] = field(default_factory=list)
    health_unavailable: str = ""
    queries_source: str = ""  # "pg_stat_statements" or "past analyses"
    slow_queries: list[SlowQuery] = field(default_factory=list)
    queries_unavailable: str = ""


# --- report out --------------------------------------------------------------------------------------------


@dataclass
class Priority:
    rank: int
    title: str
    why: str
    action: str
    sql: str = ""


@dataclass
class Section:
    key: str
    title: str
    facts: dict
    prose: str
    prose_source: str  # "model" or "template"
    template_prose: str
    rejected: str = ""  # why the model's prose was not used


@dataclass
class Report:
    project: str
    database: str
    written_by: str  # "model" when any section kept the model's prose, else "templates"
    sections: list[Section]
    priorities: list[Priority]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# --- formatting: every value is formatted once, here ---------------------------------------------------------


def human_bytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    size = float(abs(n))
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            text = f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
            return ("-" if n < 0 else "") + text
        size /= 1024
    return str(n)


def human_ms(ms: float | None) -> str:
    if ms is None:
        return "unknown"
    if ms >= 1000:
        return f"{ms / 1000:,.1f} s"
    return f"{ms:,.1f} ms" if ms >= 1 else f"{ms:.2f} ms"


def human_count(n: int | None) -> str:
    return "unknown" if n is None else f"{n:,}"


def human_share(share: float | None) -> str:
    return "unknown" if share is None else f"{share * 100:.1f}%"


def short_sql(sql: str, limit: int = 160) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- sections ------------------------------------------------------------------------------------------------


def _size_section(facts: ReportFacts) -> tuple[dict, str]:
    tables = [
        {"table": t.name, "size": human_bytes(t.bytes), "rows": human_count(t.rows)} for t in facts.largest_tables
    ]
    data = {"database": facts.database, "size": human_bytes(facts.database_bytes), "measured_at": facts.measured_at}
    data["largest_tables"] = tables
    if facts.database_bytes is None:
        prose = f"The size of {facts.database} could not be read."
    else:
        prose = f"{facts.database} takes {data['size']} (read {facts.measured_at})."
    if tables:
        top = tables[0]
        prose += f" The largest table is {top['table']} with {top['size']}" + (
            f" and about {top['rows']} rows." if top["rows"] != "unknown" else "."
        )
    growth = facts.growth
    if growth is None:
        data["growth"] = {"available": False, "reason": facts.growth_unavailable or "no size history yet"}
        prose += f" Growth is not available: {data['growth']['reason']}."
        return data, prose
    change = growth.end_bytes - growth.start_bytes
    data["growth"] = {
        "available": True,
        "since": growth.since,
        "until": growth.until,
        "size_then": human_bytes(growth.start_bytes),
        "size_now": human_bytes(growth.end_bytes),
        "change": human_bytes(change),
        "tables": [{"table": t.name, "change": human_bytes(t.bytes)} for t in growth.tables],
    }
    g = data["growth"]
    verb = "grew by" if change > 0 else ("shrank by" if change < 0 else "kept its size,")
    amount = human_bytes(abs(change)) if change else ""
    prose += f" From {growth.since} to {growth.until} it {verb} {amount}".rstrip()
    prose += f" ({g['size_then']} to {g['size_now']})."
    if g["tables"]:
        prose += f" The table that grew most is {g['tables'][0]['table']} ({g['tables'][0]['change']})."
    return data, prose


def _health_section(facts: ReportFacts) -> tuple[dict, str]:
    findings = sorted(facts.health_findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_ORDER}
    data = {
        "checked_at": facts.health_checked_at,
        "findings_total": len(findings),
        "critical": counts["critical"],
        "warning": counts["warning"],
        "info": counts["info"],
        "findings": [
            {"severity": f.severity, "title": f.title, "objects": f.objects[:5], "detail": f.detail, "fix": f.fix}
            for f in findings
        ],
    }
    if facts.health_unavailable:
        data["unavailable"] = facts.health_unavailable
        return data, f"The health checks could not run: {facts.health_unavailable}."
    if not findings:
        return data, f"The health checks ({facts.health_checked_at}) found nothing to fix."
    prose = (
        f"The health checks ({facts.health_checked_at}) found {len(findings)} finding"
        f"{'s' if len(findings) != 1 else ''}: {counts['critical']} critical, {counts['warning']} warning and "
        f"{counts['info']} info."
    )
    first = findings[0]
    prose += f" The most serious is {first.title}" + (f" ({first.detail})." if first.detail else ".")
    return data, prose


def _queries_section(facts: ReportFacts) -> tuple[dict, str]:
    queries = [
        {
            "rank": i,
            "query": short_sql(q.query),
            "mean": human_ms(q.mean_ms),
            "calls": human_count(q.calls),
            "total": human_ms(q.total_ms),
            "share_of_time": human_share(q.share),
            "advice": [
                {
                    "advice": a.text,
                    "sql": a.sql,
                    "measured": f"{a.speedup:.1f}x faster" if a.speedup else "not measured",
                }
                for a in q.advice
            ],
        }
        for i, q in enumerate(facts.slow_queries, start=1)
    ]
    data = {"source": facts.queries_source, "queries": queries}
    if not queries:
        reason = facts.queries_unavailable or "no query was measured yet"
        data["unavailable"] = reason
        return data, f"No slow query can be shown: {reason}."
    top = queries[0]
    prose = f"The slowest query, measured from {facts.queries_source}, takes {top['mean']} on average"
    prose += f" over {top['calls']} calls." if top["calls"] != "unknown" else "."
    advised = sum(1 for q in queries if q["advice"])
    prose += (
        f" The optimizer has advice for {advised} of the {len(queries)} queries shown."
        if advised
        else f" The optimizer has no advice for the {len(queries)} queries shown."
    )
    return data, prose


def _findings_by_check(findings: list[HealthFinding]) -> list[list[HealthFinding]]:
    """Critical and warning findings, one group per check (five duplicate indexes are one thing to do)."""
    groups: dict[tuple[str, str], list[HealthFinding]] = {}
    for f in findings:
        if SEVERITY_ORDER.get(f.severity, 3) <= 1:
            groups.setdefault((f.severity, f.check), []).append(f)
    return list(groups.values())


def priorities(facts: ReportFacts) -> list[Priority]:
    """What to do first: critical health findings, then the slow queries with measured advice (most time
    first), then warnings (one step per check), then the other advised queries; at most MAX_PRIORITIES."""
    steps: list[tuple[tuple, Priority]] = []
    for group in _findings_by_check(facts.health_findings):
        f, order = group[0], SEVERITY_ORDER.get(group[0].severity, 3)
        why = f"{f.severity}: {f.detail}" if f.detail else f.severity
        title = f.title if len(group) == 1 else f"{f.title} ({len(group)} found)"
        sql = "\n".join(g.fix_sql for g in group[:MAX_PRIORITIES] if g.fix_sql)
        steps.append(((0 if order == 0 else 2, 0.0), Priority(0, title, why, f.fix, sql)))
    for q in facts.slow_queries:
        measured = [a for a in q.advice if a.speedup]
        best = max(measured, key=lambda a: a.speedup) if measured else (q.advice[0] if q.advice else None)
        if best is None:
            continue
        weight = -(q.total_ms or q.mean_ms or 0.0)
        why = f"{human_ms(q.mean_ms)} on average" + (f" over {human_count(q.calls)} calls" if q.calls else "")
        if best.speedup:
            why += f"; measured {best.speedup:.1f}x faster with the change"
        title = f"Speed up {short_sql(q.query, 80)}"
        steps.append(((1 if best.speedup else 3, weight), Priority(0, title, why, best.text, best.sql)))
    if facts.health_unavailable or (not facts.health_findings and not facts.health_checked_at):
        steps.append(((4, 0.0), Priority(0, "Run the health checks", "no health check has run", "Run them")))
    ordered = [p for _, p in sorted(steps, key=lambda s: s[0])][:MAX_PRIORITIES]
    for rank, step in enumerate(ordered, start=1):
        step.rank = rank
    return ordered


def _first_section(steps: list[Priority]) -> tuple[dict, str]:
    data = {"steps": [asdict(s) for s in steps]}
    if not steps:
        return data, "Nothing needs doing first: no critical finding and no slow query with advice."
    prose = f"Start with {steps[0].title} ({steps[0].why})."
    if len(steps) > 1:
        prose += f" Then {steps[1].title}."
    return data, prose


# --- the model's prose, checked ------------------------------------------------------------------------------


def _normal(number: str) -> str:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return number
    text = format(value.normalize(), "f")
    return text


def numbers_in(text: str) -> set[str]:
    """The numbers a text writes, normalized (1,234.50 -> 1234.5)."""
    return {_normal(m) for m in NUMBER.findall(text)}


def _facts_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def foreign_numbers(prose: str, allowed: set[str]) -> list[str]:
    return sorted(numbers_in(prose) - allowed)


def _parse_answer(text: str) -> dict:
    cleaned = text.strip()
    if cleaned.startswith("```"):
        cleaned = cleaned.strip("`")
        cleaned = cleaned.split("\n", 1)[1] if "\n" in cleaned else cleaned
    data = json.loads(cleaned)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _model_prose(sections: list[Section], write: Callable[[str, str], str]) -> tuple[dict, str]:
    """The model's text per section key, or ({}, why not)."""
    request = [{"key": s.key, "title": s.title, "facts": s.facts} for s in sections]
    try:
        answer = write(SYSTEM_PROMPT, _facts_text({"sections": request}))
    except Exception as exc:  # noqa: BLE001 - any failure of the model means: the templates write the report
        return {}, f"The model could not write the prose ({exc}); the templates wrote it."
    try:
        return _parse_answer(answer), ""
    except (ValueError, json.JSONDecodeError):
        return {}, "The model's answer was not a JSON object of texts per section; the templates wrote the prose."


def _accept(section: Section, text, allowed: set[str]) -> None:
    if not isinstance(text, str) or not text.strip():
        section.rejected = "the model wrote no text for this section"
        return
    text = " ".join(text.split())
    if len(text) > MAX_PROSE_CHARS:
        section.rejected = f"the model's text is longer than {MAX_PROSE_CHARS:,} characters"
        return
    foreign = foreign_numbers(text, allowed)
    if foreign:
        section.rejected = f"the model wrote numbers that are not among the facts ({', '.join(foreign[:5])})"
        return
    section.prose, section.prose_source = text, "model"


def build_report(facts: ReportFacts, write: Callable[[str, str], str] | None = None) -> Report:
    steps = priorities(facts)
    built = {
        "size": _size_section(facts),
        "health": _health_section(facts),
        "queries": _queries_section(facts),
        "first": _first_section(steps),
    }
    sections = [
        Section(key, SECTION_TITLES[key], data, prose, "template", prose) for key, (data, prose) in built.items()
    ]
    notes = []
    if write is not None:
        texts, problem = _model_prose(sections, write)
        if problem:
            notes.append(problem)
        else:
            for section in sections:
                # A section's prose may use the numbers of its own facts and of its template text only.
                allowed = numbers_in(_facts_text(section.facts)) | numbers_in(section.template_prose)
                _accept(section, texts.get(section.key), allowed)
    written_by = "model" if any(s.prose_source == "model" for s in sections) else "templates"
    return Report(facts.project, facts.database, written_by, sections, steps, notes)
