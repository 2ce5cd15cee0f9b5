"""unfiltered-big-table-scan: Reading a big table with no WHERE and no LIMIT.

Its must-fire and must-not cases are in unfiltered_big_table_scan.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, LimitOption, SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import BIG_TABLE_ROWS
from optimizer.rules.fixes import code, statement_with
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import is_aggregate_call, single_table, walk

PAGE_ROWS = 1000


def _key_column(table) -> str | None:
    """The single-column primary key pages are read by."""
    for index in table.indexes:
        if index.unique and index.name.endswith("_pkey") and len(index.columns) == 1 and not index.predicate:
            return index.columns[0]
    return None


def _page(select, key: str, after: bool):
    select.sortClause = (ast.SortBy(node=ast.ColumnRef(fields=(ast.String(sval=key),)), sortby_dir=0, sortby_nulls=0),)
    select.limitCount = ast.A_Const(isnull=False, val=ast.Integer(ival=PAGE_ROWS))
    select.limitOption = LimitOption.LIMIT_OPTION_COUNT
    if after:
        select.whereClause = ast.A_Expr(
            kind=A_Expr_Kind.AEXPR_OP,
            name=(ast.String(sval=">"),),
            lexpr=ast.ColumnRef(fields=(ast.String(sval=key),)),
            rexpr=ast.ParamRef(number=1),
        )
    return select


def paging_fix(ctx: RuleContext, select, name: str, table) -> str:
    key = _key_column(table)
    first = statement_with(select, {id(select): lambda c: _page(c, key, after=False)}) if key else None
    rest = statement_with(select, {id(select): lambda c: _page(c, key, after=True)}) if key else None
    if not (first and rest) or select.sortClause:
        return (
            f"Add the filter the caller applies to {name} afterwards as a WHERE condition, aggregate in the "
            f"database, or read it in pages by an indexed key (keyset LIMIT)."
        )
    return (
        f"Add the filter the caller applies to {name} afterwards as a WHERE condition, aggregate in the database, "
        f"or read it in pages of {PAGE_ROWS:,} by its key {key}: {code(first)}, then {code(rest)} with the "
        f"last {key} seen as $1."
    )


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
        message = f"Reads all ~{table.row_estimate:,} rows of {name} with no filter or limit."
        out.append(ctx.finding(select.fromClause[0], message, fix=paging_fix(ctx, select, name, table)))
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
