"""having-without-aggregate: HAVING without an aggregate.

Its must-fire and must-not cases are in having_without_aggregate.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import and_all, code, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import conjuncts, is_aggregate_call, sql_of, walk


def where_rewrite(ctx: RuleContext, select) -> str | None:
    """The statement with the HAVING condition moved into WHERE. Only with a plain GROUP BY: without one,
    HAVING false returns no row where WHERE false returns one (an aggregate over nothing), and under
    ROLLUP / CUBE / GROUPING SETS a WHERE condition would change the subtotals too."""
    if not select.groupClause or any(isinstance(g, ast.GroupingSet) for g in select.groupClause):
        return None

    def moved(copied):
        copied.whereClause = and_all([*conjuncts(copied.whereClause), *conjuncts(copied.havingClause)])
        copied.havingClause = None
        return copied

    return statement_with(ctx.root_of(select), {id(select): moved})


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        having = select.havingClause
        if having is None:
            continue
        if not any(is_aggregate_call(n) for n in walk(having, stop=(ast.SubLink,))):
            rewritten = where_rewrite(ctx, select)
            condition = code(sql_of(having))
            if rewritten:
                fix = f"Move {condition} from HAVING to WHERE, where it removes rows before they are grouped: {code(rewritten)}."
            else:
                fix = (
                    f"Move {condition} to WHERE only where it filters rows, not groups: without GROUP BY, or under "
                    f"ROLLUP / CUBE / GROUPING SETS, the two give different results."
                )
            out.append(ctx.finding(having, "HAVING condition uses no aggregate; filter in WHERE instead.", fix=fix))
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
