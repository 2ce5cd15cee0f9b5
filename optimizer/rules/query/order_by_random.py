"""order-by-random: ORDER BY random(). Its must-fire and must-not cases are in order_by_random.yaml beside this file."""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import func_name


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for s in ctx.of(ast.SortBy):
        if func_name(s.node) not in ("random", "rand"):
            continue
        select = ctx.parent_of(s)
        items = [i for i in (getattr(select, "fromClause", None) or ()) if isinstance(i, ast.RangeVar)]
        fix = None
        if len(items) == 1:
            fix = (
                f"Sample instead of sorting: `FROM {items[0].relname} TABLESAMPLE SYSTEM (1)` (or BERNOULLI), or "
                f"pick random ids in {items[0].relname}'s key range and fetch those by primary key."
            )
        out.append(ctx.finding(s, "ORDER BY random() sorts every row to return a few.", fix=fix))
    return out


RULE = Rule(
    id="order-by-random",
    title="ORDER BY random()",
    severity="warning",
    explanation="""ORDER BY random() computes a random number for every row and sorts the whole table to pick
    a few rows: the cost grows with the table, not with the LIMIT.""",
    fix="""Use `TABLESAMPLE SYSTEM (p)` / `BERNOULLI`, or pick random ids in a known range and fetch those
    by primary key.""",
    example="SELECT id FROM products ORDER BY random() LIMIT 5",
    better="SELECT id FROM products TABLESAMPLE SYSTEM (1) LIMIT 5",
    check=check,
)
