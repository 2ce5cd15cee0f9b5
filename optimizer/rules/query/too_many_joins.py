"""too-many-joins: f"More than {JOIN_COLLAPSE_LIMIT} relations in one FROM".

Its must-fire and must-not cases are in too_many_joins.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import relation_count

JOIN_COLLAPSE_LIMIT = 8


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        count = relation_count(select)
        if count > JOIN_COLLAPSE_LIMIT:
            out.append(ctx.finding(select.fromClause[0], f"{count} relations joined: more than join_collapse_limit."))
    return out


RULE = Rule(
    id="too-many-joins",
    title=f"More than {JOIN_COLLAPSE_LIMIT} relations in one FROM",
    severity="info",
    explanation=f"""Past join_collapse_limit / from_collapse_limit ({JOIN_COLLAPSE_LIMIT} by default) the
    planner stops searching join orders and keeps the order written; past geqo_threshold (12) it switches to a
    genetic search. Plans for such queries are fragile.""",
    fix="""Drop joins whose columns are unused, pre-aggregate in CTEs or derived tables, or write the joins in
    the best order yourself (the planner follows it).""",
    example="SELECT ... FROM a JOIN b ON ... JOIN c ON ... (9 or more relations)",
    better="Split the query, or pre-join the small lookup tables.",
    check=check,
)
