"""date-function-equality: date_trunc / date() / extract() on a column compared with a constant.

Its must-fire and must-not cases are in date_function_equality.yaml beside this file.
"""

from __future__ import annotations

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    column_parts,
    comparisons,
    const_value,
    date_wrapped_column,
    func_name,
    is_constant_expr,
)


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in comparisons(ctx):
        for side, other in ((expr.lexpr, expr.rexpr), (expr.rexpr, expr.lexpr)):
            col = date_wrapped_column(side)
            if col is not None and is_constant_expr(other):
                what = func_name(side) or "a cast"
                name = column_parts(col)[1]
                field = const_value(side.args[0]) if func_name(side) in ("extract", "date_part") else None
                if isinstance(field, str) and field.lower() not in ("year", "epoch"):
                    message = (
                        f"{what}({field}) on {name} is computed for every row and has no range equivalent; an "
                        f"expression index on exactly that expression would serve it."
                    )
                else:
                    message = f"{what} on {name} hides the column from its index; compare a range."
                out.append(ctx.finding(expr, message))
                break
    return out


RULE = Rule(
    id="date-function-equality",
    title="date_trunc / date() / extract() on a column compared with a constant",
    severity="warning",
    explanation="""`date_trunc('day', created_at) = '2024-01-01'`, `created_at::date = ...`, `date(created_at)`
    and `extract(year from created_at) = 2024` compute a value per row: an index on created_at cannot be
    used, so the whole table is read. The same condition written as a range on the bare column can use it.""",
    fix="""Compare the bare column with a half-open range: `created_at >= '2024-01-01' AND created_at <
    '2024-01-01'::timestamp + interval '1 day'` (for a year: `>= '2024-01-01' AND < '2025-01-01'`).""",
    example="SELECT id FROM orders WHERE date_trunc('day', created_at) = '2024-01-01'",
    better="SELECT id FROM orders WHERE created_at >= '2024-01-01' AND created_at < '2024-01-01'::timestamp "
    "+ interval '1 day'",
    check=check,
)
