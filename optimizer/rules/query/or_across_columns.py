"""or-across-columns: OR across different columns.

Its must-fire and must-not cases are in or_across_columns.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import BoolExprType

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, spoken_list
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_key, column_parts, conjuncts, simple_predicate_column, sql_of


def _leads_an_index(table, column: str) -> bool:
    return any(i.columns[:1] == [column] and not i.predicate for i in table.indexes)


def or_fix(ctx: RuleContext, cols) -> str:
    """Say which of the ORed columns lack an index of their own, with the statement that adds one."""
    resolved = [ctx.resolve(c) for c in cols]
    spoken = spoken_list(sorted({sql_of(c) for c in cols}))
    split = (
        f"Or split the query into a UNION ALL with one branch per column of {spoken}, each later branch "
        f"excluding the rows of the earlier ones (`IS DISTINCT FROM`)"
    )
    table = ctx.table(resolved[0][0]) if resolved[0] else None
    if table is None or None in resolved:
        return f"Give each of {spoken} an index of its own (the planner then ORs their bitmaps). {split}."
    missing = sorted({col for _, col in resolved if not _leads_an_index(table, col)})
    if not missing:
        return (
            f"{spoken} each lead an index of {resolved[0][0]}, so the planner can OR their bitmaps; if it "
            f"still scans, the condition matches too many rows for an index to help. {split}."
        )
    statements = "; ".join(code(f"CREATE INDEX CONCURRENTLY ON {resolved[0][0]} ({col})") for col in missing)
    return f"Give {spoken_list(missing)} an index of its own so the planner can OR the bitmaps: {statements}. {split}."


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for stmt in ctx.of(ast.SelectStmt):
        for term in conjuncts(stmt.whereClause):
            if not (isinstance(term, ast.BoolExpr) and term.boolop == BoolExprType.OR_EXPR):
                continue
            cols = [simple_predicate_column(arg) for arg in term.args]
            if any(c is None for c in cols):
                continue
            keys = {column_key(ctx, c) for c in cols}
            if len({column_parts(c)[0] for c in cols}) > 1:
                continue  # columns of different tables: no single-table index plan either way
            if len(keys) >= 2:
                names = ", ".join(sorted(k.lstrip(".") for k in keys))
                message = f"OR across columns {names}: one index cannot serve it."
                out.append(ctx.finding(term, message, fix=or_fix(ctx, cols)))
    return out


RULE = Rule(
    id="or-across-columns",
    title="OR across different columns",
    severity="info",
    explanation="""`WHERE a = 1 OR b = 2` cannot use one index on (a, b): the planner needs a separate index
    on each column to combine them with a BitmapOr, and otherwise scans the table.""",
    fix="""Make sure each column has an index (the planner then ORs bitmaps), or split the query into a
    UNION ALL of one branch per column with the branches made disjoint.""",
    example="SELECT id FROM customers WHERE email = 'a@example.com' OR phone = '555-0100'",
    better="SELECT id FROM customers WHERE email = 'a@example.com' UNION ALL SELECT id FROM customers "
    "WHERE phone = '555-0100' AND email IS DISTINCT FROM 'a@example.com'",
    check=check,
)
