from migration_safety.model import Rule
from migration_safety.tree import all_new_columns, type_modifiers, type_name


def check(statement, script):
    for column in all_new_columns(statement.node):
        if type_name(column.typeName) == "varchar" and type_modifiers(column.typeName):
            yield RULE.finding(
                statement,
                f"{column.colname} is varchar({type_modifiers(column.typeName)[0]}): raising the limit later "
                "is easy, lowering it rewrites the table; text with a CHECK on length is as fast and easier to change.",
                safer=f"{column.colname} text CHECK (char_length({column.colname}) <= {type_modifiers(column.typeName)[0]})",
            )


RULE = Rule(
    id="prefer-text-over-varchar",
    severity="info",
    title="Prefer text (with a CHECK) to varchar(n)",
    why="In PostgreSQL varchar(n) is text with a length check built into the type; a CHECK constraint can "
    "be changed NOT VALID, the type's limit cannot be lowered without a rewrite.",
    check=check,
    must_fire=("CREATE TABLE t (name varchar(100));", "ALTER TABLE orders ADD COLUMN code varchar(8);"),
    must_not=("CREATE TABLE t (name text);", "CREATE TABLE t (name varchar);"),
)
