"""leading-wildcard-like: LIKE pattern starting with a wildcard.

Its must-fire and must-not cases are in leading_wildcard_like.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value, is_column, sql_of


def has_trigram_index(ctx: RuleContext, node) -> bool:
    """When schema facts are given: is there a pg_trgm (GIN/GiST) index on this column?"""
    if not is_column(node):
        return False
    resolved = ctx.resolve(node)
    table = ctx.table(resolved[0]) if resolved else None
    if table is None:
        return False
    for index in table.indexes:
        if resolved[1] in index.columns and index.method in ("gin", "gist"):
            if not index.opclasses or {o.lower() for o in index.opclasses} & {"gin_trgm_ops", "gist_trgm_ops"}:
                return True
    return False


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind not in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            continue
        pattern = const_value(expr.rexpr)
        if isinstance(pattern, str) and pattern[:1] in ("%", "_"):
            if has_trigram_index(ctx, expr.lexpr):
                continue  # the schema shows a pg_trgm index: the pattern is served
            resolved = ctx.resolve(expr.lexpr) if is_column(expr.lexpr) else None
            index = (
                f"`CREATE INDEX CONCURRENTLY ON {resolved[0]} USING gin ({resolved[1]} gin_trgm_ops)`"
                if resolved
                else f"a GIN index on {sql_of(expr.lexpr)} with gin_trgm_ops"
            )
            fix = f"Anchor the pattern at the start if you can; otherwise create a trigram index ({index}, after "
            fix += "`CREATE EXTENSION pg_trgm`) or use full-text search."
            message = f"Pattern {pattern!r} starts with a wildcard: no B-tree index can serve it."
            out.append(ctx.finding(expr, message, fix=fix))
    return out


RULE = Rule(
    id="leading-wildcard-like",
    title="LIKE pattern starting with a wildcard",
    severity="warning",
    explanation="""A pattern that starts with % or _ cannot use a B-tree index: PostgreSQL has to read every
    row and test it. Only a trigram (pg_trgm) GIN/GiST index serves `LIKE '%x%'`.""",
    fix="""Anchor the pattern at the start if you can; otherwise create a trigram index
    (`CREATE INDEX ... USING gin (col gin_trgm_ops)`) or use full-text search.""",
    example="SELECT id FROM customers WHERE email LIKE '%@example.com'",
    better="SELECT id FROM customers WHERE email LIKE 'alice%'",
    check=check,
)
