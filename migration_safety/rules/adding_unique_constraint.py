from migration_safety.model import Rule
from migration_safety.tree import ConstrType, added_constraints, table_of


def check(statement, script):
    table = table_of(statement.node)
    for constraint in added_constraints(statement.node):
        if constraint.contype != ConstrType.CONSTR_UNIQUE or constraint.indexname:
            continue
        if not script.existing(table, statement.index):
            continue
        name = constraint.conname or f"{table}_key"
        columns = ", ".join(k.sval for k in constraint.keys or ())
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
