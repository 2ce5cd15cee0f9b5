from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import ObjectType, reads_table, relation_name


def check(statement, script):
    node = statement.node
    if not (isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE):
        return
    table = relation_name(node.relation)
    readers = [q.location for q in script.facts.code_queries if reads_table(q.sql, table)]
    where = f" Code still uses it: {', '.join(readers[:5])}." if readers else ""
    yield RULE.finding(
        statement,
        f"Renaming {table} to {node.newname} breaks every query that names {table}.{where}",
        safer=f"ALTER TABLE {table} RENAME TO {node.newname};\nCREATE VIEW {table} AS SELECT * FROM {node.newname};"
        "  -- until no code uses the old name",
        severity="error" if readers else "warning",
    )


RULE = Rule(
    id="renaming-table",
    severity="warning",
    title="Renaming a table breaks the code that uses it",
    why="Queries of the running release fail the moment the rename commits; a view under the old name "
    "keeps them working until the code has moved.",
    check=check,
    must_fire=("ALTER TABLE orders RENAME TO purchases;", "ALTER TABLE settings RENAME TO config;"),
    must_not=("ALTER TABLE orders RENAME COLUMN status TO state;", "ALTER INDEX orders_pkey RENAME TO purchases_pkey;"),
)
