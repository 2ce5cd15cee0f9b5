"""Indexes left invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY."""

from health.checks.base import Check

SQL = """
SELECT format('%%I.%%I', n.nspname, c.relname) AS index_name, i.indrelid::regclass::text AS table_name,
       pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY index_name
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[r["index_name"], r["table_name"]],
            detail=f"{r['index_name']} is invalid: {r['definition']}",
            fix=f"Drop it, fix what made the build fail (duplicates for a unique index), then build it again: "
            f"{r['definition']}",
            fix_sql=f"DROP INDEX {r['index_name']};",
            fix_kind="ddl",
        )
        for r in rows
    ]


CHECK = Check(
    id="invalid_indexes",
    title="Invalid index",
    severity="critical",
    why="An invalid index is never used by queries but is still updated on every write; a unique one enforces nothing.",
    sql=SQL,
    evaluate=evaluate,
)
