"""non-equi-join: Join without an equality condition.

Its must-fire and must-not cases are in non_equi_join.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import columns_in, conjuncts, op_name


def _has_column_equality(quals) -> bool:
    for term in conjuncts(quals):
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            if columns_in(term.lexpr) and columns_in(term.rexpr):
                return True
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT:
            return True
    return False


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for join in ctx.of(ast.JoinExpr):
        if join.quals is None or join.usingClause or join.isNatural:
            continue
        if isinstance(join.quals, ast.A_Const):
            continue  # ON true: a cross/lateral join, handled by cartesian-product
        if not _has_column_equality(join.quals):
            out.append(ctx.finding(join.quals, "Join condition has no equality: only a nested loop can run it."))
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
