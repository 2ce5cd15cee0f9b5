"""like-without-wildcard: LIKE without a wildcard.

Its must-fire and must-not cases are in like_without_wildcard.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value, op_name, sql_of


def _has_wildcard(pattern: str) -> bool:
    escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch in "%_":
            return True
    return False


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind == A_Expr_Kind.AEXPR_LIKE and op_name(expr) == "~~":
            pattern = const_value(expr.rexpr)
            if isinstance(pattern, str) and not _has_wildcard(pattern):
                fix = f"Write `{sql_of(expr.lexpr)} = {sql_of(expr.rexpr)}`."
                out.append(ctx.finding(expr, f"LIKE {pattern!r} has no wildcard: use =.", fix=fix))
    return out


RULE = Rule(
    id="like-without-wildcard",
    title="LIKE without a wildcard",
    severity="info",
    explanation="""`col LIKE 'abc'` with no % or _ is an equality test written as a pattern match; with a
    non-C collation a plain B-tree index cannot serve LIKE, but it can serve =.""",
    fix="Write `col = 'abc'`.",
    example="SELECT id FROM customers WHERE email LIKE 'alice@example.com'",
    better="SELECT id FROM customers WHERE email = 'alice@example.com'",
    check=check,
)
