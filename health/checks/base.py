"""The shape of a health check and of what it reports: plain data, no Django."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str
    title: str
    objects: list[str]
    detail: str
    why: str
    fix: str
    fix_sql: str = ""
    fix_kind: str = ""  # "index" or "ddl" when fix_sql can go through approvals
    data: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    """One check: the SQL it reads and how rows turn into findings.

    `evaluate(rows, params)` gets the rows as dicts and the merged parameters, and returns findings.
    `scope` is "objects" for checks about tables/indexes/sequences of the database, "server" for
    checks about the server (settings, connections) that a dataset cannot make silent.
    """

    id: str
    title: str
    severity: str
    why: str
    sql: str
    evaluate: Callable[[list[dict], dict], list[Finding]]
    params: dict = field(default_factory=dict)
    scope: str = "objects"
    requires_extension: str | None = None

    def finding(self, *, objects, detail, fix, fix_sql="", fix_kind="", severity=None, data=None) -> Finding:
        return Finding(
            check=self.id,
            severity=severity or self.severity,
            title=self.title,
            objects=list(objects),
            detail=detail,
            why=self.why,
            fix=fix,
            fix_sql=fix_sql,
            fix_kind=fix_kind if fix_sql else "",
            data=data or {},
        )


def pretty_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
