"""filter-without-index: Equality filter on a big table with no index to serve it.

Its must-fire and must-not cases are in filter_without_index.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind

from optimizer.rules.context import RuleContext
from optimizer.rules.facts import BIG_TABLE_ROWS
from optimizer.rules.model import Finding, Rule
from optimizer.rules.tree import (
    column_parts,
    columns_in,
    conjuncts,
    equality_columns,
    is_column,
    is_constant_expr,
    op_name,
    single_table,
    sql_of,
)


def _filter_index_fix(name: str, terms, equal: list[str]) -> str:
    """The index for this query's filter, and the partial form when it compares a column with a constant."""
    constants = []
    for term in terms:
        if isinstance(term, ast.A_Expr) and term.kind == A_Expr_Kind.AEXPR_OP and op_name(term) == "=":
            for col, other in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
                if is_column(col) and column_parts(col)[1] in equal and is_constant_expr(other):
                    constants.append((column_parts(col)[1], sql_of(other)))
                    break
    # Most distinct values first is unknowable here; keep the query's columns in a stable order.
    cols = ", ".join(sorted(equal))
    fix = f"Index the filtered column{'s' if len(equal) > 1 else ''}: `CREATE INDEX CONCURRENTLY ON {name} ({cols})`"
    if constants:
        column, value = constants[0]
        rest = [c for c in sorted(equal) if c != column]
        # Keyed on the constant's own column when nothing else is filtered: every entry holds the same value,
        # which B-tree deduplication packs into a few pages (the index advisor measures the same candidate).
        key = ", ".join(rest) or column
        fix += (
            f"; if the query always asks for {column} = {value} and few rows have it, a partial index is smaller "
            f"and as fast: `CREATE INDEX CONCURRENTLY ON {name} ({key}) WHERE {column} = {value}`"
        )
    return fix + "."


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for select in ctx.of(ast.SelectStmt):
        name, table = single_table(ctx, select)
        if table is None or table.row_estimate is None or table.row_estimate < BIG_TABLE_ROWS:
            continue
        terms = conjuncts(select.whereClause)
        equal = [c for c in equality_columns(ctx, select.whereClause) if c in table.columns]
        if not equal:
            continue
        referenced = {column_parts(c)[1] for t in terms for c in columns_in(t)}
        led = {i.columns[0] for i in table.indexes if i.columns and i.method in ("btree", "hash", "", None)}
        led |= {c for i in table.indexes if i.method in ("gin", "gist", "brin") for c in i.columns}
        if referenced & led or any(i.expressions for i in table.indexes if not i.columns):
            continue  # some condition can use an index (or an expression index might)
        cols = ", ".join(sorted(equal))
        out.append(
            ctx.finding(
                select.whereClause,
                f"No index on {name} serves this filter on {cols}: the table is scanned.",
                fix=_filter_index_fix(name, terms, equal),
            )
        )
    return out


RULE = Rule(
    id="filter-without-index",
    title="Equality filter on a big table with no index to serve it",
    severity="warning",
    explanation=f"""`WHERE col = value` on a table of {BIG_TABLE_ROWS:,}+ rows, where no condition of the
    query is on the leading column of an index, makes PostgreSQL read the whole table (a sequential scan)
    to find the matching rows.""",
    fix="""Index the filtered column (or columns, equality first): `CREATE INDEX CONCURRENTLY ON orders (note)`;
    a partial index if the value is always the same (`WHERE status = 'pending'`).""",
    example="SELECT id FROM orders WHERE note = 'gift wrap'",
    better="CREATE INDEX CONCURRENTLY ON orders (note); -- then the same query reads only the matches",
    needs_schema=True,
    check=check,
)
