"""B-tree indexes much bigger than their rows need (estimated from the statistics, no scan).

The estimate is ioguide's btree bloat query (pgsql-bloat-estimation, the one PgHero's `index_bloat` derives from):
the index's rows (`reltuples`) times the size of one index tuple (header, null bitmap, the key columns' average
widths from pg_stats, alignment) over a leaf page's usable space at the index's fillfactor, against the pages it
has (`relpages`). Indexes whose columns lack statistics (never analyzed) are left out rather than guessed, since a
missing width would read as bloat; so are indexes on `name` columns (stats width is not their stored size).
B-tree deduplication (PostgreSQL 13+) makes indexes with many duplicates smaller than the estimate: that hides
bloat, it never invents it.
"""

from health.checks.base import Check, pretty_bytes

SQL = """
WITH idx AS (
    SELECT ci.oid AS idxoid, i.indrelid AS tbloid, ci.relname AS idxname, ci.relnamespace, ci.reltuples, ci.relpages,
           i.indnatts, i.indisprimary, i.indisunique,
           coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 90)
               AS fillfactor,
           string_to_array(textin(int2vectorout(i.indkey)), ' ')::int[] AS indkey
    FROM pg_index i
    JOIN pg_class ci ON ci.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ci.relam AND am.amname = 'btree'
    WHERE ci.relpages > 0 AND i.indisvalid
), cols AS (
    SELECT idx.*, pos,
           coalesce(a1.attname, a2.attname) AS attname, coalesce(a1.atttypid, a2.atttypid) AS atttypid,
           CASE WHEN a1.attnum IS NULL THEN idx.idxname ELSE ct.relname END AS stats_relname
    FROM idx
    CROSS JOIN LATERAL generate_series(1, idx.indnatts) AS pos
    JOIN pg_class ct ON ct.oid = idx.tbloid
    LEFT JOIN pg_attribute a1 ON idx.indkey[pos] <> 0 AND a1.attrelid = idx.tbloid AND a1.attnum = idx.indkey[pos]
    LEFT JOIN pg_attribute a2 ON idx.indkey[pos] = 0 AND a2.attrelid = idx.idxoid AND a2.attnum = pos
), widths AS (
    SELECT c.idxoid, c.tbloid, c.idxname, n.nspname, c.reltuples, c.relpages, c.fillfactor, c.indnatts,
           c.indisprimary, c.indisunique,
           current_setting('block_size')::numeric AS bs,
           CASE WHEN version() ~ 'mingw32|64-bit|x86_64|ppc64|ia64|amd64|aarch64' THEN 8 ELSE 4 END AS maxalign,
           -- IndexTupleData, plus the null bitmap when a column may be null.
           CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS tuple_hdr,
           sum((1 - coalesce(s.null_frac, 0)) * s.avg_width) AS data_width,
           count(s.attname) AS with_stats,
           bool_or(c.atttypid = 'pg_catalog.name'::regtype) AS has_name_column
    FROM cols c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.stats_relname AND s.attname = c.attname
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
), estimate AS (
    SELECT *,
           tuple_hdr + maxalign - CASE WHEN tuple_hdr %% maxalign = 0 THEN maxalign ELSE tuple_hdr %% maxalign END
           + data_width + maxalign
           - CASE WHEN data_width = 0 THEN 0
                  WHEN data_width::integer %% maxalign = 0 THEN maxalign
                  ELSE data_width::integer %% maxalign END AS tuple_width
    FROM widths
    WHERE with_stats = indnatts AND NOT has_name_column
), pages AS (
    SELECT *,
           -- One metapage, then leaf pages: page header 24 bytes, btree special space 16, 4 bytes of line pointer.
           1 + ceil(reltuples / floor((bs - 16 - 24) * fillfactor / (100 * (4 + tuple_width)::float))) AS expected_pages
    FROM estimate
)
SELECT format('%%I.%%I', nspname, idxname) AS index_name, tbloid::regclass::text AS table_name,
       pg_get_indexdef(idxoid) AS definition, indisprimary AS is_primary, indisunique AS is_unique,
       (bs * relpages)::bigint AS bytes, (bs * (relpages - expected_pages))::bigint AS bloat_bytes,
       (relpages - expected_pages) / relpages::float AS bloat_share, reltuples::bigint AS index_rows
FROM pages
WHERE relpages > expected_pages
  AND bs * (relpages - expected_pages) >= %(min_bloat_bytes)s
  AND (relpages - expected_pages) >= %(min_bloat_share)s * relpages
ORDER BY bloat_bytes DESC, index_name
"""


def evaluate(rows, params):
    return [
        CHECK.finding(
            objects=[r["index_name"], r["table_name"]],
            detail=f"{r['index_name']} takes {pretty_bytes(r['bytes'])}; its {r['index_rows']:,} rows need about "
            f"{pretty_bytes(r['bytes'] - r['bloat_bytes'])}: about {pretty_bytes(r['bloat_bytes'])} "
            f"({r['bloat_share']:.0%}) is free space left by deleted or updated rows.",
            fix=f"REINDEX INDEX CONCURRENTLY {r['index_name']}; rebuilds it at its real size without blocking writes "
            "(PostgreSQL 12+; it needs room for a second copy while it runs, and cannot run inside a transaction). "
            "If it bloats again soon, look at what deletes or updates these rows in bulk.",
            data={
                "bytes": r["bytes"],
                "bloat_bytes": r["bloat_bytes"],
                "bloat_share": round(r["bloat_share"], 3),
                "definition": r["definition"],
                "primary": r["is_primary"],
            },  # fmt: skip
        )
        for r in rows
    ]


CHECK = Check(
    id="index_bloat",
    title="Bloated index (estimated)",
    severity="warning",
    why="A bloated index is read page by page like a full one: scans touch more pages, it takes more cache and "
    "disk, and vacuum leaves half-empty B-tree pages in place rather than giving them back.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_bloat_bytes": 10 * 1024 * 1024, "min_bloat_share": 0.3},
)
