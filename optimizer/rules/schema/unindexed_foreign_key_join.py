"""unindexed-foreign-key-join: Join on a foreign key that has no index.

Its must-fire and must-not cases are in unindexed_foreign_key_join.yaml beside this file.
"""

from __future__ import annotations

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import column_equalities


def check(ctx: RuleContext) -> list[Finding]:
    out, reported = [], set()
    for expr in column_equalities(ctx):
        left, right = ctx.resolve(expr.lexpr), ctx.resolve(expr.rexpr)
        if not (left and right):
            continue
        for child, parent in ((left, right), (right, left)):
            table = ctx.table(child[0])
            if table is None:
                continue
            for fk_cols, ref_table, ref_cols in table.foreign_keys:
                if fk_cols != [child[1]] or ref_table != parent[0] or ref_cols != [parent[1]]:
                    continue
                covered = any(i.columns[: len(fk_cols)] == fk_cols for i in table.indexes)
                if covered or (child, parent) in reported:
                    continue
                reported.add((child, parent))
                fix = (
                    f"Index the foreign key column: `CREATE INDEX CONCURRENTLY ON {child[0]} ({child[1]})`; it serves "
                    f"this join from {parent[0]} and the foreign key check when a row of {parent[0]} is deleted."
                )
                message = f"Foreign key {child[0]}.{child[1]} -> {parent[0]}.{parent[1]} has no index."
                out.append(ctx.finding(expr, message, fix=fix))
    return out


RULE = Rule(
    id="unindexed-foreign-key-join",
    title="Join on a foreign key that has no index",
    severity="warning",
    explanation="""PostgreSQL indexes primary keys but not foreign keys. Joining from the parent to the child
    on an unindexed foreign key (`JOIN order_items i ON i.order_id = o.id`) scans the child table, and every
    DELETE/UPDATE of a parent row scans it too to check the constraint.""",
    fix="Index the foreign key column(s): `CREATE INDEX CONCURRENTLY ON order_items (order_id)`.",
    example="SELECT o.id, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = 7",
    better="CREATE INDEX CONCURRENTLY ON order_items (order_id);",
    needs_schema=True,
    check=check,
)
