"""delete-without-where: DELETE without WHERE.

Its must-fire and must-not cases are in delete_without_where.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule


def check(ctx: RuleContext) -> list[Finding]:
    return [
        ctx.finding(
            s.relation,
            f"DELETE FROM {s.relation.relname} removes every row.",
            fix=f"Add the WHERE clause, or empty the table with `TRUNCATE {s.relation.relname}`.",
        )
        for s in ctx.of(ast.DeleteStmt)
        if s.whereClause is None
    ]


RULE = Rule(
    id="delete-without-where",
    title="DELETE without WHERE",
    severity="critical",
    explanation="""A DELETE without a WHERE clause removes every row, one by one, writing WAL for each and
    leaving the table bloated. If that is the intent, TRUNCATE is instant.""",
    fix="Add the WHERE clause, or use TRUNCATE to empty a table.",
    example="DELETE FROM events",
    better="DELETE FROM events WHERE created_at < now() - interval '90 days'",
    check=check,
)
