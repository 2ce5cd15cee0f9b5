"""Share of table block reads served from shared buffers."""

from health.checks.base import Check
from health.checks.cache_hit import CHECKS, cache_hit_evaluator, cache_hit_sql

CHECK = Check(
    id="table_cache_hit",
    title="Low table cache hit ratio",
    severity="warning",
    why="Below about 99%, queries wait on disk reads for table data that should be in memory.",
    sql=cache_hit_sql("heap_blks_hit", "heap_blks_read", "pg_statio_user_tables",
                      "format('%%I.%%I', schemaname, relname)"),
    evaluate=cache_hit_evaluator("table"),
    params={"min_ratio": 0.99, "min_reads": 1000, "top": 5},
)  # fmt: skip
CHECKS["table"] = CHECK
