"""select-star: SELECT * in a query. Its must-fire and must-not cases are in select_star.yaml beside this file."""

from __future__ import annotations

from pglast import ast
from pglast.enums import SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import flat_from_items


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for target in ctx.of(ast.ResTarget):
        val = target.val
        if not (isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star)):
            continue
        select = ctx.parent_of(target)
        if not isinstance(select, ast.SelectStmt) or target not in (select.targetList or ()):
            continue
        sub = ctx.sublink_of(select)
        if sub is not None and sub.subLinkType == SubLinkType.EXISTS_SUBLINK:
            continue
        items = [i for i in flat_from_items(select.fromClause or ()) if isinstance(i, ast.RangeVar)]
        fix = None
        if len(items) == 1 and len(select.fromClause or ()) == 1:
            name = items[0].relname
            table = ctx.table(name)
            if table is not None and table.columns:
                fix = f"List the columns the caller uses from {name} ({', '.join(table.columns)}), not *."
            else:
                fix = f"List the columns the caller uses from {name}, not *."
        out.append(ctx.finding(val, "SELECT * fetches every column of the table.", fix=fix))
    return out


RULE = Rule(
    id="select-star",
    title="SELECT * in a query",
    severity="info",
    explanation="""SELECT * reads every column: more I/O and network, no index-only scans, and the result
    changes shape when someone adds a column. Inside EXISTS it is harmless and is not flagged.""",
    fix="List the columns the caller uses.",
    example="SELECT * FROM orders WHERE customer_id = 42",
    better="SELECT id, status, total FROM orders WHERE customer_id = 42",
    check=check,
)
