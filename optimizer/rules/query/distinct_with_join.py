"""distinct-with-join: DISTINCT over a join.

Its must-fire and must-not cases are in distinct_with_join.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import relation_count


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.distinctClause and relation_count(select) >= 2:
            out.append(
                ctx.finding(select.targetList[0] if select.targetList else None, "DISTINCT over a join of tables.")
            )
    return out


RULE = Rule(
    id="distinct-with-join",
    title="DISTINCT over a join",
    severity="warning",
    explanation="""SELECT DISTINCT on top of joins often hides a join that multiplies rows (a missing join
    condition or a one-to-many join used to filter). PostgreSQL produces all the duplicates and then sorts
    or hashes them away.""",
    fix="""Check the join conditions; to filter by a related table use EXISTS (a semi-join that never
    duplicates rows) instead of JOIN + DISTINCT.""",
    example="SELECT DISTINCT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id",
    better="SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    check=check,
)
