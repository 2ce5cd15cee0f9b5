from migration_safety.model import Rule
from migration_safety.tree import ConstrType, added_constraints, relation_name, table_of


def check(statement, script):
    table = table_of(statement.node)
    for constraint in added_constraints(statement.node):
        if constraint.contype != ConstrType.CONSTR_FOREIGN or constraint.skip_validation:
            continue
        if not script.existing(table, statement.index):
            continue
        name = constraint.conname or f"{table}_fkey"
        columns = ", ".join(a.sval for a in constraint.fk_attrs or ())
        target = relation_name(constraint.pktable)
        yield RULE.finding(
            statement,
            f"Adding the foreign key {name} checks every row of {table} while writes to both {table} and "
            f"{target} are blocked (SHARE ROW EXCLUSIVE).",
            safer=f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({columns}) REFERENCES {target} NOT VALID;\n"
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {name};",
        )


RULE = Rule(
    id="foreign-key-without-not-valid",
    severity="error",
    title="Add foreign keys NOT VALID, then VALIDATE",
    why="A foreign key added in one step is validated under a lock that blocks writes to both tables. "
    "NOT VALID adds it instantly for new rows; VALIDATE CONSTRAINT later checks old rows with a lock that "
    "lets reads and writes go on.",
    check=check,
    must_fire=("ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers;",),
    must_not=(
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;",
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;",
        "CREATE TABLE t (c int); ALTER TABLE t ADD FOREIGN KEY (c) REFERENCES customers;",
    ),
)
