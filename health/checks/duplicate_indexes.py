"""An index whose columns are a prefix of another index on the same table is (almost always) redundant."""

from health.checks.base import Check, pretty_bytes

SQL = """
WITH idx AS (
    SELECT i.indexrelid, i.indrelid, i.indisunique, i.indisprimary, c.relam, n.nspname, c.relname,
           i.indkey::text AS keys, i.indclass::text AS classes,
           coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
           coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS backs_constraint
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'
)
SELECT format('%%I.%%I', a.nspname, a.relname) AS index_name,
       format('%%I.%%I', b.nspname, b.relname) AS covered_by,
       a.indrelid::regclass::text AS table_name,
       pg_relation_size(a.indexrelid) AS bytes,
       pg_get_indexdef(a.indexrelid) AS definition,
       pg_get_indexdef(b.indexrelid) AS covering_definition
FROM idx a
JOIN idx b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid AND a.relam = b.relam
          AND a.exprs = b.exprs AND a.pred = b.pred
          AND (b.keys || ' ') LIKE (a.keys || ' %%') AND (b.classes || ' ') LIKE (a.classes || ' %%')
WHERE NOT a.backs_constraint
  AND (NOT a.indisunique OR (a.keys = b.keys AND b.indisunique))
  AND (a.keys <> b.keys OR a.indexrelid > b.indexrelid)
ORDER BY bytes DESC, index_name
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[r["index_name"], r["covered_by"], r["table_name"]],
            detail=f"{r['index_name']} ({pretty_bytes(r['bytes'])}) is covered by {r['covered_by']}: "
            f"{r['definition']} / {r['covering_definition']}",
            fix=f"Drop {r['index_name']}: every query it serves can use {r['covered_by']}.",
            fix_sql=f"DROP INDEX {r['index_name']};",
            fix_kind="ddl",
            data={"bytes": r["bytes"]},
        )
        for r in rows
    ]


CHECK = Check(
    id="duplicate_indexes",
    title="Duplicate index",
    severity="warning",
    why="Each index slows every write to its table and takes disk and cache; one whose columns lead another "
    "index of the same kind adds that cost and serves no query the other cannot.",
    sql=SQL,
    evaluate=evaluate,
)
