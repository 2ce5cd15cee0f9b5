"""huge-in-list: f"IN list with more than {HUGE_IN_LIST} values".

Its must-fire and must-not cases are in huge_in_list.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import sql_of

HUGE_IN_LIST = 100


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.A_Expr):
        values = None
        if expr.kind == A_Expr_Kind.AEXPR_IN and isinstance(expr.rexpr, tuple):
            values = expr.rexpr
        elif expr.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL) and isinstance(
            expr.rexpr, ast.A_ArrayExpr
        ):
            values = expr.rexpr.elements or ()
        if values is not None and len(values) > HUGE_IN_LIST:
            fix = (
                f"Pass one array parameter: `{sql_of(expr.lexpr)} = ANY($1)` with an array of the values; for "
                "thousands of values join a VALUES list or a temporary table."
            )
            out.append(ctx.finding(expr, f"IN list of {len(values)} values.", fix=fix))
    return out


RULE = Rule(
    id="huge-in-list",
    title=f"IN list with more than {HUGE_IN_LIST} values",
    severity="warning",
    explanation="""A long literal IN list makes every query text unique (no plan or pg_stat_statements
    reuse), costs parse and plan time, and is searched linearly for each row when it cannot drive an index.""",
    fix="""Pass one array parameter: `col = ANY($1::bigint[])`; for thousands of values join a VALUES list or a
    temporary table.""",
    example="SELECT id FROM orders WHERE customer_id IN (1, 2, 3, ... 500 values)",
    better="SELECT id FROM orders WHERE customer_id = ANY($1::bigint[])",
    check=check,
)
