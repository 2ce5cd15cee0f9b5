"""computation-on-column: Arithmetic or concatenation on a column in a condition.

Its must-fire and must-not cases are in computation_on_column.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_parts, columns_in, comparisons, op_name, sql_of

ARITHMETIC = {"+", "-", "*", "/", "%", "||", "^"}


def _computed_column(node):
    """A column inside arithmetic or concatenation (`price * 1.2`, `first || ' ' || last`)."""
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and op_name(node) in ARITHMETIC:
        cols = columns_in(node)
        return cols[0] if cols else None
    return None


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in comparisons(ctx):
        if not ctx.in_predicate(expr):
            continue
        for side, other in ((expr.lexpr, expr.rexpr), (expr.rexpr, expr.lexpr)):
            col = _computed_column(side)
            if col is not None and not columns_in(other) and not isinstance(other, ast.SubLink):
                name = column_parts(col)[1]
                fix = (
                    f"Move the computation to the constant side so {name} stands alone in the comparison, compare "
                    f"the columns separately, or create an expression index on exactly `({sql_of(side)})`."
                )
                out.append(ctx.finding(expr, f"{name} is computed on before comparing; no index can help.", fix=fix))
                break
    return out


RULE = Rule(
    id="computation-on-column",
    title="Arithmetic or concatenation on a column in a condition",
    severity="warning",
    explanation="""`WHERE price * 1.2 > 100` or `WHERE first_name || ' ' || last_name = 'Ada Lovelace'`
    computes a value for every row before comparing: an index on the column cannot be used.""",
    fix="""Move the arithmetic to the constant side (`price > 100 / 1.2`), compare the columns separately, or
    create an expression index on exactly that expression.""",
    example="SELECT id FROM order_items WHERE quantity * 2 > 10",
    better="SELECT id FROM order_items WHERE quantity > 5",
    check=check,
)
