"""What the engine takes in and gives back: plain data, no Django."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class TableFacts:
    """What the live catalog says about a table the script touches."""

    rows: int | None = None  # pg_class.reltuples; None when unknown
    size_bytes: int | None = None


@dataclass(frozen=True)
class CodeQuery:
    """A query the project's code runs, from a repository scan: where it is and its text."""

    location: str  # "app/models.py:42"
    sql: str


@dataclass
class Facts:
    """Everything outside the script that a rule may weigh.

    Tables are keyed by lower-case name, bare ("orders") and schema-qualified ("public.orders").
    """

    tables: dict[str, TableFacts] = field(default_factory=dict)
    code_queries: list[CodeQuery] = field(default_factory=list)
    server_version_num: int = 150000
    # Whoever runs the script sets lock_timeout first (DBooster's own applier does).
    runner_sets_lock_timeout: bool = False

    def table(self, name: str | None) -> TableFacts | None:
        return self.tables.get((name or "").lower()) if name else None

    def table_exists(self, name: str | None) -> bool:
        return self.table(name) is not None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    statement: int  # index of the statement in the script, from 0
    message: str  # says what is wrong with this statement, naming its objects
    safer: str = ""  # a safer way to write it, as SQL, where there is one


@dataclass(frozen=True)
class StatementReview:
    index: int
    sql: str
    lock: str  # the strongest table lock it takes ("ACCESS EXCLUSIVE", ...), "" when none
    tables: tuple[str, ...]  # the tables it locks
    blocks: str  # what that lock blocks, in words
    rewrites_table: bool  # the whole table is rewritten (or scanned) while the lock is held
    table_rows: int | None = None
    table_bytes: int | None = None


@dataclass(frozen=True)
class Review:
    statements: tuple[StatementReview, ...]
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> str:
        for severity in SEVERITIES:
            if any(f.severity == severity for f in self.findings):
                return severity
        return "ok"

    def as_dict(self) -> dict:
        return {
            "worst": self.worst,
            "statements": [s.__dict__ | {"tables": list(s.tables)} for s in self.statements],
            "findings": [f.__dict__ for f in self.findings],
        }


@dataclass(frozen=True)
class Rule:
    """One migration-safety rule: found by `id`, documented by `title`/`why`, run by `check`.

    `check(statement, script)` yields findings for one statement; `script` gives the statements around
    it and the facts. `must_fire` and `must_not` are the cases that prove the rule, kept beside it.
    """

    id: str
    severity: str
    title: str
    why: str
    check: Callable[..., Iterable[Finding]]
    must_fire: tuple[str, ...]
    must_not: tuple[str, ...]
    safer_example: str = ""

    def finding(self, statement, message: str, safer: str = "", severity: str | None = None) -> Finding:
        return Finding(self.id, severity or self.severity, statement.index, message, safer)
