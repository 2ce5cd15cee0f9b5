"""Tables changed a lot since their statistics were last gathered."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', s.schemaname, s.relname) AS table_name, s.n_mod_since_analyze AS changes,
       greatest(s.n_live_tup, 0) AS live, greatest(s.last_analyze, s.last_autoanalyze)::text AS last_analyzed
FROM pg_stat_user_tables s
WHERE s.n_mod_since_analyze >= %(min_changes)s
  AND s.n_mod_since_analyze >= %(min_share)s * greatest(s.n_live_tup, 1)
  AND coalesce(greatest(s.last_analyze, s.last_autoanalyze), '-infinity') < now() - make_interval(hours => %(hours)s)
ORDER BY changes DESC
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[r["table_name"]],
            detail=f"{r['table_name']}: {r['changes']} rows changed since its statistics were gathered "
            f"({r['last_analyzed'] or 'never analyzed'}), {r['live']} rows now.",
            fix=f"ANALYZE {r['table_name']}; and check autovacuum is enabled for it.",
            data={"changes": r["changes"], "last_analyzed": r["last_analyzed"]},
        )
        for r in rows
    ]


CHECK = Check(
    id="analyze_overdue",
    title="Statistics out of date",
    severity="warning",
    why="The planner estimates row counts from these statistics; stale ones give wrong join orders and "
    "sequential scans where an index would do.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_changes": 1000, "min_share": 0.2, "hours": 24},
)
