"""Client connections by state against max_connections."""

from health.checks.base import Check

SQL = """
SELECT coalesce(state, 'unknown') AS state, count(*) AS n,
       current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS usable
FROM pg_stat_activity
WHERE backend_type = 'client backend'
GROUP BY 1
ORDER BY n DESC
"""


def evaluate(rows, params):
    if not rows:
        return []
    usable = rows[0]["usable"]
    total = sum(r["n"] for r in rows)
    if total < params["warn_fraction"] * usable:
        return []
    by_state = {r["state"]: r["n"] for r in rows}
    states = ", ".join(f"{n} {s}" for s, n in by_state.items())
    return [
        CHECK.finding(
            objects=["max_connections"],
            detail=f"{total} client connections of {usable} available ({total / usable:.0%}): {states}.",
            fix="Put a pooler (PgBouncer) in front, lower the applications' pool sizes, and close idle ones; "
            "raising max_connections costs memory per connection.",
            severity="critical" if total >= params["critical_fraction"] * usable else None,
            data={"total": total, "usable": usable, "by_state": by_state},
        )
    ]


CHECK = Check(
    id="connections_usage",
    title="Connections close to the limit",
    severity="warning",
    why="When every connection slot is taken, new connections are refused and the application fails.",
    sql=SQL,
    evaluate=evaluate,
    params={"warn_fraction": 0.8, "critical_fraction": 0.95},
    scope="server",
)
