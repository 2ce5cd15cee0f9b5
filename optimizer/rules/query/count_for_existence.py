"""count-for-existence: count(*) used to test existence.

Its must-fire and must-not cases are in count_for_existence.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType, SetOperation, SubLinkType

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import and_all, code, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import conjuncts, const_value, func_name, op_name, sql_of

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


def exists_from_count(counted) -> ast.SubLink | None:
    """`EXISTS (SELECT 1 ...)` from a `(SELECT count(...) ...)` sublink, editing the sublink's own subquery
    (callers pass a copy); None for a count of several arguments."""
    select = counted.subselect
    call = select.targetList[0].val
    if not call.agg_star and call.args:
        if len(call.args) != 1:
            return None
        # count(x) counts non-NULL x only
        test = ast.NullTest(arg=call.args[0], nulltesttype=NullTestType.IS_NOT_NULL)
        select.whereClause = and_all([*conjuncts(select.whereClause), test])
    select.targetList = (ast.ResTarget(val=ast.A_Const(isnull=False, val=ast.Integer(ival=1))),)
    return ast.SubLink(subLinkType=SubLinkType.EXISTS_SUBLINK, subselect=select)


def _negated(node, exists: bool):
    return node if exists else ast.BoolExpr(boolop=BoolExprType.NOT_EXPR, args=(node,))


def top_level_exists(stmt) -> bool:
    """`SELECT count(*) > 0 FROM t WHERE ...` -> `SELECT EXISTS (SELECT 1 FROM t WHERE ...)`, in place."""
    if len(stmt.targetList or ()) != 1 or stmt.groupClause or stmt.havingClause or stmt.op != SetOperation.SETOP_NONE:
        return False
    if stmt.sortClause or stmt.limitCount or stmt.limitOffset or stmt.distinctClause or stmt.windowClause:
        return False
    target = stmt.targetList[0]
    found = count_existence_test(target.val)
    if found is None or not isinstance(found[0], ast.FuncCall) or found[0].over is not None:
        return False
    call, exists = found
    inner = ast.SelectStmt(
        targetList=(ast.ResTarget(val=call),),
        fromClause=stmt.fromClause,
        whereClause=stmt.whereClause,
        op=SetOperation.SETOP_NONE,
    )
    node = exists_from_count(ast.SubLink(subLinkType=SubLinkType.EXPR_SUBLINK, subselect=inner))
    if node is None:
        return False
    stmt.targetList = (ast.ResTarget(val=_negated(node, exists), name=target.name or "?column?"),)
    stmt.fromClause = None
    stmt.whereClause = None
    return True


def exists_fix(ctx: RuleContext, expr, counted, exists: bool) -> str:
    """The statement with this count test written as (NOT) EXISTS, or in words when it cannot be shown."""
    word = "EXISTS" if exists else "NOT EXISTS"
    if isinstance(counted, ast.SubLink):

        def replaced(copied):
            found = count_existence_test(copied)
            node = exists_from_count(found[0]) if found else None
            return _negated(node, exists) if node is not None else None

        sql = statement_with(ctx.root_of(expr), {id(expr): replaced})
    else:
        select = ctx.enclosing_statement(expr)
        sql = statement_with(ctx.root_of(select), {id(select): lambda c: c if top_level_exists(c) else None})
        if sql == sql_of(ctx.root_of(select)):
            sql = None
    if sql is None:
        return f"Write {code(sql_of(expr))} as {word} (SELECT 1 ...) over the same rows."
    return f"Test with {word}, which stops at the first matching row: {code(sql)}."


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
        fix = exists_fix(ctx, expr, counted, exists)
        out.append(ctx.finding(expr, f"count compared with zero: {word} stops at the first row.", fix=fix))
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
