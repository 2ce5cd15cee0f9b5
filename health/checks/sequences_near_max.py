"""Sequences that have used most of their range."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', schemaname, sequencename) AS sequence_name, data_type::text, last_value, max_value,
       min_value, increment_by
FROM pg_sequences
WHERE last_value IS NOT NULL AND increment_by > 0
  AND (last_value - min_value)::numeric / nullif(max_value - min_value, 0) >= %(warn_fraction)s
ORDER BY (last_value - min_value)::numeric / nullif(max_value - min_value, 0) DESC
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        used = (r["last_value"] - r["min_value"]) / (r["max_value"] - r["min_value"])
        bigger = r["data_type"] != "bigint"
        findings.append(
            CHECK.finding(
                objects=[r["sequence_name"]],
                detail=f"{r['sequence_name']} ({r['data_type']}) is at {r['last_value']} of {r['max_value']} "
                f"({used:.1%} used).",
                fix="Widen the sequence (and the column it feeds) to bigint before it runs out."
                if bigger
                else "Raise its MAXVALUE or check why it grows so fast.",
                fix_sql=f"ALTER SEQUENCE {r['sequence_name']} AS bigint;" if bigger else "",
                fix_kind="ddl",
                severity="critical" if used >= params["critical_fraction"] else None,
                data={"used": round(float(used), 4)},
            )
        )
    return findings


CHECK = Check(
    id="sequences_near_max",
    title="Sequence close to its maximum",
    severity="warning",
    why="When a sequence reaches its maximum, nextval() fails and every insert that needs a new key fails.",
    sql=SQL,
    evaluate=evaluate,
    params={"warn_fraction": 0.75, "critical_fraction": 0.9},
)
