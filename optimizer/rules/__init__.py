"""DBooster's rule engine: lint a SQL query against known anti-patterns and PostgreSQL planner traps.

    from optimizer.rules import analyze, SchemaInfo
    findings = analyze("SELECT * FROM orders WHERE status = NULL", schema=None)

Plain Python over pglast's parse tree; no Django. Rules that need schema facts (types, indexes, foreign keys,
row estimates) stay silent when `schema` is None or lacks the table.

Layout, bottom to top (each imports only what is above it in this list):

    model.py     plain data: Rule, Finding, SchemaInfo / TableInfo / ColumnInfo / IndexInfo
    tree.py      parse-tree helpers every rule shares (walk, column_parts, conjuncts, sql_of, ...)
    context.py   RuleContext: what a rule's check() sees (parents, scopes, schema look-ups, finding())
    facts.py     schema-fact helpers (type families, row thresholds, expression-index matching)
    <family>/    one module per rule, and its cases beside it:
                   query/<rule_id>.py   rules that need only the query text
                   schema/<rule_id>.py  rules that read schema facts (needs_schema=True)
    registry.py  loads the families (ORDER in each family's __init__), finds a rule by id

One rule is one module, named after its id (`-` becomes `_`):

    optimizer/rules/query/null_comparison.py
        def check(ctx: RuleContext) -> list[Finding]:
            ...  # walk ctx.of(ast.A_Expr), build the fix text from what this query wrote
            return [ctx.finding(node, message, fix=fix_for_this_query)]

        RULE = Rule(id="null-comparison", title=..., severity="critical", explanation=..., fix=...,
                    example=..., better=..., check=check)

    optimizer/rules/query/null_comparison.yaml
        rule: null-comparison
        fire: [SQL the rule must flag, ...]
        no_fire: [SQL it must leave alone, ...]   # {sql: ..., schema_only: true} when the case needs the schema

`explanation`, `fix`, `example` and `better` are the rule's doc page (`/app/rules/<id>/`, `GET /rules`); a
finding's own fix text is built by check() from the query in front of the user. Cases run against the shared
schema `cases_schema.json` (optimizer/tests/test_rules_corpus.py). To add a rule: write both files and add the
module name to the family's ORDER. Another rule set (migration safety) follows the same shape in its own family
package and loads it with `registry.load_family("<package>")`.
"""

from __future__ import annotations

import logging

from pglast import parse_sql
from pglast.parser import ParseError

from optimizer.rules.context import RuleContext
from optimizer.rules.model import ColumnInfo, Finding, IndexInfo, Rule, SchemaInfo, TableInfo
from optimizer.rules.registry import RULES, RULES_BY_ID, get_rule

__all__ = [
    "RULES",
    "RULES_BY_ID",
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
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class SqlSyntaxError(ValueError):
    """The query does not parse as PostgreSQL SQL. `location` is the character offset pglast reported."""

    def __init__(self, message: str, location: int | None = None):
        super().__init__(message)
        self.location = location


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
