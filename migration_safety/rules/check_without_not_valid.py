from pglast.stream import RawStream

from migration_safety.model import Rule
from migration_safety.tree import ConstrType, added_constraints, table_of


def check(statement, script):
    table = table_of(statement.node)
    for constraint in added_constraints(statement.node):
        if constraint.contype != ConstrType.CONSTR_CHECK or constraint.skip_validation:
            continue
        if not script.existing(table, statement.index):
            continue
        name = constraint.conname or f"{table}_check"
        expression = RawStream()(constraint.raw_expr)
        yield RULE.finding(
            statement,
            f"Adding CHECK {name} scans all of {table} under an ACCESS EXCLUSIVE lock.",
            safer=f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({expression}) NOT VALID;\n"
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {name};",
        )


RULE = Rule(
    id="check-without-not-valid",
    severity="warning",
    title="Add CHECK constraints NOT VALID, then VALIDATE",
    why="A CHECK added in one step is validated while nobody can read or write the table; NOT VALID "
    "followed by VALIDATE CONSTRAINT checks old rows under SHARE UPDATE EXCLUSIVE instead.",
    check=check,
    must_fire=("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",),
    must_not=(
        "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;",
        "CREATE TABLE t (a int); ALTER TABLE t ADD CHECK (a > 0);",
    ),
)
