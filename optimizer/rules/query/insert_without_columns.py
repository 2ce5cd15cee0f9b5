"""insert-without-columns: INSERT without a column list.

Its must-fire and must-not cases are in insert_without_columns.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import SetOperation

from optimizer.rules.context import RuleContext
from optimizer.rules.fixes import code, statement_with
from optimizer.rules.model import Finding, Rule


def _value_count(select) -> int | None:
    """How many columns the VALUES rows or the SELECT fill (None when a star hides it)."""
    if select.valuesLists:
        return len(select.valuesLists[0])
    if select.op != SetOperation.SETOP_NONE:
        return _value_count(select.larg)
    targets = select.targetList or ()
    if any(isinstance(t.val, ast.ColumnRef) and isinstance(t.val.fields[-1], ast.A_Star) for t in targets):
        return None
    return len(targets)


def columns_fix(ctx: RuleContext, stmt, name: str) -> str:
    """The statement with the column list PostgreSQL fills today written out: the first N columns of the table
    in their order, which is what the INSERT does without a list (so the rewrite inserts the same rows)."""
    table = ctx.table(name)
    count = _value_count(stmt.selectStmt) if isinstance(stmt.selectStmt, ast.SelectStmt) else None
    if table is None or not table.columns or count is None or count > len(table.columns):
        return f"Name the columns of {name} the values go into, in order, after INSERT INTO {name}."
    columns = list(table.columns)[:count]

    def listed(copied):
        copied.cols = tuple(ast.ResTarget(name=c) for c in columns)
        return copied

    rewritten = statement_with(stmt, {id(stmt): listed})
    return f"Name the columns: {code(rewritten)}." if rewritten else f"Name the columns: {', '.join(columns)}."


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for stmt in ctx.of(ast.InsertStmt):
        if stmt.cols or stmt.selectStmt is None:
            continue
        name = stmt.relation.relname
        fix = columns_fix(ctx, stmt, name)
        out.append(ctx.finding(stmt.relation, f"INSERT INTO {name} without a column list.", fix=fix))
    return out


RULE = Rule(
    id="insert-without-columns",
    title="INSERT without a column list",
    severity="warning",
    explanation="""INSERT INTO t VALUES (...) depends on the table's column order: adding, dropping or
    reordering a column silently puts values into the wrong columns or breaks the statement.""",
    fix="Name the columns: `INSERT INTO t (a, b) VALUES (...)`.",
    example="INSERT INTO customers VALUES (1, 'a@example.com', 'Alice')",
    better="INSERT INTO customers (id, email, name) VALUES (1, 'a@example.com', 'Alice')",
    check=check,
)
