"""correlated-subquery-filter: Correlated scalar subquery in WHERE.

Its must-fire and must-not cases are in correlated_subquery_filter.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import is_scalar_correlated


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for sub in ctx.of(ast.SubLink):
        if is_scalar_correlated(ctx, sub) and ctx.in_predicate(sub):
            out.append(ctx.finding(sub, "Correlated scalar subquery in a condition runs once per candidate row."))
    return out


RULE = Rule(
    id="correlated-subquery-filter",
    title="Correlated scalar subquery in WHERE",
    severity="warning",
    explanation="""A condition comparing a column with a scalar subquery that refers to the outer row (e.g.
    `total > (SELECT avg(total) FROM orders o2 WHERE o2.customer_id = o.customer_id)`) re-runs the subquery for
    every candidate row; PostgreSQL does not decorrelate scalar subqueries.""",
    fix="Compute the inner aggregate once per key in a derived table (or CTE) and join it.",
    example="SELECT o.id FROM orders o WHERE o.total > (SELECT avg(o2.total) FROM orders o2 "
    "WHERE o2.customer_id = o.customer_id)",
    better="SELECT o.id FROM orders o JOIN (SELECT customer_id, avg(total) AS avg_total FROM orders "
    "GROUP BY customer_id) a ON a.customer_id = o.customer_id WHERE o.total > a.avg_total",
    check=check,
)
