from pglast.stream import RawStream

from migration_safety.model import Rule
from migration_safety.tree import AlterTableType, alter_commands, table_of


def check(statement, script):
    table = table_of(statement.node)
    for cmd in alter_commands(statement.node):
        if cmd.subtype == AlterTableType.AT_AlterColumnType and script.existing(table, statement.index):
            new_type = RawStream()(cmd.def_.typeName)
            yield RULE.finding(
                statement,
                f"Changing {table}.{cmd.name} to {new_type} rewrites the table and its indexes under an ACCESS "
                "EXCLUSIVE lock (only varchar widening and varchar to text are free).",
                safer=f"Add a new column of type {new_type}, write both from the application, backfill in batches, "
                "then switch reads and drop the old column.",
            )


RULE = Rule(
    id="changing-column-type",
    severity="error",
    title="Changing a column's type rewrites the table",
    why="Most type changes rewrite every row and rebuild every index while nobody can read or write the "
    "table; a new column filled in the background avoids the outage.",
    check=check,
    must_fire=(
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);",
        "ALTER TABLE orders ALTER status TYPE int USING 1;",
    ),
    must_not=(
        "ALTER TABLE orders ALTER COLUMN total SET DEFAULT 0;",
        "CREATE TABLE t (a int); ALTER TABLE t ALTER a TYPE bigint;",
    ),
)
