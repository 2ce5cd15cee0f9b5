from migration_safety.model import Rule
from migration_safety.tree import ConstrType, constraints_built_in_place


def check(statement, script):
    for table, name, columns in constraints_built_in_place(statement, script, ConstrType.CONSTR_PRIMARY):
        yield RULE.finding(
            statement,
            f"Adding the primary key to {table} builds its index and checks NOT NULL under ACCESS EXCLUSIVE.",
            safer=f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({columns});\n"
            f"ALTER TABLE {table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name};",
        )


RULE = Rule(
    id="adding-primary-key",
    severity="error",
    title="Add a primary key USING INDEX built concurrently",
    why="ADD PRIMARY KEY builds a unique index while nobody can read or write the table; a unique index "
    "built CONCURRENTLY and attached USING INDEX avoids that.",
    check=check,
    must_fire=(
        "ALTER TABLE settings ADD PRIMARY KEY (id);",
        "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);",
    ),
    must_not=(
        "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id_idx;",
        "CREATE TABLE t (id int); ALTER TABLE t ADD PRIMARY KEY (id);",
    ),
)
