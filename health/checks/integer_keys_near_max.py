"""smallint/integer key columns fed by a sequence that is close to the column type's maximum."""

from health.checks.base import Check

SQL = """
WITH keys AS (
    SELECT c.oid::regclass::text AS table_name, a.attname, quote_ident(a.attname) AS column_sql, format_type(a.atttypid, NULL) AS column_type,
           CASE a.atttypid WHEN 'int2'::regtype THEN 32767 ELSE 2147483647 END AS type_max,
           pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS sequence_name
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
    WHERE k.contype IN ('p', 'u') AND a.atttypid IN ('int2'::regtype, 'int4'::regtype)
)
SELECT keys.table_name, keys.attname, keys.column_sql, keys.column_type, keys.type_max, keys.sequence_name, s.last_value
FROM keys
JOIN pg_sequences s ON format('%%I.%%I', s.schemaname, s.sequencename)::regclass = keys.sequence_name::regclass
WHERE keys.sequence_name IS NOT NULL AND s.last_value IS NOT NULL
  AND s.last_value::numeric / keys.type_max >= %(warn_fraction)s
ORDER BY s.last_value::numeric / keys.type_max DESC
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        used = r["last_value"] / r["type_max"]
        column = f"{r['table_name']}.{r['attname']}"
        findings.append(
            CHECK.finding(
                objects=[column, r["sequence_name"]],
                detail=f"{column} is {r['column_type']} and its sequence is at {r['last_value']} of "
                f"{r['type_max']} ({used:.1%} used).",
                fix="Change the column to bigint (this rewrites the table under an exclusive lock: plan a window, "
                "or migrate through a new column).",
                fix_sql=f"ALTER TABLE {r['table_name']} ALTER COLUMN {r['column_sql']} TYPE bigint;",
                fix_kind="ddl",
                severity="critical" if used >= params["critical_fraction"] else None,
                data={"used": round(float(used), 4)},
            )
        )
    return findings


CHECK = Check(
    id="integer_keys_near_max",
    title="Integer key close to its maximum",
    severity="warning",
    why="A smallint/integer key stops at 32,767 / 2,147,483,647 even when its sequence is bigint: inserts "
    "then fail with 'out of range'.",
    sql=SQL,
    evaluate=evaluate,
    params={"warn_fraction": 0.75, "critical_fraction": 0.9},
)
