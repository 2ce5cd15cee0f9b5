"""subquery-selects-outer-column: IN (subquery) selecting a column of the outer query.

Its must-fire and must-not cases are in subquery_selects_outer_column.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_parts, is_column


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for sub in ctx.of(ast.SubLink):
        if sub.subLinkType not in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
            continue
        select = sub.subselect
        if not isinstance(select, ast.SelectStmt) or len(select.targetList or ()) != 1:
            continue
        target = select.targetList[0].val
        if not is_column(target) or column_parts(target)[0] is not None:
            continue
        items = ctx.scope(select).items
        tables = [ctx.table(i.relname) if isinstance(i, ast.RangeVar) else None for i in items]
        if not items or any(t is None or not t.columns for t in tables):
            continue  # a derived table or an unknown table might have the column
        column = column_parts(target)[1]
        if any(column in t.columns for t in tables):
            continue
        resolved = ctx.resolve(target)
        if resolved is None:
            continue
        first = items[0]
        alias = first.alias.aliasname if first.alias else first.relname
        out.append(
            ctx.finding(
                target,
                f"{column} is not a column of {', '.join(i.relname for i in items)}: it is the outer "
                f"{resolved[0]}.{column}, so the subquery just repeats the outer value.",
                fix=f"Select a column {first.relname} really has, and prefix the subquery's columns with {alias} so "
                f"that a name it lacks is an error rather than the outer {resolved[0]}.{column}.",
            )
        )
    return out


RULE = Rule(
    id="subquery-selects-outer-column",
    title="IN (subquery) selecting a column of the outer query",
    severity="critical",
    explanation="""In `WHERE customer_id IN (SELECT customer_id FROM events_archive)`, if events_archive has no
    customer_id column, PostgreSQL does not fail: the name resolves to the OUTER query's column, so the
    subquery returns the outer value once per archive row. `x IN (SELECT x ...)` is then true for every row
    (and NOT IN false) as soon as the table has rows: a silent logic bug, and a slow one.""",
    fix="Select the column the inner table really has, and qualify columns in subqueries (`SELECT a.cust_id FROM archive a`).",
    example="SELECT id FROM orders WHERE note IN (SELECT note FROM customers)",
    better="SELECT o.id FROM orders o WHERE o.note IN (SELECT c.name FROM customers c)",
    needs_schema=True,
    check=check,
)
