"""order-by-limit-without-index: ORDER BY ... LIMIT with no index in that order.

Its must-fire and must-not cases are in order_by_limit_without_index.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SetOperation, SortByDir

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import SMALL_TABLE_ROWS
from optimizer.rules.model import Finding, IndexInfo, Rule
from optimizer.rules.tree import column_parts, equality_columns, is_column, single_table


def index_serves_order(index: IndexInfo, equal: set[str], order: list[str]) -> bool:
    """B-tree index whose key is (some of the equality columns) followed by the ORDER BY columns."""
    if index.method not in ("btree", "", None) or index.expressions:
        return False
    cols = index.columns
    i = 0
    while i < len(cols) and cols[i] in equal and cols[i] not in order[:1]:
        i += 1
    # the leading ORDER BY column is enough: PostgreSQL 13+ finishes with an incremental sort per group
    return len(cols) > i and cols[i] == order[0]


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        if not select.sortClause or select.limitCount is None or select.op != SetOperation.SETOP_NONE:
            continue
        name, table = single_table(ctx, select)
        if table is None or not table.columns:
            continue
        if table.row_estimate is not None and table.row_estimate < SMALL_TABLE_ROWS:
            continue
        order = []
        for sort in select.sortClause:
            if not is_column(sort.node) or column_parts(sort.node)[1] not in table.columns:
                order = []
                break
            order.append(column_parts(sort.node)[1])
        if not order or select.groupClause or select.distinctClause:
            continue
        equal = equality_columns(ctx, select.whereClause)
        if any(index_serves_order(i, equal, order) for i in table.indexes):
            continue
        directions = " ".join(
            f"{c} DESC" if s.sortby_dir == SortByDir.SORTBY_DESC else c
            for c, s in zip(order, select.sortClause, strict=True)
        )
        keys = ", ".join([*(c for c in sorted(equal) if c not in order), directions])
        fix = (
            "Create an index on the equality-filtered columns followed by the ORDER BY columns: "
            f"`CREATE INDEX CONCURRENTLY ON {name} ({keys})`."
        )
        out.append(
            ctx.finding(
                select.sortClause[0],
                f"No index on {name} delivers rows ordered by {directions}: all matching rows are sorted.",
                fix=fix,
            )
        )
    return out


RULE = Rule(
    id="order-by-limit-without-index",
    title="ORDER BY ... LIMIT with no index in that order",
    severity="warning",
    explanation="""`ORDER BY created_at DESC LIMIT 20` is cheap when a B-tree index delivers rows in that order:
    PostgreSQL reads 20 entries and stops (an index on the leading ORDER BY column is enough; an incremental
    sort finishes the rest). Without such an index it reads every matching row and sorts them (top-N
    heapsort) to return 20.""",
    fix="""Create an index on the equality-filtered columns followed by the ORDER BY columns, e.g.
    `CREATE INDEX CONCURRENTLY ON orders (customer_id, created_at DESC)`.""",
    example="SELECT id FROM orders ORDER BY total DESC LIMIT 10",
    better="CREATE INDEX CONCURRENTLY ON orders (total DESC); -- then the same query reads 10 index entries",
    needs_schema=True,
    check=check,
)
