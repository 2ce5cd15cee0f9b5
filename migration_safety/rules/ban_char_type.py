from migration_safety.model import Rule
from migration_safety.tree import all_new_columns, type_name


def check(statement, script):
    for column in all_new_columns(statement.node):
        if type_name(column.typeName) == "bpchar":
            yield RULE.finding(
                statement,
                f"{column.colname} is char(n): values are padded with spaces, compare surprisingly and take "
                "no less room than text.",
                safer=f"{column.colname} text",
            )


RULE = Rule(
    id="ban-char-type",
    severity="info",
    title="Do not use char(n)",
    why="PostgreSQL's documentation: char(n) has no performance advantage; it pads with blanks and is "
    "usually the slowest of the three string types because of the extra storage.",
    check=check,
    must_fire=("CREATE TABLE t (code char(3));", "ALTER TABLE orders ADD COLUMN currency character(3);"),
    must_not=('CREATE TABLE t (code text, "char" "char");', "CREATE TABLE t (code varchar);"),
)
