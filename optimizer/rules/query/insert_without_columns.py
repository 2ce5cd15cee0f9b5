"""insert-without-columns: INSERT without a column list.

Its must-fire and must-not cases are in insert_without_columns.yaml beside this file.
"""

from __future__ import annotations

from pglast import ast

from optimizer.rules.context import RuleContext
from optimizer.rules.model import Finding, Rule


def check(ctx: RuleContext) -> list[Finding]:
    out = []
    for stmt in ctx.of(ast.InsertStmt):
        if stmt.cols or stmt.selectStmt is None:
            continue
        name = stmt.relation.relname
        table = ctx.table(name)
        columns = ", ".join(table.columns) if table is not None and table.columns else "the columns, in order"
        fix = f"Name the columns: `INSERT INTO {name} ({columns}) ...`."
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
