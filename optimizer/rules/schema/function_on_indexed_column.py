"""function-on-indexed-column: Function or cast around an indexed column.

Its must-fire and must-not cases are in function_on_indexed_column.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import CAST_FAMILIES, TYPE_FAMILIES, has_expression_index, type_family
from optimizer.rules.model import Finding, IndexInfo, Rule, TableInfo
from optimizer.rules.tree import (
    CASE_FUNCTIONS,
    date_wrapped_column,
    func_name,
    is_constant_expr,
    predicate_comparisons,
    sql_of,
    wrapped_column,
)


def indexes_led_by(table: TableInfo, column: str) -> list[IndexInfo]:
    return [i for i in table.indexes if i.columns and i.columns[0] == column and not i.expressions]


def harmless_cast(table: TableInfo, column: str, cast) -> bool:
    """A cast PostgreSQL drops or relabels, so the column's index still applies: to the column's own type, or
    between the text types (varchar -> text uses the text operator class)."""
    info = table.columns.get(column)
    if info is None:
        return False
    target = cast.typeName.names[-1].sval.lower()
    target_family = CAST_FAMILIES.get(target) or TYPE_FAMILIES.get(target)
    column_family = type_family(info.type)
    base = info.type.lower().split("(")[0].strip()
    same = target == base or TYPE_ALIASES.get(target) == TYPE_ALIASES.get(base, base)
    return same or (target_family == "text" and column_family == "text" and target in ("text", "varchar"))


TYPE_ALIASES = {
    "int4": "integer",
    "int": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "int2": "smallint",
    "smallint": "smallint",
    "bool": "boolean",
    "boolean": "boolean",
    "varchar": "character varying",
    "character varying": "character varying",
    "timestamptz": "timestamp with time zone",
    "timestamp with time zone": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "float8": "double precision",
    "double precision": "double precision",
    "numeric": "numeric",
    "decimal": "numeric",
}


def check(ctx: RuleContext) -> list[Finding]:
    out, seen = [], set()
    for expr, side, other in predicate_comparisons(ctx):
        col = wrapped_column(side)
        if col is None or not is_constant_expr(other) or id(expr) in seen:
            continue
        if func_name(side) in CASE_FUNCTIONS or date_wrapped_column(side) is not None:
            continue  # case-insensitive-without-expression-index / date-function-equality say it better
        resolved = ctx.resolve(col)
        table = ctx.table(resolved[0]) if resolved else None
        if table is None or not indexes_led_by(table, resolved[1]) or has_expression_index(table, side):
            continue
        if isinstance(side, ast.TypeCast) and harmless_cast(table, resolved[1], side):
            continue
        seen.add(id(expr))
        index = indexes_led_by(table, resolved[1])[0].name or "an index"
        what = "a cast" if isinstance(side, ast.TypeCast) else f"{func_name(side) or 'coalesce'}()"
        fix = (
            f"Write the condition on the bare column {resolved[1]} (move the function to the constant side, or use a "
            f"range) so {index} serves it, or create an expression index on exactly {sql_of(side)}."
        )
        message = f"{what} around {resolved[0]}.{resolved[1]} stops {index} from being used."
        out.append(ctx.finding(side, message, fix=fix))
    return out


RULE = Rule(
    id="function-on-indexed-column",
    title="Function or cast around an indexed column",
    severity="warning",
    explanation="""An index on a column stores the column's values; a condition on `f(col)` or `col::type`
    asks about a different value, so the index cannot be used (unless an expression index on exactly f(col)
    exists) and the table is scanned.""",
    fix="""Rewrite the condition on the bare column (move the function to the constant side, use a range), or
    create an expression index on the exact expression.""",
    example="SELECT id FROM orders WHERE coalesce(status, 'new') = 'paid'",
    better="SELECT id FROM orders WHERE status = 'paid'",
    needs_schema=True,
    check=check,
)
