"""Big tables read mostly by sequential scans."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', schemaname, relname) AS table_name, n_live_tup AS rows, seq_scan,
       coalesce(idx_scan, 0) AS idx_scan, seq_tup_read
FROM pg_stat_user_tables
WHERE n_live_tup >= %(min_rows)s
  AND seq_scan >= %(min_seq_scans)s
  AND seq_scan >= %(min_share)s * (seq_scan + coalesce(idx_scan, 0))
ORDER BY seq_tup_read DESC
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        share = r["seq_scan"] / max(r["seq_scan"] + r["idx_scan"], 1)
        findings.append(
            CHECK.finding(
                objects=[r["table_name"]],
                detail=f"{r['table_name']} ({r['rows']} rows): {r['seq_scan']} sequential scans ({share:.0%} of "
                f"its scans), {r['seq_tup_read']} rows read by them.",
                fix="Find the queries that scan it (top queries below, or the optimizer on the code's queries) "
                "and index their filters.",
                data={"seq_share": round(share, 3), "seq_tup_read": r["seq_tup_read"]},
            )
        )
    return findings


CHECK = Check(
    id="seq_scan_heavy",
    title="Big table read by sequential scans",
    severity="warning",
    why="A sequential scan reads every row; on a big table done often it costs I/O and CPU that an index saves.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_rows": 10000, "min_seq_scans": 50, "min_share": 0.5},
)
