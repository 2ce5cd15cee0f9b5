"""Queries running for a long time."""

from health.checks.activity import ACTIVITY_COLUMNS, THIS_DATABASE, session_label
from health.checks.base import Check

SQL = f"""
SELECT {ACTIVITY_COLUMNS}
FROM pg_stat_activity
WHERE {THIS_DATABASE} AND state = 'active' AND now() - query_start >= make_interval(secs => %(min_seconds)s)
ORDER BY query_start
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[f"pid {r['pid']}"],
            detail=f"{session_label(r)} has been running for {r['query_seconds']:.0f} s: {r['query']}",
            fix=f"Look at its plan in the optimizer; to stop it: SELECT pg_cancel_backend({r['pid']});",
            data={"pid": r["pid"], "seconds": r["query_seconds"], "query": r["query"]},
        )
        for r in rows
    ]


CHECK = Check(
    id="long_running_queries",
    title="Long-running query",
    severity="warning",
    why="A long query holds its locks and snapshot: vacuum cannot clean behind it and other writers may queue.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_seconds": 300},
)
