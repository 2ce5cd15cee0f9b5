from migration_safety.model import Rule
from migration_safety.tree import all_new_columns, type_name


def check(statement, script):
    for column in all_new_columns(statement.node):
        if type_name(column.typeName) == "timestamp":
            yield RULE.finding(
                statement,
                f"{column.colname} is timestamp without time zone: the same instant reads differently per "
                "server and session time zone.",
                safer=f"{column.colname} timestamptz",
            )


RULE = Rule(
    id="prefer-timestamptz",
    severity="warning",
    title="Use timestamptz for points in time",
    why="timestamptz stores an instant (in UTC) and converts on output; timestamp stores a wall-clock "
    "reading with no zone, which breaks on daylight saving time and across regions.",
    check=check,
    must_fire=(
        "CREATE TABLE t (created_at timestamp);",
        "ALTER TABLE orders ADD COLUMN shipped_at timestamp without time zone;",
    ),
    must_not=("CREATE TABLE t (created_at timestamptz);", "CREATE TABLE t (created_at timestamp with time zone);"),
)
