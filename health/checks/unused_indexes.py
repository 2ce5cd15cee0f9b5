"""Indexes never scanned since the statistics were reset, on tables that are read."""

from health.checks.base import Check, pretty_bytes

SQL = """
SELECT format('%%I.%%I', s.schemaname, s.indexrelname) AS index_name,
       format('%%I.%%I', s.schemaname, s.relname) AS table_name,
       pg_relation_size(s.indexrelid) AS bytes,
       t.seq_scan + coalesce(t.idx_scan, 0) AS table_scans,
       (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database())::text AS stats_reset
FROM pg_stat_user_indexes s
JOIN pg_index i ON i.indexrelid = s.indexrelid
JOIN pg_stat_user_tables t ON t.relid = s.relid
WHERE s.idx_scan = 0
  AND NOT i.indisunique
  AND i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid)
  AND t.seq_scan + coalesce(t.idx_scan, 0) >= %(min_table_scans)s
ORDER BY bytes DESC, index_name
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        since = (
            f"since the statistics were reset at {r['stats_reset']}"
            if r["stats_reset"]
            else ("since the statistics were last reset (never, on this server: since it was created)")
        )
        findings.append(
            CHECK.finding(
                objects=[r["index_name"], r["table_name"]],
                detail=f"{r['index_name']} ({pretty_bytes(r['bytes'])}) was never scanned {since}, while its "
                f"table was read {r['table_scans']} times.",
                fix="Check replicas and rare jobs (statistics are per server) before dropping it.",
                fix_sql=f"DROP INDEX {r['index_name']};",
                fix_kind="ddl",
                data={"bytes": r["bytes"], "stats_reset": r["stats_reset"], "table_scans": r["table_scans"]},
            )
        )
    return findings


CHECK = Check(
    id="unused_indexes",
    title="Unused index",
    severity="warning",
    why="An index no query uses still costs on every INSERT, UPDATE and DELETE, in vacuum, disk and cache.",
    sql=SQL,
    evaluate=evaluate,
    # A table nobody reads says nothing about its indexes: wait until it has been read this often.
    params={"min_table_scans": 100},
)
