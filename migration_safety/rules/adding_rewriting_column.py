from migration_safety.model import Rule
from migration_safety.tree import added_columns, is_identity, is_serial, is_stored_generated, table_of


def check(statement, script):
    table = table_of(statement.node)
    for _cmd, column in added_columns(statement.node):
        if not script.existing(table, statement.index):
            continue
        if is_serial(column) or is_identity(column):
            what = "a serial or identity column fills every existing row from a sequence"
        elif is_stored_generated(column):
            what = "a stored generated column is computed for every existing row"
        else:
            continue
        yield RULE.finding(
            statement,
            f"Adding {column.colname} to {table} rewrites the table under ACCESS EXCLUSIVE: {what}.",
            safer="Add a plain nullable column, backfill it in batches, then add the default or trigger.",
        )


RULE = Rule(
    id="adding-rewriting-column",
    severity="error",
    title="Serial, identity and stored generated columns rewrite the table",
    why="Their values differ per row, so PostgreSQL cannot store one default in the catalog: it rewrites "
    "the whole table while nobody can use it.",
    check=check,
    must_fire=(
        "ALTER TABLE orders ADD COLUMN seq bigserial;",
        "ALTER TABLE orders ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;",
        "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) STORED;",
    ),
    must_not=(
        "ALTER TABLE orders ADD COLUMN note text;",
        "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN id serial;",
    ),
)
