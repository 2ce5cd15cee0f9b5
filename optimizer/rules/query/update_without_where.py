"""update-without-where: UPDATE without WHERE.

Its must-fire and must-not cases are in update_without_where.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule


def check(ctx: RuleContext) -> list[Finding]:
    return [
        ctx.finding(
            s.relation,
            f"UPDATE {s.relation.relname} changes every row.",
            fix=f"Add the WHERE clause; if every row of {s.relation.relname} must change, batch it by primary key ranges.",
        )
        for s in ctx.of(ast.UpdateStmt)
        if s.whereClause is None
    ]


RULE = Rule(
    id="update-without-where",
    title="UPDATE without WHERE",
    severity="critical",
    explanation="""An UPDATE without a WHERE clause rewrites every row of the table: a full-table write that
    bloats it, locks every row and is rarely what was meant.""",
    fix="Add the WHERE clause; if every row really must change, batch it (by primary key ranges).",
    example="UPDATE orders SET status = 'archived'",
    better="UPDATE orders SET status = 'archived' WHERE created_at < now() - interval '1 year'",
    check=check,
)
