from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import sql_of, table_of


def check(statement, script):
    node = statement.node
    if isinstance(node, ast.IndexStmt) and not node.concurrent and script.existing(table_of(node), statement.index):
        table = table_of(node)
        yield RULE.finding(
            statement,
            f"CREATE INDEX on {table} holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE "
            f"on {table} waits until it ends.",
            safer=sql_of(node, concurrent=True),
        )


RULE = Rule(
    id="require-concurrent-index-creation",
    severity="error",
    title="Build indexes on existing tables CONCURRENTLY",
    why="A plain CREATE INDEX blocks writes to the table until the build ends, minutes on a big table. "
    "CREATE INDEX CONCURRENTLY takes a SHARE UPDATE EXCLUSIVE lock, so reads and writes go on.",
    check=check,
    safer_example="CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
    must_fire=(
        "CREATE INDEX orders_status_idx ON orders (status);",
        "create unique index on customers (email);",
    ),
    must_not=(
        "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
        "CREATE TABLE events (id bigint); CREATE INDEX events_id ON events (id);",
    ),
)
