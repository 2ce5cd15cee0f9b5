"""Transactions open for a long time."""

from health.checks.activity import ACTIVITY_COLUMNS, THIS_DATABASE, session_label
from health.checks.base import Check

SQL = f"""
SELECT {ACTIVITY_COLUMNS}
FROM pg_stat_activity
WHERE {THIS_DATABASE} AND xact_start IS NOT NULL AND now() - xact_start >= make_interval(secs => %(min_seconds)s)
ORDER BY xact_start
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[f"pid {r['pid']}"],
            detail=f"{session_label(r)} has had a transaction open for {r['xact_seconds']:.0f} s "
            f"(now {r['state']}): {r['query']}",
            fix=f"Make the application commit sooner; to end it: SELECT pg_terminate_backend({r['pid']});",
            data={"pid": r["pid"], "seconds": r["xact_seconds"]},
        )
        for r in rows
    ]


CHECK = Check(
    id="long_transactions",
    title="Long transaction",
    severity="warning",
    why="An old transaction holds back the xmin horizon: no vacuum anywhere in the database can remove rows "
    "that died after it began, so tables bloat.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_seconds": 900},
)
