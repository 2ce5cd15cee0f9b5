from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import ObjectType


def check(statement, script):
    node = statement.node
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX and not node.concurrent:
        names = ", ".join(".".join(part.sval for part in obj) for obj in node.objects)
        yield RULE.finding(
            statement,
            f"DROP INDEX {names} takes an ACCESS EXCLUSIVE lock on its table: every read and write of it waits.",
            safer=f"DROP INDEX CONCURRENTLY {'IF EXISTS ' if node.missing_ok else ''}{names};",
        )


RULE = Rule(
    id="require-concurrent-index-deletion",
    severity="warning",
    title="Drop indexes CONCURRENTLY",
    why="DROP INDEX locks the table against reads and writes while it waits for and holds the lock; "
    "DROP INDEX CONCURRENTLY waits for running transactions instead of blocking new ones.",
    check=check,
    safer_example="DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;",
    must_fire=("DROP INDEX orders_status_idx;", "drop index if exists public.orders_status_idx;"),
    must_not=("DROP INDEX CONCURRENTLY orders_status_idx;", "DROP TABLE settings;"),
)
