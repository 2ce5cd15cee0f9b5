from migration_safety.model import Rule
from migration_safety.tree import ConstrType, constraints_built_in_place


def check(statement, script):
    for table, name, columns in constraints_built_in_place(statement, script, ConstrType.CONSTR_UNIQUE):
        yield RULE.finding(
            statement,
            f"Adding UNIQUE {name} builds its index while {table} is locked against reads and writes.",
            safer=f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({columns});\n"
            f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name};",
        )


RULE = Rule(
    id="adding-unique-constraint",
    severity="error",
    title="Add UNIQUE constraints USING INDEX built concurrently",
    why="ADD CONSTRAINT ... UNIQUE builds the index under ACCESS EXCLUSIVE; building it CONCURRENTLY first "
    "and attaching it with USING INDEX takes the strong lock only for a moment.",
    check=check,
    must_fire=("ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);",),
    must_not=(
        "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_key;",
        "CREATE TABLE t (a int); ALTER TABLE t ADD UNIQUE (a);",
    ),
)
