from migration_safety.model import Rule
from migration_safety.tree import added_columns, default_of, is_volatile, table_of


def check(statement, script):
    table = table_of(statement.node)
    for _cmd, column in added_columns(statement.node):
        if is_volatile(default_of(column)) and script.existing(table, statement.index):
            yield RULE.finding(
                statement,
                f"Adding {column.colname} with a volatile default rewrites all of {table} under an ACCESS "
                "EXCLUSIVE lock: nobody can read or write it until every row has its own value.",
                safer=f"ALTER TABLE {table} ADD COLUMN {column.colname} <type>;  -- then\n"
                f"ALTER TABLE {table} ALTER COLUMN {column.colname} SET DEFAULT <expression>;  -- then backfill "
                "old rows in batches",
            )


RULE = Rule(
    id="adding-column-with-volatile-default",
    severity="error",
    title="A new column's default must not be volatile",
    why="Since PostgreSQL 11 a constant default is stored once in the catalog; a volatile one (random(), "
    "gen_random_uuid(), clock_timestamp(), nextval()) must be computed per row, so the table is rewritten.",
    check=check,
    must_fire=(
        "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE orders ADD COLUMN seen_at timestamptz NOT NULL DEFAULT clock_timestamp();",
    ),
    must_not=(
        "ALTER TABLE orders ADD COLUMN archived boolean NOT NULL DEFAULT false;",
        "ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now();",
        "CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    ),
)
