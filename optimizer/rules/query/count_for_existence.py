"""count-for-existence: count(*) used to test existence.

Its must-fire and must-not cases are in count_for_existence.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, SetOperation, SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value, func_name, op_name

EXISTS_TESTS = {(">", 0), (">=", 1), ("<>", 0), ("!=", 0)}


NOT_EXISTS_TESTS = {("=", 0), ("<", 1), ("<=", 0)}


FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "=": "=", "<>": "<>", "!=": "!="}


def count_existence_test(expr):
    """For `<count> op 0|1`: (count node, True for an existence test / False for non-existence), else None."""
    if not (isinstance(expr, ast.A_Expr) and expr.kind == A_Expr_Kind.AEXPR_OP):
        return None
    op = op_name(expr)
    left, right = expr.lexpr, expr.rexpr
    if isinstance(left, ast.A_Const) and not isinstance(right, ast.A_Const):
        left, right, op = right, left, FLIPPED.get(op, op)
    value = const_value(right)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if (op, value) in EXISTS_TESTS:
        kind = True
    elif (op, value) in NOT_EXISTS_TESTS:
        kind = False
    else:
        return None
    if _is_count_subquery(left) or (func_name(left) == "count" and left.over is None):
        return left, kind
    return None


def _is_count_subquery(node) -> bool:
    if not (isinstance(node, ast.SubLink) and node.subLinkType == SubLinkType.EXPR_SUBLINK):
        return False
    sub = node.subselect
    return (
        isinstance(sub, ast.SelectStmt)
        and sub.op == SetOperation.SETOP_NONE
        and not sub.groupClause
        and sub.havingClause is None
        and len(sub.targetList or ()) == 1
        and func_name(sub.targetList[0].val) == "count"
        and sub.targetList[0].val.over is None
        and sub.limitCount is None
        and sub.limitOffset is None
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.A_Expr):
        found = count_existence_test(expr)
        if found is None:
            continue
        counted, exists = found
        if isinstance(counted, ast.FuncCall):
            select = ctx.enclosing_statement(expr)
            targets = select.targetList or () if isinstance(select, ast.SelectStmt) else ()
            if len(targets) != 1 or targets[0].val is not expr or select.groupClause:
                continue  # in HAVING, per group, or beside other aggregates it is not an existence test
        word = "EXISTS" if exists else "NOT EXISTS"
        out.append(ctx.finding(expr, f"count compared with zero: {word} stops at the first row."))
    return out


RULE = Rule(
    id="count-for-existence",
    title="count(*) used to test existence",
    severity="warning",
    explanation="""`(SELECT count(*) ...) > 0` counts every matching row only to compare the total with zero.
    EXISTS stops at the first match and lets the planner use a semi-join.""",
    fix="Write `EXISTS (SELECT 1 FROM ... WHERE ...)` (or `NOT EXISTS` for `= 0`).",
    example="SELECT id FROM customers c WHERE (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) > 0",
    better="SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
    check=check,
)
