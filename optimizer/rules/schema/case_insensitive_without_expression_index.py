"""case-insensitive-without-expression-index: lower()/upper() comparison without an expression index.

Its must-fire and must-not cases are in case_insensitive_without_expression_index.yaml beside this file.
"""

from __future__ import annotations

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import has_expression_index
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    CASE_FUNCTIONS,
    func_name,
    is_constant_expr,
    predicate_comparisons,
    sql_of,
    wrapped_column,
)


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for _expr, side, other in predicate_comparisons(ctx):
        if func_name(side) not in CASE_FUNCTIONS or not is_constant_expr(other):
            continue
        col = wrapped_column(side)
        resolved = ctx.resolve(col) if col is not None else None
        table = ctx.table(resolved[0]) if resolved else None
        if table is None or resolved[1] not in table.columns or has_expression_index(table, side):
            continue
        fix = (
            f"Create the expression index (`CREATE INDEX CONCURRENTLY ON {resolved[0]} ({sql_of(side)})`), or store "
            f"{resolved[1]} normalized, or use the citext type."
        )
        message = f"No index on {func_name(side)}({resolved[1]}) of {resolved[0]}: every row is read."
        out.append(ctx.finding(side, message, fix=fix))
    return out


RULE = Rule(
    id="case-insensitive-without-expression-index",
    title="lower()/upper() comparison without an expression index",
    severity="warning",
    explanation="""`WHERE lower(email) = $1` can only use an index built on lower(email); an index on email
    itself does not help, so every row is read and lower-cased.""",
    fix="""Create the expression index (`CREATE INDEX ON customers (lower(email))`), or store the column
    normalized, or use the citext type.""",
    example="SELECT id FROM customers WHERE lower(name) = 'alice'",
    better="CREATE INDEX ON customers (lower(name)); -- then the same query uses it",
    needs_schema=True,
    check=check,
)
