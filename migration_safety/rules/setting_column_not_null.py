from migration_safety.model import Rule
from migration_safety.tree import AlterTableType, alter_commands, table_of


def check(statement, script):
    table = table_of(statement.node)
    for cmd in alter_commands(statement.node):
        if cmd.subtype == AlterTableType.AT_SetNotNull and script.existing(table, statement.index):
            col = cmd.name
            yield RULE.finding(
                statement,
                f"SET NOT NULL on {table}.{col} scans the whole table under an ACCESS EXCLUSIVE lock.",
                safer=f"ALTER TABLE {table} ADD CONSTRAINT {col}_not_null CHECK ({col} IS NOT NULL) NOT VALID;\n"
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {col}_not_null;\n"
                f"ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;  -- uses the validated check, no scan\n"
                f"ALTER TABLE {table} DROP CONSTRAINT {col}_not_null;",
            )


RULE = Rule(
    id="setting-column-not-null",
    severity="warning",
    title="SET NOT NULL after a validated CHECK",
    why="ALTER COLUMN SET NOT NULL checks every row while holding ACCESS EXCLUSIVE. Since PostgreSQL 12 a "
    "valid CHECK (col IS NOT NULL) lets it skip the scan, and that check can be validated without blocking.",
    check=check,
    must_fire=("ALTER TABLE orders ALTER COLUMN status SET NOT NULL;",),
    must_not=(
        "ALTER TABLE orders ALTER COLUMN status DROP NOT NULL;",
        "CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    ),
)
