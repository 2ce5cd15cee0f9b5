from pglast import ast

from migration_safety.locks import lock_of
from migration_safety.model import Rule


def check(statement, script):
    node = statement.node
    if isinstance(node, ast.LockStmt) and lock_of(node).mode in ("ACCESS EXCLUSIVE", "EXCLUSIVE"):
        yield RULE.finding(
            statement,
            f"LOCK TABLE takes {lock_of(node).mode} and keeps it to the end of the transaction.",
            safer="Let each statement take the lock it needs, with lock_timeout set.",
        )


RULE = Rule(
    id="lock-table-explicitly",
    severity="warning",
    title="No explicit LOCK TABLE in migrations",
    why="An explicit strong lock held to the end of a migration's transaction blocks the application for "
    "all of it, longer than any single statement needs.",
    check=check,
    must_fire=("BEGIN; LOCK TABLE orders; COMMIT;", "LOCK TABLE orders IN EXCLUSIVE MODE;"),
    must_not=("LOCK TABLE orders IN ACCESS SHARE MODE;", "LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE;"),
)
