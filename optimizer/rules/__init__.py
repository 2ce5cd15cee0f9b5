"""DBooster's rule engine: lint a SQL query against known anti-patterns and PostgreSQL planner traps.

    from optimizer.rules import analyze, SchemaInfo
    findings = analyze("SELECT * FROM orders WHERE status = NULL", schema=None)

Plain Python over pglast's parse tree; no Django. Rules that need schema facts (types, indexes, foreign keys,
row estimates) stay silent when `schema` is None or lacks the table.
"""

from __future__ import annotations

import logging

from pglast import parse_sql
from pglast.parser import ParseError

from optimizer.rules import query_rules, schema_rules  # noqa: F401 - importing registers the rules
from optimizer.rules.context import RuleContext
from optimizer.rules.model import ColumnInfo, Finding, IndexInfo, Rule, SchemaInfo, TableInfo
from optimizer.rules.registry import RULES

__all__ = [
    "RULES",
    "ColumnInfo",
    "Finding",
    "IndexInfo",
    "Rule",
    "RuleContext",
    "SchemaInfo",
    "TableInfo",
    "analyze",
    "get_rule",
    "SqlSyntaxError",
]

logger = logging.getLogger(__name__)
RULES_BY_ID = {r.id: r for r in RULES}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class SqlSyntaxError(ValueError):
    """The query does not parse as PostgreSQL SQL. `location` is the character offset pglast reported."""

    def __init__(self, message: str, location: int | None = None):
        super().__init__(message)
        self.location = location


def get_rule(rule_id: str) -> Rule | None:
    return RULES_BY_ID.get(rule_id)


def parse(sql: str):
    try:
        return parse_sql(sql)
    except ParseError as exc:
        # pglast: ParseError(message, character offset of the error)
        location = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        raise SqlSyntaxError(str(exc.args[0] if exc.args else exc), location) from exc


def analyze(
    sql: str, schema: SchemaInfo | None = None, rules: list[Rule] | None = None, strict: bool = False
) -> list[Finding]:
    """Every finding for `sql`, most severe first, then in query order. Raises SqlSyntaxError.

    A rule that fails on an unusual tree is logged and skipped so the others still report; `strict=True`
    (the tests) lets the error through instead."""
    ctx = RuleContext(sql, parse(sql), schema)
    findings: list[Finding] = []
    for rule in rules if rules is not None else RULES:
        if rule.needs_schema and schema is None:
            continue
        ctx.rule = rule
        try:
            findings.extend(rule.check(ctx))
        except Exception:
            if strict:
                raise
            logger.exception("rule %s failed", rule.id)
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), (f.location or {}).get("start", 1 << 30)))
    return findings
