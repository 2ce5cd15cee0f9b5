"""null-comparison: Comparison with NULL using = or <>.

Its must-fire and must-not cases are in null_comparison.yaml beside this file.
"""

from __future__ import annotations

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import comparisons, is_null_const, op_name, sql_of


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in comparisons(ctx, {"=", "<>", "!="}):
        if is_null_const(expr.lexpr) or is_null_const(expr.rexpr):
            better = "IS NULL" if op_name(expr) == "=" else "IS NOT NULL"
            side = expr.rexpr if is_null_const(expr.lexpr) else expr.lexpr
            fix = f"Write `{sql_of(side)} {better}` (or `IS [NOT] DISTINCT FROM` to compare two nullable values)."
            out.append(ctx.finding(expr, f"`{op_name(expr)} NULL` is never true; use {better}.", fix=fix))
    return out


RULE = Rule(
    id="null-comparison",
    title="Comparison with NULL using = or <>",
    severity="critical",
    explanation="""`x = NULL` and `x <> NULL` are never true: any comparison with NULL yields NULL, so the
    row is filtered out whatever x holds. This is a bug, not a style issue.""",
    fix="Use `x IS NULL` / `x IS NOT NULL` (or `IS [NOT] DISTINCT FROM` to compare two nullable values).",
    example="SELECT id FROM customers WHERE phone = NULL",
    better="SELECT id FROM customers WHERE phone IS NULL",
    check=check,
)
