"""deep-offset: Deep OFFSET pagination. Its must-fire and must-not cases are in deep_offset.yaml beside this file."""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import const_value, sql_of

DEEP_OFFSET = 1000


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        value = const_value(select.limitOffset) if select.limitOffset is not None else None
        if isinstance(value, int) and value >= DEEP_OFFSET:
            where = ctx.token_span("OFFSET", str(value))
            keys = [sql_of(s.node) for s in select.sortClause or ()]
            limit = sql_of(select.limitCount) if select.limitCount is not None else "the page size"
            if keys:
                params = ", ".join(f"${i}" for i in range(1, len(keys) + 1))
                row = f"({', '.join(keys)})" if len(keys) > 1 else keys[0]
                fix = (
                    f"Use keyset pagination: remember the last row's {', '.join(keys)} and ask for `WHERE {row} > "
                    f"({params}) ORDER BY {', '.join(keys)} LIMIT {limit}`, served by an index on ({', '.join(keys)})."
                )
            else:
                fix = "Order by a unique key, then use keyset pagination: `WHERE key > $1 ORDER BY key LIMIT ...`."
            message = f"OFFSET {value} reads and discards {value} rows."
            out.append(ctx.finding(None, message, location=where, fix=fix))
    return out


RULE = Rule(
    id="deep-offset",
    title="Deep OFFSET pagination",
    severity="warning",
    explanation=f"""OFFSET n makes PostgreSQL produce and throw away n rows before returning the page: page
    1000 costs a thousand pages. Flagged from OFFSET {DEEP_OFFSET}.""",
    fix="""Use keyset pagination: remember the last row's sort key and ask for `WHERE (k1, k2) > ($1, $2)
    ORDER BY k1, k2 LIMIT n`, served by an index on (k1, k2).""",
    example="SELECT id, total FROM orders ORDER BY created_at, id LIMIT 50 OFFSET 50000",
    better="SELECT id, total FROM orders WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT 50",
    check=check,
)
