"""having-without-aggregate: HAVING without an aggregate.

Its must-fire and must-not cases are in having_without_aggregate.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import is_aggregate_call, walk


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        having = select.havingClause
        if having is None:
            continue
        if not any(is_aggregate_call(n) for n in walk(having, stop=(ast.SubLink,))):
            out.append(ctx.finding(having, "HAVING condition uses no aggregate; filter in WHERE instead."))
    return out


RULE = Rule(
    id="having-without-aggregate",
    title="HAVING without an aggregate",
    severity="warning",
    explanation="""A HAVING condition that uses no aggregate filters groups by grouping columns only: it
    belongs in WHERE, where it removes rows before they are grouped (and can use an index).""",
    fix="Move the condition from HAVING to WHERE.",
    example="SELECT customer_id, count(*) FROM orders GROUP BY customer_id HAVING customer_id > 100",
    better="SELECT customer_id, count(*) FROM orders WHERE customer_id > 100 GROUP BY customer_id",
    check=check,
)
