"""not-in-list-with-null: NOT IN list containing NULL.

Its must-fire and must-not cases are in not_in_list_with_null.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import is_null_const, op_name, sql_of


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind == A_Expr_Kind.AEXPR_IN and op_name(expr) == "<>" and isinstance(expr.rexpr, tuple):
            if any(is_null_const(v) for v in expr.rexpr):
                column = sql_of(expr.lexpr)
                fix = f"Remove NULL from the list (and add `OR {column} IS NULL` if NULL rows should be kept)."
                out.append(ctx.finding(expr, "NOT IN list contains NULL: the condition is never true.", fix=fix))
    return out


RULE = Rule(
    id="not-in-list-with-null",
    title="NOT IN list containing NULL",
    severity="critical",
    explanation="""`x NOT IN (1, 2, NULL)` is never true: it means x <> 1 AND x <> 2 AND x <> NULL, and the
    last term is NULL. The query silently returns nothing.""",
    fix="Remove NULL from the list (and add `OR x IS NULL` if NULL rows should be kept).",
    example="SELECT id FROM orders WHERE status NOT IN ('cancelled', NULL)",
    better="SELECT id FROM orders WHERE status NOT IN ('cancelled')",
    check=check,
)
