"""not-in-nullable-subquery: NOT IN (subquery) over a nullable column.

Its must-fire and must-not cases are in not_in_nullable_subquery.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    RANGE_OPS,
    column_parts,
    conjuncts,
    is_column,
    is_const,
    not_exists_text,
    not_in_sublinks,
    op_name,
    sql_of,
)


def filtered_not_null(where, colref) -> bool:
    """Does the WHERE clause say `col IS NOT NULL` (or compare col with a constant, which excludes NULL)?"""
    _, column = column_parts(colref)
    for term in conjuncts(where):
        if isinstance(term, ast.NullTest) and term.nulltesttype.name == "IS_NOT_NULL" and is_column(term.arg):
            if column_parts(term.arg)[1] == column:
                return True
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) in RANGE_OPS:
            for a, b in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(a) and column_parts(a)[1] == column and is_const(b):
                    return True
    return False


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for node, sub in not_in_sublinks(ctx):
        select = sub.subselect
        if not isinstance(select, ast.SelectStmt) or select.op != SetOperation.SETOP_NONE:
            continue
        if len(select.targetList or ()) != 1 or not is_column(select.targetList[0].val):
            continue
        target = select.targetList[0].val
        resolved, info = ctx.column_info(target)
        if info is None or info.nullable is not True or filtered_not_null(select.whereClause, target):
            continue
        out.append(
            ctx.finding(
                node,
                f"{resolved[0]}.{resolved[1]} is nullable: one NULL in the subquery makes NOT IN return no rows.",
                fix=f"Use {not_exists_text(ctx, sub)}, which ignores NULLs, or add `WHERE {sql_of(target)} IS NOT NULL` "
                "inside the subquery if NOT IN semantics are wanted otherwise.",
            )
        )
    return out


RULE = Rule(
    id="not-in-nullable-subquery",
    title="NOT IN (subquery) over a nullable column",
    severity="critical",
    explanation="""`x NOT IN (SELECT col ...)` is never true once col yields a NULL: the query silently
    returns no rows. The schema says the column can be NULL. (A NULL x is also never returned, unlike with
    NOT EXISTS.)""",
    fix="""Use `NOT EXISTS (SELECT 1 FROM ... WHERE sub.col = x)`, which ignores NULLs, or add `WHERE col IS
    NOT NULL` inside the subquery if NOT IN semantics are wanted otherwise.""",
    example="SELECT id FROM products WHERE id NOT IN (SELECT product_id FROM order_items)",
    better="SELECT p.id FROM products p WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = p.id)",
    needs_schema=True,
    check=check,
)
