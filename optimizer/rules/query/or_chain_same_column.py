"""or-chain-same-column: OR chain on one column.

Its must-fire and must-not cases are in or_chain_same_column.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_key, columns_in, is_column, op_name, simple_predicate_column, sql_of


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.BoolExpr):
        if expr.boolop != BoolExprType.OR_EXPR:
            continue
        seen: dict[str, int] = {}
        for arg in expr.args:
            if isinstance(arg, ast.A_Expr) and arg.kind == A_Expr_Kind.AEXPR_OP and op_name(arg) == "=":
                col = simple_predicate_column(arg)
                if col is not None:
                    key = column_key(ctx, col)
                    seen[key] = seen.get(key, 0) + 1
        repeated = [k for k, n in seen.items() if n >= 2]
        if repeated:
            name = repeated[0].lstrip(".")
            values = [
                sql_of(other)
                for arg in expr.args
                if isinstance(arg, ast.A_Expr) and arg.kind == A_Expr_Kind.AEXPR_OP and op_name(arg) == "="
                for col, other in ((arg.lexpr, arg.rexpr), (arg.rexpr, arg.lexpr))
                if is_column(col) and column_key(ctx, col) == repeated[0] and not columns_in(other)
            ]
            fix = f"Write `{name.split('.')[-1]} IN ({', '.join(dict.fromkeys(values)) or '...'})`."
            out.append(ctx.finding(expr, f"{seen[repeated[0]]} OR'ed equality tests on {name}; use IN (...).", fix=fix))
    return out


RULE = Rule(
    id="or-chain-same-column",
    title="OR chain on one column",
    severity="info",
    explanation="""`status = 'a' OR status = 'b' OR ...` is harder to read than IN and, mixed with other
    conditions, easy to get wrong without parentheses. PostgreSQL plans `IN (...)` as a single
    `= ANY(array)` index condition.""",
    fix="Write `col IN ('a', 'b', ...)`.",
    example="SELECT id FROM orders WHERE status = 'new' OR status = 'paid' OR status = 'shipped'",
    better="SELECT id FROM orders WHERE status IN ('new', 'paid', 'shipped')",
    check=check,
)
