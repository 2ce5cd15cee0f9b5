from migration_safety.locks import lock_of
from migration_safety.model import Rule

# Locks that queue behind a long transaction and then make every later query queue behind them.
_QUEUEING = {"ACCESS EXCLUSIVE", "EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE"}


def _needs_timeout(statement, script) -> bool:
    lock = lock_of(statement.node)
    return lock.mode in _QUEUEING and any(script.existing(t, statement.index) for t in lock.tables or ("?",))


def check(statement, script):
    if not _needs_timeout(statement, script) or script.lock_timeout_set_before(statement.index):
        return
    # Said once, at the first statement that needs it.
    if any(_needs_timeout(s, script) for s in script.before(statement.index)):
        return
    yield RULE.finding(
        statement,
        "No lock_timeout is set: if a long transaction holds the table, this statement waits for it and every "
        "query after it waits behind this one, so a quick change becomes an outage.",
        safer="SET lock_timeout = '3s';  -- first, then retry the migration if it times out",
    )


RULE = Rule(
    id="missing-lock-timeout",
    severity="warning",
    title="Set lock_timeout before taking strong locks",
    why="A statement waiting for ACCESS EXCLUSIVE blocks every later reader of the table in the lock "
    "queue. lock_timeout makes it give up quickly instead, so the migration can be retried.",
    check=check,
    must_fire=("ALTER TABLE orders ADD COLUMN note text;", "DROP INDEX orders_status_idx; DROP INDEX other_idx;"),
    must_not=(
        "SET lock_timeout = '3s'; ALTER TABLE orders ADD COLUMN note text;",
        "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);",
        "CREATE TABLE t (a int);",
    ),
)
