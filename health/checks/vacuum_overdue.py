"""Tables with many changes since their last vacuum, never or long ago vacuumed."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', schemaname, relname) AS table_name,
       n_dead_tup + n_ins_since_vacuum AS changes,
       greatest(last_vacuum, last_autovacuum)::text AS last_vacuumed
FROM pg_stat_user_tables
WHERE n_dead_tup + n_ins_since_vacuum >= %(min_changes)s
  AND coalesce(greatest(last_vacuum, last_autovacuum), '-infinity') < now() - make_interval(days => %(days)s)
ORDER BY changes DESC
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[r["table_name"]],
            detail=f"{r['table_name']}: {r['changes']} rows changed since the last vacuum "
            f"({r['last_vacuumed'] or 'never vacuumed'}).",
            fix=f"VACUUM (ANALYZE) {r['table_name']}; then see why autovacuum skips it (disabled on the table, "
            "thresholds, or a long transaction).",
            data={"changes": r["changes"], "last_vacuumed": r["last_vacuumed"]},
        )
        for r in rows
    ]


CHECK = Check(
    id="vacuum_overdue",
    title="Vacuum overdue",
    severity="warning",
    why="Until a table is vacuumed its dead rows are not reused, its visibility map is stale (no index-only "
    "scans) and its transaction IDs are not frozen.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_changes": 10000, "days": 7},
)
