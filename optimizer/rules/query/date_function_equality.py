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
    op_name,
    sql_of,
)

# The operator seen from the wrapped column's side: `'2024-01-01' < date(x)` is `date(x) > '2024-01-01'`.
FLIPPED = {"=": "=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
TRUNC_UNITS = {"day", "week", "month", "quarter", "year", "hour", "minute", "second"}


def half_open_range(column: str, op: str, start: str, end: str) -> str:
    """The bare-column condition equal to `period(column) op value`, the period running from start to end."""
    return {
        "=": f"{column} >= {start} AND {column} < {end}",
        ">=": f"{column} >= {start}",
        ">": f"{column} >= {end}",
        "<": f"{column} < {start}",
        "<=": f"{column} < {end}",
    }[op]


def range_fix(side, op: str, other) -> str | None:
    """The fix for this comparison written on the bare column, or None when no range is equivalent."""
    col = date_wrapped_column(side)
    column, value = sql_of(col), sql_of(other)
    name = func_name(side)
    if name in ("extract", "date_part"):
        year = const_value(other)
        if str(const_value(side.args[0])).lower() != "year" or not isinstance(year, int) or isinstance(year, bool):
            return None
        start, end = f"'{year}-01-01'", f"'{year + 1}-01-01'"
    elif name == "date_trunc":
        unit = const_value(side.args[0])
        if not isinstance(unit, str) or unit.lower() not in TRUNC_UNITS or op != "=":
            return None  # a range bound is only exact on a unit boundary: equality alone is safe
        start, end = f"({value})::timestamp", f"({value})::timestamp + interval '1 {unit.lower()}'"
    else:  # date(col) or col::date
        start, end = f"({value})::date", f"({value})::date + 1"
    return f"Compare the bare column with a half-open range: `{half_open_range(column, op, start, end)}`."


def at_fixed_zone(side) -> str:
    """The query's date function applied to its column read in UTC: immutable, so it can be indexed."""
    col = f"{sql_of(date_wrapped_column(side))} AT TIME ZONE 'UTC'"
    name = func_name(side)
    if name == "extract":
        return f"EXTRACT({str(const_value(side.args[0])).upper()} FROM {col})"
    if name is None:  # col::date
        return f"({col})::date"
    return f"{name}({', '.join([*(sql_of(a) for a in side.args[:-1]), col])})"


def expression_index_fix(ctx: RuleContext, side) -> str:
    """An expression index on what the query computes. On a timestamptz column the value depends on the
    session's time zone, which PostgreSQL refuses to index: the expression is pinned to one zone instead."""
    resolved, info = ctx.column_info(date_wrapped_column(side))
    table = resolved[0] if resolved else "the table"
    if info is not None and info.type.lower() in ("timestamp with time zone", "timestamptz"):
        expression = at_fixed_zone(side)
        return (
            f"{resolved[0]}.{resolved[1]} is a timestamp with time zone, so {func_name(side) or 'the cast'} depends on "
            f"the session's time zone and cannot be indexed as written: index `CREATE INDEX CONCURRENTLY ON {table} "
            f"(({expression}))` and write the condition on `{expression}`."
        )
    return f"Create an expression index on exactly that expression: `CREATE INDEX CONCURRENTLY ON {table} (({sql_of(side)}))`."


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in comparisons(ctx):
        for side, other, op in (
            (expr.lexpr, expr.rexpr, op_name(expr)),
            (expr.rexpr, expr.lexpr, FLIPPED[op_name(expr)]),
        ):
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
                fix = range_fix(side, op, other) or expression_index_fix(ctx, side)
                out.append(ctx.finding(expr, message, fix=fix))
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
