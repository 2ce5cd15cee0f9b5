from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import ObjectType


def _concurrent(node) -> bool:
    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return bool(node.concurrent) and (isinstance(node, ast.IndexStmt) or node.removeType == ObjectType.OBJECT_INDEX)
    if isinstance(node, ast.ReindexStmt):
        return any(getattr(o, "defname", "") == "concurrently" for o in node.params or ())
    return False


def check(statement, script):
    if _concurrent(statement.node) and script.in_explicit_transaction(statement.index):
        yield RULE.finding(
            statement,
            "CONCURRENTLY cannot run inside a transaction block: PostgreSQL refuses it after BEGIN, and the "
            "statements before it in the block are rolled back.",
            safer="Run it on its own, outside BEGIN ... COMMIT.",
        )


RULE = Rule(
    id="concurrent-index-in-transaction",
    severity="error",
    title="No CONCURRENTLY inside a transaction block",
    why="CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY commit internally between their phases, "
    "so PostgreSQL refuses them inside BEGIN ... COMMIT.",
    check=check,
    must_fire=(
        "BEGIN; CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status); COMMIT;",
        "BEGIN; DROP INDEX CONCURRENTLY orders_status_idx; COMMIT;",
    ),
    must_not=(
        "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
        "BEGIN; CREATE INDEX CONCURRENTLY x ON orders (total);".replace("BEGIN;", "BEGIN; COMMIT;"),
    ),
)
