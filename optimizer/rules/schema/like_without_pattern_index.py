"""like-without-pattern-index: LIKE / ILIKE on a column without a pattern-capable index.

Its must-fire and must-not cases are in like_without_pattern_index.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import SMALL_TABLE_ROWS
from optimizer.rules.model import Finding, Rule, TableInfo
from optimizer.rules.tree import const_value, is_column, op_name

PATTERN_OPCLASSES = {"text_pattern_ops", "varchar_pattern_ops", "bpchar_pattern_ops"}


TRGM_OPCLASSES = {"gin_trgm_ops", "gist_trgm_ops"}


def _pattern_capable(table: TableInfo, column: str, needs_trgm: bool) -> bool | None:
    """True/False, or None when an index on the column has operator classes we were not told."""
    unknown = False
    for index in table.indexes:
        if column not in index.columns:
            continue
        opclasses = {o.lower() for o in index.opclasses}
        if opclasses & TRGM_OPCLASSES:
            return True
        if index.method in ("gin", "gist") and not opclasses:
            return True  # a text column has no default GIN/GiST operator class: this is pg_trgm's
        if not needs_trgm and index.columns[0] == column and opclasses & PATTERN_OPCLASSES:
            return True
        if not needs_trgm and index.method in ("btree", "", None) and not index.opclasses_known:
            unknown = True  # could be text_pattern_ops: the key list does not say
    return None if unknown else False


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in ctx.of(ast.A_Expr):
        if expr.kind not in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE) or not ctx.in_predicate(expr):
            continue
        if op_name(expr) not in ("~~", "~~*") or not is_column(expr.lexpr):
            continue
        pattern = const_value(expr.rexpr)
        if not isinstance(pattern, str) or pattern in ("%", ""):
            continue  # a parameter: we cannot know what kind of pattern it will be
        resolved = ctx.resolve(expr.lexpr)
        table = ctx.table(resolved[0]) if resolved else None
        if table is None or resolved[1] not in table.columns:
            continue
        if table.row_estimate is not None and table.row_estimate < SMALL_TABLE_ROWS:
            continue
        needs_trgm = expr.kind == A_Expr_Kind.AEXPR_ILIKE or pattern[:1] in ("%", "_")
        if _pattern_capable(table, resolved[1], needs_trgm) is not False:
            continue  # capable, or we cannot know: stay silent
        need = "a trigram (gin_trgm_ops) index" if needs_trgm else "a text_pattern_ops or trigram index"
        trigram = f"`CREATE INDEX CONCURRENTLY ON {resolved[0]} USING gin ({resolved[1]} gin_trgm_ops)`"
        if needs_trgm:
            fix = f"Create a trigram index (after `CREATE EXTENSION pg_trgm`): {trigram}."
        else:
            fix = (
                f"For prefix patterns: `CREATE INDEX CONCURRENTLY ON {resolved[0]} ({resolved[1]} text_pattern_ops)`; "
                f"for infix patterns or ILIKE a trigram index: {trigram}."
            )
        message = f"{resolved[0]}.{resolved[1]} has no {need}: the pattern scans the table."
        out.append(ctx.finding(expr, message, fix=fix))
    return out


RULE = Rule(
    id="like-without-pattern-index",
    title="LIKE / ILIKE on a column without a pattern-capable index",
    severity="warning",
    explanation="""With a non-C collation (the usual en_US.UTF-8 etc.) a plain B-tree index cannot serve LIKE
    'abc%'; it needs text_pattern_ops / varchar_pattern_ops (or the C collation). Patterns starting with a
    wildcard and ILIKE need a trigram index (pg_trgm, gin_trgm_ops). Without one, the table is scanned.""",
    fix="""Prefix patterns: `CREATE INDEX ON t (col text_pattern_ops)`. Infix patterns or ILIKE:
    `CREATE EXTENSION pg_trgm; CREATE INDEX ON t USING gin (col gin_trgm_ops)`.""",
    example="SELECT id FROM products WHERE name LIKE 'Widget%'",
    better="CREATE INDEX ON products (name text_pattern_ops); -- then the same query uses it",
    needs_schema=True,
    check=check,
)
