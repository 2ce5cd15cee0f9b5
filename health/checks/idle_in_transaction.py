"""Sessions idle inside an open transaction."""

from health.checks.activity import ACTIVITY_COLUMNS, THIS_DATABASE, session_label
from health.checks.base import Check

SQL = f"""
SELECT {ACTIVITY_COLUMNS}
FROM pg_stat_activity
WHERE {THIS_DATABASE} AND state IN ('idle in transaction', 'idle in transaction (aborted)')
  AND now() - state_change >= make_interval(secs => %(min_seconds)s)
ORDER BY state_change
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[f"pid {r['pid']}"],
            detail=f"{session_label(r)} has been {r['state']} for {r['state_seconds']:.0f} s; last query: {r['query']}",
            fix="Fix the code path that leaves the transaction open; set idle_in_transaction_session_timeout; "
            f"to end it now: SELECT pg_terminate_backend({r['pid']});",
            data={"pid": r["pid"], "seconds": r["state_seconds"]},
        )
        for r in rows
    ]


CHECK = Check(
    id="idle_in_transaction",
    title="Idle in transaction",
    severity="warning",
    why="A session idle in a transaction keeps its locks and snapshot while doing nothing: writers wait on it "
    "and vacuum cannot clean behind it.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_seconds": 60},
)
