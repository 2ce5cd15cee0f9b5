"""Tables with no primary key."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', n.nspname, t.relname) AS table_name, t.reltuples::bigint AS rows,
       (SELECT format('%%I.%%I', n.nspname, ic.relname)
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = t.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) AS k(attnum)
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                          WHERE NOT a.attnotnull)
        ORDER BY ic.relname LIMIT 1) AS unique_not_null_index
FROM pg_class t
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE t.relkind IN ('r', 'p') AND NOT t.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = t.oid AND c.contype = 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
ORDER BY table_name
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        index = r["unique_not_null_index"]
        if index:
            fix = f"{index} is unique on NOT NULL columns: make it the primary key."
            fix_sql = f"ALTER TABLE {r['table_name']} ADD PRIMARY KEY USING INDEX {index.split('.', 1)[1]};"
        else:
            fix = f"Add a primary key: ALTER TABLE {r['table_name']} ADD PRIMARY KEY (<the identifying columns>)."
            fix_sql = ""
        findings.append(
            CHECK.finding(
                objects=[r["table_name"]],
                detail=f"{r['table_name']} ({r['rows']} rows) has no primary key.",
                fix=fix,
                fix_sql=fix_sql,
                fix_kind="ddl",
            )
        )
    return findings


CHECK = Check(
    id="tables_without_primary_key",
    title="Table without a primary key",
    severity="warning",
    why="Without a key, duplicate rows creep in, one row cannot be updated or deleted reliably, and logical "
    "replication cannot replicate updates and deletes.",
    sql=SQL,
    evaluate=evaluate,
)
