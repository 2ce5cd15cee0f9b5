"""join-type-mismatch: Join between columns of different types.

Its must-fire and must-not cases are in join_type_mismatch.yaml beside this file.
"""

from __future__ import annotations

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import type_family
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_equalities


def is_key(ctx: RuleContext, column: tuple[str, str]) -> bool:
    """A column some foreign key refers to, or alone in a unique index: the side whose type the other adopts."""
    table = ctx.table(column[0])
    referenced = any(
        ref == column[0] and ref_cols == [column[1]]
        for info in (ctx.schema.tables.values() if ctx.schema else ())
        for _, ref, ref_cols in info.foreign_keys
    )
    return referenced or bool(table and any(i.unique and i.columns == [column[1]] for i in table.indexes))


def key_side(ctx: RuleContext, left, right):
    """(key side, other side), each (column, type): the right side is the key only if it is one and left is not."""
    if is_key(ctx, right[0]) and not is_key(ctx, left[0]):
        return right, left
    return left, right


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for expr in column_equalities(ctx):
        left, left_info = ctx.column_info(expr.lexpr)
        right, right_info = ctx.column_info(expr.rexpr)
        if not (left_info and right_info):
            continue
        lf, rf = type_family(left_info.type), type_family(right_info.type)
        if lf is None or rf is None or lf == rf or {lf, rf} == {"json", "jsonb"}:
            continue
        severity = "critical" if "text" in (lf, rf) or "uuid" in (lf, rf) else "warning"
        (key, key_type), (other, _) = key_side(ctx, (left, left_info.type), (right, right_info.type))
        fix = (
            f"Give both columns the same type, the key's: `ALTER TABLE {other[0]} ALTER COLUMN {other[1]} TYPE "
            f"{key_type} USING {other[1]}::{key_type}` (then {other[0]}.{other[1]} matches {key[0]}.{key[1]})."
        )
        message = (
            f"{left[0]}.{left[1]} ({left_info.type}) = {right[0]}.{right[1]} ({right_info.type}): "
            "one side is cast for every row."
        )
        out.append(ctx.finding(expr, message, severity=severity, fix=fix))
    return out


RULE = Rule(
    id="join-type-mismatch",
    title="Join between columns of different types",
    severity="warning",
    explanation="""Joining an integer column to a text or numeric column makes PostgreSQL cast one side for
    every row: the index on the cast side is not used, and hash/merge joins become costly. Between int and
    text there is no operator at all and the query fails.""",
    fix="Give both columns the same type (ALTER TABLE ... ALTER COLUMN ... TYPE ...), typically the referenced key's.",
    example="SELECT o.id FROM orders o JOIN legacy_payments p ON p.order_ref = o.id",
    better="ALTER TABLE legacy_payments ALTER COLUMN order_ref TYPE bigint USING order_ref::bigint",
    needs_schema=True,
    check=check,
)
