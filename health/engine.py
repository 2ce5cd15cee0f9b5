"""Run health checks over one open connection, each in a savepoint so one failure spoils nothing.

Plain Python: the caller opens the connection (read only, with a statement timeout) and passes it in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from health.checks import ALL_CHECKS
from health.checks.base import SEVERITIES, Check, Finding


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # check id -> why it did not run
    errors: dict[str, str] = field(default_factory=dict)  # check id -> the database's message
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        findings = sorted(self.findings, key=lambda f: (order.get(f.severity, 9), f.check))
        return {
            "findings": [f.as_dict() for f in findings],
            "ran": self.ran,
            "skipped": self.skipped,
            "errors": self.errors,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def installed_extensions(conn: psycopg.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT extname FROM pg_extension").fetchall()}


def run_check(conn: psycopg.Connection, check: Check, overrides: dict | None = None) -> list[Finding]:
    params = {**check.params, **(overrides or {})}
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(check.sql, params)
        rows = cur.fetchall()
    return check.evaluate(rows, params)


def run_checks(
    conn: psycopg.Connection,
    checks: list[Check] | None = None,
    *,
    params: dict[str, dict] | None = None,
) -> Report:
    """Run `checks` (default: all) inside the caller's open transaction; `params` overrides per check id."""
    report = Report()
    started = time.monotonic()
    extensions = installed_extensions(conn)
    for check in checks or ALL_CHECKS:
        if check.requires_extension and check.requires_extension not in extensions:
            report.skipped[check.id] = f"the {check.requires_extension} extension is not installed"
            continue
        conn.execute("SAVEPOINT health_check")
        try:
            report.findings.extend(run_check(conn, check, (params or {}).get(check.id)))
            report.ran.append(check.id)
        except psycopg.Error as exc:
            conn.execute("ROLLBACK TO SAVEPOINT health_check")
            report.errors[check.id] = (exc.diag.message_primary if exc.diag else None) or str(exc)
        else:
            conn.execute("RELEASE SAVEPOINT health_check")
    report.elapsed_ms = (time.monotonic() - started) * 1000
    return report
