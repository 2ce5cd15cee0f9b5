"""correlated-scalar-subquery: Correlated subquery in the SELECT list.

Its must-fire and must-not cases are in correlated_scalar_subquery.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import is_scalar_correlated, walk


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for target in ctx.of(ast.ResTarget):
        select = ctx.parent_of(target)
        if not isinstance(select, ast.SelectStmt) or target not in (select.targetList or ()):
            continue
        for node in walk(target.val, stop=(ast.SubLink,)):
            if is_scalar_correlated(ctx, node):
                inner = [i.relname for i in node.subselect.fromClause or () if isinstance(i, ast.RangeVar)]
                what = ", ".join(inner) or "the inner query"
                fix = (
                    f"Join instead: move the subquery on {what} into `LEFT JOIN LATERAL (...) AS sub ON true`, "
                    f"or aggregate {what} once with GROUP BY on the correlated key and LEFT JOIN the result."
                )
                out.append(ctx.finding(node, "Correlated subquery runs once per row of the outer query.", fix=fix))
    return out


RULE = Rule(
    id="correlated-scalar-subquery",
    title="Correlated subquery in the SELECT list",
    severity="warning",
    explanation="""A scalar subquery in the SELECT list that refers to the outer row runs once per output
    row (a SubPlan). With many rows that is many index probes, or many scans when no index fits.""",
    fix="""Join instead: `LEFT JOIN LATERAL (SELECT ...) s ON true`, or aggregate the inner table once with
    GROUP BY and LEFT JOIN the result.""",
    example="SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS n FROM customers c",
    better="SELECT c.id, s.n FROM customers c LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders o "
    "WHERE o.customer_id = c.id) s ON true",
    check=check,
)
