from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import ObjectType, reads_table


def check(statement, script):
    node = statement.node
    if not (isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE):
        return
    for obj in node.objects:
        table = ".".join(part.sval for part in obj).lower()
        if not script.existing(table, statement.index):
            continue
        readers = [q.location for q in script.facts.code_queries if reads_table(q.sql, table)]
        where = f" Code still uses it: {', '.join(readers[:5])}." if readers else ""
        yield RULE.finding(
            statement,
            f"DROP TABLE {table} loses its rows for good{' and cascades to what depends on it' if node.behavior.name == 'DROP_CASCADE' else ''}.{where}",
            safer=f"ALTER TABLE {table} RENAME TO {table.rsplit('.', 1)[-1]}_deprecated;  -- drop it a release later",
            severity="error" if readers else "warning",
        )


RULE = Rule(
    id="dropping-table",
    severity="warning",
    title="Dropping a table is final",
    why="A dropped table cannot be brought back without a restore, and queries of the running release "
    "that use it fail at once.",
    check=check,
    must_fire=("DROP TABLE orders;", "DROP TABLE IF EXISTS settings CASCADE;"),
    must_not=("CREATE TABLE t (a int); DROP TABLE t;", "DROP INDEX orders_status_idx;"),
)
