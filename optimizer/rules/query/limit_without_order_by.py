"""limit-without-order-by: LIMIT/OFFSET without ORDER BY.

Its must-fire and must-not cases are in limit_without_order_by.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    column_parts,
    conjuncts,
    flat_from_items,
    is_aggregate_call,
    is_column,
    is_const,
    is_constant_expr,
    op_name,
    walk,
)


def at_most_one_row(ctx: RuleContext, select) -> bool:
    """A single-table SELECT whose WHERE pins a unique key with equalities: `id = $1`, or, with schema, all the
    columns of a unique index."""
    items = list(select.fromClause or ())
    if len(items) != 1 or not isinstance(items[0], ast.RangeVar):
        return False
    pinned = set()
    for term in conjuncts(select.whereClause):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            for a, b in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(a) and is_constant_expr(b):
                    pinned.add(column_parts(a)[1])
    table = ctx.table(items[0].relname)
    if table is None:
        return "id" in pinned  # the conventional primary key name; only ever used to stay silent
    return any(i.unique and i.columns and not i.expressions and set(i.columns) <= pinned for i in table.indexes)


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.sortClause or (select.limitCount is None and select.limitOffset is None):
            continue
        if isinstance(select.limitCount, ast.A_Const) and select.limitCount.isnull:
            continue  # LIMIT ALL
        if ctx.sublink_of(select) is not None and ctx.sublink_of(select).subLinkType == SubLinkType.EXISTS_SUBLINK:
            continue
        if all(is_const(t.val) for t in select.targetList or ()) or not select.fromClause:
            continue  # SELECT 1 ... LIMIT 1: any row will do
        if any(is_aggregate_call(n) for t in select.targetList or () for n in walk(t.val, stop=(ast.SubLink,))):
            if not select.groupClause:
                continue  # one aggregate row
        if at_most_one_row(ctx, select):
            continue  # a lookup by key (Django's get() adds LIMIT 21): order cannot matter
        where = ctx.token_span("LIMIT" if select.limitCount is not None else "OFFSET")
        tables = [i.relname for i in flat_from_items(select.fromClause or ()) if isinstance(i, ast.RangeVar)]
        fix = f"Add an ORDER BY that ends with a unique key of {', '.join(tables) or 'the result'} (its primary key)."
        message = "LIMIT/OFFSET without ORDER BY returns an arbitrary set of rows."
        out.append(ctx.finding(None, message, location=where, fix=fix))
    return out


RULE = Rule(
    id="limit-without-order-by",
    title="LIMIT/OFFSET without ORDER BY",
    severity="warning",
    explanation="""Without ORDER BY, PostgreSQL returns rows in whatever order the plan produces; which rows
    LIMIT keeps can change between runs, after a VACUUM, or with a different plan. Pages overlap or skip rows.""",
    fix="Add an ORDER BY on a unique key (e.g. `ORDER BY created_at, id`).",
    example="SELECT id, total FROM orders WHERE status = 'paid' LIMIT 20 OFFSET 40",
    better="SELECT id, total FROM orders WHERE status = 'paid' ORDER BY id LIMIT 20 OFFSET 40",
    check=check,
)
