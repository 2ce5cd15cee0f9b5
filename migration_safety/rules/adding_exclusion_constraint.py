from migration_safety.model import Rule
from migration_safety.tree import ConstrType, added_constraints, table_of


def check(statement, script):
    table = table_of(statement.node)
    for constraint in added_constraints(statement.node):
        if constraint.contype == ConstrType.CONSTR_EXCLUSION and script.existing(table, statement.index):
            yield RULE.finding(
                statement,
                f"An exclusion constraint on {table} builds its index and checks every row under ACCESS "
                "EXCLUSIVE, and it cannot be added NOT VALID.",
                safer="Add it in a maintenance window, or enforce the rule in a trigger added first.",
            )


RULE = Rule(
    id="adding-exclusion-constraint",
    severity="warning",
    title="Exclusion constraints lock the table while they build",
    why="EXCLUDE constraints have no NOT VALID or USING INDEX form, so adding one to a live table blocks "
    "reads and writes for the whole build.",
    check=check,
    must_fire=(
        "ALTER TABLE orders ADD CONSTRAINT no_overlap EXCLUDE USING gist (customer_id WITH =, period WITH &&);",
    ),
    must_not=("CREATE TABLE t (p tsrange); ALTER TABLE t ADD EXCLUDE USING gist (p WITH &&);",),
)
