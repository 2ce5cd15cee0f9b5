"""select-star: SELECT * in a query. Its must-fire and must-not cases are in select_star.yaml beside this file."""

from __future__ import annotations

from pglast import ast
from pglast.enums import SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import alias_of, relation_label, spoken_list
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import flat_from_items, sql_of


def _columns_of(ctx: RuleContext, item) -> str:
    """`orders (id, status, ...)` when the schema knows the table's columns, else its label."""
    table = ctx.table(item.relname)
    if table is not None and table.columns:
        return f"{relation_label(item)} ({', '.join(table.columns)})"
    return relation_label(item)


def star_fix(ctx: RuleContext, select, star) -> str:
    """Name the relations the star expands to: `o.*` is one table of a join, a bare `*` is all of them."""
    items = flat_from_items(select.fromClause or ())
    qualifier = star.fields[-2].sval.lower() if len(star.fields) > 1 else None
    if qualifier is not None:
        items = [i for i in items if alias_of(i) == qualifier]
    tables = [i for i in items if isinstance(i, ast.RangeVar)]
    if not tables:
        where = spoken_list([relation_label(i) for i in items]) or "the FROM clause"
        return f"List the columns the caller uses from {where}, not {sql_of(star)}."
    listed = spoken_list([_columns_of(ctx, i) for i in tables])
    if qualifier is None and len(tables) == 1 and len(items) == 1:
        return f"List the columns the caller uses from {listed}, not *."
    return f"List the columns the caller uses from {listed}, not {sql_of(star)}."


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
        fix = star_fix(ctx, select, val)
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
