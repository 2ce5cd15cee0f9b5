"""not-in-subquery: NOT IN (subquery). Its must-fire and must-not cases are in not_in_subquery.yaml beside this file."""

from __future__ import annotations

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import not_exists_text, not_in_sublinks


def check(ctx: RuleContext) -> list[Finding]:
    return [
        ctx.finding(
            node,
            "NOT IN (subquery) cannot become an anti-join and is empty if the subquery yields NULL.",
            fix=f"Write {not_exists_text(ctx, sub)}: an anti-join. It is equivalent when neither side can be NULL.",
        )
        for node, sub in not_in_sublinks(ctx)
    ]


RULE = Rule(
    id="not-in-subquery",
    title="NOT IN (subquery)",
    severity="warning",
    explanation="""PostgreSQL cannot turn `x NOT IN (SELECT ...)` into an anti-join: it runs a hashed subplan
    (or, when the subquery does not fit in work_mem, re-scans it for every row). And if the subquery returns a
    single NULL, NOT IN is never true and the query returns no rows.""",
    fix="""Write `NOT EXISTS (SELECT 1 FROM ... WHERE sub.col = x)`: an anti-join. It is equivalent when neither
    side can be NULL (check the columns, or add `WHERE col IS NOT NULL` to the subquery).""",
    example="SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)",
    better="SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    check=check,
)
