"""Foreign keys on big tables with no index starting with their columns."""

from health.checks.base import Check

SQL = """
SELECT c.conname, c.conrelid::regclass::text AS table_name, c.confrelid::regclass::text AS referenced_table,
       t.reltuples::bigint AS rows, pg_total_relation_size(c.conrelid) AS bytes,
       array_agg(quote_ident(a.attname) ORDER BY k.ord) AS columns
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
WHERE c.contype = 'f'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND t.reltuples >= %(min_rows)s
  AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid AND i.indisvalid AND i.indpred IS NULL
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
        AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey
  )
GROUP BY c.oid, c.conname, c.conrelid, c.confrelid, t.reltuples
ORDER BY rows DESC, table_name
"""


def evaluate(rows, params):
    findings = []
    for r in rows:
        cols = ", ".join(r["columns"])
        findings.append(
            CHECK.finding(
                objects=[r["table_name"], r["conname"]],
                detail=f"{r['table_name']} ({r['rows']} rows) references {r['referenced_table']} by ({cols}) "
                f"with no index on those columns.",
                fix="Index the referencing columns.",
                fix_sql=f"CREATE INDEX ON {r['table_name']} ({cols});",
                fix_kind="index",
                data={"rows": r["rows"], "bytes": r["bytes"]},
            )
        )
    return findings


CHECK = Check(
    id="missing_fk_indexes",
    title="Foreign key without an index",
    severity="warning",
    why="Deleting or updating a referenced row scans the whole referencing table under lock, and joins on "
    "the key cannot use an index.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_rows": 10000},
)
