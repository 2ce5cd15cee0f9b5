"""unfiltered-big-table-scan: Reading a big table with no WHERE and no LIMIT.

Its must-fire and must-not cases are in unfiltered_big_table_scan.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import BIG_TABLE_ROWS
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import is_aggregate_call, single_table, walk


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        if select.whereClause is not None or select.limitCount is not None or select.groupClause:
            continue
        if ctx.parent_of(select) is not None or select.op != SetOperation.SETOP_NONE:
            continue  # only a statement's own result: INSERT ... SELECT, CTEs and subqueries are consumed in SQL
        if any(is_aggregate_call(n) for t in select.targetList or () for n in walk(t.val, stop=(ast.SubLink,))):
            continue
        name, table = single_table(ctx, select)
        if table is None or table.row_estimate is None or table.row_estimate < BIG_TABLE_ROWS:
            continue
        out.append(
            ctx.finding(
                select.fromClause[0], f"Reads all ~{table.row_estimate:,} rows of {name} with no filter or limit."
            )
        )
    return out


RULE = Rule(
    id="unfiltered-big-table-scan",
    title="Reading a big table with no WHERE and no LIMIT",
    severity="warning",
    explanation=f"""A SELECT over a table of {BIG_TABLE_ROWS:,}+ rows (by the planner's estimate) with no
    WHERE, no LIMIT and no aggregation ships the whole table to the client: seconds of I/O and memory on both
    sides, usually by accident (a missing filter or pagination).""",
    fix="Filter (WHERE), paginate (keyset LIMIT), or aggregate in the database.",
    example="SELECT id, payload FROM events",
    better="SELECT id, payload FROM events WHERE created_at >= now() - interval '1 hour'",
    needs_schema=True,
    check=check,
)
