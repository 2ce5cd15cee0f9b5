"""Queries waiting on a lock, with the sessions that block them."""

from health.checks.activity import ACTIVITY_COLUMNS, THIS_DATABASE, session_label
from health.checks.base import Check

SQL = f"""
SELECT {ACTIVITY_COLUMNS}, pg_blocking_pids(pid) AS blockers,
       (SELECT coalesce(json_agg(json_build_object('pid', b.pid, 'state', b.state, 'query', left(b.query, 500))
                                 ORDER BY b.pid), '[]')
        FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))) AS blocking
FROM pg_stat_activity a
WHERE {THIS_DATABASE} AND cardinality(pg_blocking_pids(pid)) > 0
  AND now() - query_start >= make_interval(secs => %(min_seconds)s)
ORDER BY query_start
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        blockers = "; ".join(f"pid {b['pid']} ({b['state']}): {b['query']}" for b in r["blocking"])
        findings.append(
            CHECK.finding(
                objects=[f"pid {r['pid']}"] + [f"pid {pid}" for pid in r["blockers"]],
                detail=f"{session_label(r)} waits for {r['query_seconds']:.0f} s on {blockers}. Waiting: {r['query']}",
                fix="End or speed up the blocking transaction; keep transactions that take locks short.",
                data={"pid": r["pid"], "blockers": r["blockers"], "blocking": r["blocking"]},
            )
        )
    return findings


CHECK = Check(
    id="blocked_queries",
    title="Blocked query",
    severity="critical",
    why="A query waiting on a lock makes its caller wait, and every later query for the same lock queues behind it.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_seconds": 0},
)
