from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import ObjectType, reads_column, relation_name


def check(statement, script):
    node = statement.node
    if not (isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_COLUMN):
        return
    table = relation_name(node.relation)
    if not script.existing(table, statement.index):
        return
    readers = [q.location for q in script.facts.code_queries if reads_column(q.sql, table, node.subname)]
    where = f" Code still reads it: {', '.join(readers[:5])}." if readers else ""
    yield RULE.finding(
        statement,
        f"Renaming {table}.{node.subname} to {node.newname} breaks every running query that names it.{where}",
        safer="Add the new column (or a view), move the code to it, then drop the old name in a later release.",
        severity="error" if readers else "warning",
    )


RULE = Rule(
    id="renaming-column",
    severity="warning",
    title="Renaming a column breaks the code that reads it",
    why="The application running during the deploy still uses the old name; its queries fail from the "
    "moment the rename commits until every instance runs the new code.",
    check=check,
    must_fire=("ALTER TABLE orders RENAME COLUMN status TO state;", "ALTER TABLE settings RENAME COLUMN k TO key;"),
    must_not=("ALTER TABLE orders RENAME TO orders_v2;", "CREATE TABLE t (a int); ALTER TABLE t RENAME a TO b;"),
)
