from migration_safety.model import Rule
from migration_safety.tree import (
    ConstrType,
    added_columns,
    default_of,
    has_constraint,
    is_identity,
    is_serial,
    table_of,
)


def check(statement, script):
    table = table_of(statement.node)
    for _cmd, column in added_columns(statement.node):
        required = has_constraint(column, ConstrType.CONSTR_NOTNULL)
        filled = default_of(column) is not None or is_serial(column) or is_identity(column)
        if required and not filled and script.existing(table, statement.index):
            yield RULE.finding(
                statement,
                f"{column.colname} is NOT NULL with no default: the ALTER fails as soon as {table} has a row.",
                safer=f"ALTER TABLE {table} ADD COLUMN {column.colname} <type> NOT NULL DEFAULT <constant>;",
            )


RULE = Rule(
    id="adding-required-column",
    severity="error",
    title="A new NOT NULL column needs a default",
    why="Existing rows would hold NULL in a NOT NULL column, so PostgreSQL refuses the ALTER on any "
    "non-empty table; the migration passes on an empty development database and fails in production.",
    check=check,
    must_fire=("ALTER TABLE orders ADD COLUMN region text NOT NULL;",),
    must_not=(
        "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';",
        "ALTER TABLE orders ADD COLUMN region text;",
        "CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN region text NOT NULL;",
    ),
)
