"""deep-subquery-nesting: Deeply nested subqueries.

Its must-fire and must-not cases are in deep_subquery_nesting.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, relation_names, spoken_list
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import sql_of

MAX_SUBQUERY_DEPTH = 3


def check(ctx: RuleContext) -> list[Finding]:
    deepest, depth_max = None, 0
    for select in ctx.of(ast.SelectStmt):
        depth = sum(1 for a in ctx.ancestors(select) if isinstance(a, (ast.SubLink, ast.RangeSubselect)))
        if depth > depth_max:
            deepest, depth_max = select, depth
    if depth_max >= MAX_SUBQUERY_DEPTH:
        node = ctx.parent_of(deepest)
        return [ctx.finding(node, f"Subqueries nested {depth_max} levels deep.", fix=nesting_fix(ctx, deepest))]
    return []


def nesting_fix(ctx: RuleContext, deepest) -> str:
    """Name the chain of relations from the outer query down to the deepest subquery."""
    levels = [deepest, *(a for a in ctx.ancestors(deepest) if isinstance(a, ast.SelectStmt))]
    chain = [spoken_list(relation_names(s)) or "(no table)" for s in reversed(levels)]
    innermost = sql_of(deepest)
    return (
        f"Flatten the chain {' -> '.join(chain)} into joins (EXISTS where a level only filters, so no row is "
        f"repeated), or name each level with a CTE (one WITH entry per level, the first being the innermost "
        f"{code(innermost)})."
    )


RULE = Rule(
    id="deep-subquery-nesting",
    title="Deeply nested subqueries",
    severity="info",
    explanation=f"""Subqueries nested {MAX_SUBQUERY_DEPTH} or more levels deep are hard to read and often
    stop the planner from flattening them into joins.""",
    fix="Flatten into joins, or name the steps with CTEs (WITH ...).",
    example="SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region_id IN "
    "(SELECT id FROM regions WHERE country_id IN (SELECT id FROM countries WHERE eu)))",
    better="SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id JOIN regions r ON r.id = c.region_id "
    "JOIN countries k ON k.id = r.country_id WHERE k.eu",
    check=check,
)
