"""Share of index block reads served from shared buffers."""

from health.checks.base import Check
from health.checks.cache_hit import CHECKS, cache_hit_evaluator, cache_hit_sql

CHECK = Check(
    id="index_cache_hit",
    title="Low index cache hit ratio",
    severity="warning",
    why="Below about 99%, index lookups wait on disk reads; hot indexes should stay in memory.",
    sql=cache_hit_sql("idx_blks_hit", "idx_blks_read", "pg_statio_user_indexes",
                      "format('%%I.%%I', schemaname, indexrelname)"),
    evaluate=cache_hit_evaluator("index"),
    params={"min_ratio": 0.99, "min_reads": 100, "top": 5},
)  # fmt: skip
CHECKS["index"] = CHECK
