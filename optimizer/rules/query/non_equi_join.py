"""non-equi-join: Join without an equality condition.

Its must-fire and must-not cases are in non_equi_join.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, relation_names, spoken_list
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import columns_in, conjuncts, is_column, op_name, sql_of


def _has_column_equality(quals) -> bool:
    for term in conjuncts(quals):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            if columns_in(term.lexpr) and columns_in(term.rexpr):
                return True
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT:
            return True
    return False


RANGE_TYPES = {
    "timestamp with time zone": "tstzrange",
    "timestamptz": "tstzrange",
    "timestamp without time zone": "tsrange",
    "timestamp": "tsrange",
    "date": "daterange",
    "integer": "int4range",
    "int": "int4range",
    "int4": "int4range",
    "bigint": "int8range",
    "int8": "int8range",
    "numeric": "numrange",
}


def _between_range(ctx: RuleContext, term) -> tuple[str, str, str] | None:
    """For `x BETWEEN t.lo AND t.hi` with both bounds columns of one table: (table, range expression over
    t's columns, the join condition on it). The range type follows the bounds' type when the schema knows it."""
    if not (isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_BETWEEN):
        return None
    low, high = term.rexpr
    if not (is_column(low) and is_column(high) and is_column(term.lexpr)):
        return None
    bounds = [ctx.resolve(low), ctx.resolve(high)]
    if None in bounds or bounds[0][0] != bounds[1][0]:
        return None
    table = ctx.table(bounds[0][0])
    column = table.columns.get(bounds[0][1]) if table is not None else None
    kind = RANGE_TYPES.get(column.type.lower()) if column is not None else None
    if kind is None:
        return None
    index_expr = f"{kind}({bounds[0][1]}, {bounds[1][1]}, '[]')"
    condition = f"{kind}({sql_of(low)}, {sql_of(high)}, '[]') @> {sql_of(term.lexpr)}"
    return bounds[0][0], index_expr, condition


def equality_fix(ctx: RuleContext, join) -> str:
    sides = spoken_list(relation_names(ast.SelectStmt(fromClause=(join,))))
    condition = code(sql_of(join.quals))
    for term in conjuncts(join.quals):
        found = _between_range(ctx, term)
        if found is not None:
            table, index_expr, range_condition = found
            return (
                f"The join of {sides} is on {condition} alone. If the relationship also has a key, add that "
                f"equality to ON. For the range itself, a GiST index on the range lets each row probe it: "
                f"{code(f'CREATE INDEX CONCURRENTLY ON {table} USING gist ({index_expr})')} with "
                f"{code(range_condition)} in ON (equivalent while both bounds are set and the lower one is not "
                f"above the upper one, which the range constructor requires)."
            )
    return (
        f"The join of {sides} is on {condition} alone, so every pair of rows is compared. Add the equality the "
        f"relationship really has (a shared key column) to ON; for a range condition consider a range column "
        f"with a GiST index, or a LATERAL subquery with ORDER BY ... LIMIT per row."
    )


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for join in ctx.of(ast.JoinExpr):
        if join.quals is None or join.usingClause or join.isNatural:
            continue
        if isinstance(join.quals, ast.A_Const):
            continue  # ON true: a cross/lateral join, handled by cartesian-product
        if not _has_column_equality(join.quals):
            message = "Join condition has no equality: only a nested loop can run it."
            out.append(ctx.finding(join.quals, message, fix=equality_fix(ctx, join)))
    return out


RULE = Rule(
    id="non-equi-join",
    title="Join without an equality condition",
    severity="warning",
    explanation="""A join whose ON clause has no equality between the two sides (only <, >, <>, BETWEEN,
    LIKE...) cannot be a hash or merge join: PostgreSQL falls back to a nested loop comparing every pair of
    rows.""",
    fix="""Add the equality the relationship really has; for range joins consider a range type with a GiST
    index (`&&`, `@>`) or a LATERAL subquery with ORDER BY ... LIMIT.""",
    example="SELECT o.id, p.name FROM orders o JOIN promotions p ON o.created_at BETWEEN p.starts_at AND p.ends_at",
    better="SELECT o.id, p.name FROM orders o JOIN promotions p ON p.period @> o.created_at",
    check=check,
)
