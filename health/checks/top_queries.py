"""Shared logic of the top-queries checks (pg_stat_statements of this database)."""

from health.checks.base import Check

SQL = """
SELECT queryid::text AS queryid, left(query, 2000) AS query, calls, total_exec_time AS total_ms,
       mean_exec_time AS mean_ms, rows, shared_blks_hit, shared_blks_read
FROM pg_stat_statements s
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND s.query NOT ILIKE '%%pg_stat_statements%%'
  AND {metric} >= %(min_value)s
ORDER BY {metric} DESC
LIMIT %(limit)s
"""


def top_queries_check(*, id: str, title: str, metric: str, label: str, min_value: float) -> Check:
    def evaluate(rows, params):
        return [
            check.finding(
                objects=[f"queryid {r['queryid']}"],
                detail=f"#{rank} by {label}: {r['calls']} calls, {r['total_ms']:.1f} ms total, "
                f"{r['mean_ms']:.2f} ms mean, {r['rows']} rows: {r['query']}",
                fix="Open it in the optimizer (EXPLAIN, rules, index advice) and in the code that runs it.",
                data={k: (float(v) if isinstance(v, float) else v) for k, v in r.items()} | {"rank": rank},
            )
            for rank, r in enumerate(rows, 1)
        ]

    check = Check(
        id=id,
        title=title,
        severity="info",
        why="A few statements usually make most of a database's load; these are where tuning pays most.",
        sql=SQL.format(metric=metric),
        evaluate=evaluate,
        params={"min_value": min_value, "limit": 5},
        requires_extension="pg_stat_statements",
    )
    return check
