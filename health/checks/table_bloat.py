"""Tables with a large share of dead rows (estimated from the statistics, no scan)."""

from health.checks.base import Check, pretty_bytes

SQL = """
SELECT format('%%I.%%I', schemaname, relname) AS table_name, n_live_tup AS live, n_dead_tup AS dead,
       pg_table_size(relid) AS bytes, last_vacuum::text, last_autovacuum::text
FROM pg_stat_user_tables
WHERE n_dead_tup >= %(min_dead_rows)s
  AND n_dead_tup >= %(min_dead_share)s * (n_live_tup + n_dead_tup)
ORDER BY n_dead_tup DESC
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        share = r["dead"] / max(r["live"] + r["dead"], 1)
        findings.append(
            CHECK.finding(
                objects=[r["table_name"]],
                detail=f"{r['table_name']}: {r['dead']} dead rows ({share:.0%}), about "
                f"{pretty_bytes(r['bytes'] * share)} of {pretty_bytes(r['bytes'])}.",
                fix=f"VACUUM (ANALYZE) {r['table_name']}; and check autovacuum keeps up with this table "
                "(autovacuum_vacuum_scale_factor, long transactions holding the horizon back).",
                data={"dead_share": round(share, 3), "bytes": r["bytes"]},
            )
        )
    return findings


CHECK = Check(
    id="table_bloat",
    title="Bloated table (dead rows)",
    severity="warning",
    why="Dead rows take disk and cache and make every sequential scan read pages of nothing.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_dead_rows": 1000, "min_dead_share": 0.2},
)
