from migration_safety.model import Rule
from migration_safety.tree import AlterTableType, alter_commands, reads_column, table_of


def check(statement, script):
    table = table_of(statement.node)
    for cmd in alter_commands(statement.node):
        if cmd.subtype != AlterTableType.AT_DropColumn or not script.existing(table, statement.index):
            continue
        readers = [q.location for q in script.facts.code_queries if reads_column(q.sql, table, cmd.name)]
        where = f" Code still reads it: {', '.join(readers[:5])}." if readers else ""
        yield RULE.finding(
            statement,
            f"Dropping {table}.{cmd.name} loses its data for good and fails every query that names it.{where}",
            safer="Stop reading and writing the column in a release first (Django: remove the field with "
            "SeparateDatabaseAndState), then drop it in the next.",
            severity="error" if readers else "warning",
        )


RULE = Rule(
    id="dropping-column",
    severity="warning",
    title="Drop a column only after no code reads it",
    why="The running release's queries fail as soon as the column is gone (SELECT * with a fixed column "
    "list in an ORM too), and the data cannot be brought back without a restore.",
    check=check,
    must_fire=("ALTER TABLE orders DROP COLUMN status;", "ALTER TABLE settings DROP COLUMN legacy;"),
    must_not=(
        "ALTER TABLE orders DROP CONSTRAINT orders_total_check;",
        "CREATE TABLE t (a int, b int); ALTER TABLE t DROP b;",
    ),
)
