"""The health checks, one module each (id, title, severity, SQL, evaluation, why, fix)."""

from health.checks import (
    analyze_overdue,
    blocked_queries,
    connections_usage,
    duplicate_indexes,
    idle_in_transaction,
    index_bloat,
    index_cache_hit,
    integer_keys_near_max,
    invalid_indexes,
    long_running_queries,
    long_transactions,
    missing_fk_indexes,
    seq_scan_heavy,
    sequences_near_max,
    settings_review,
    table_bloat,
    table_cache_hit,
    tables_without_primary_key,
    top_queries_calls,
    top_queries_mean_time,
    top_queries_total_time,
    unused_indexes,
    vacuum_overdue,
    xid_wraparound,
)

MODULES = [
    invalid_indexes, duplicate_indexes, unused_indexes, index_bloat, missing_fk_indexes, tables_without_primary_key,
    table_bloat, vacuum_overdue, analyze_overdue, seq_scan_heavy, xid_wraparound, sequences_near_max,
    integer_keys_near_max, connections_usage, long_running_queries, long_transactions, idle_in_transaction,
    blocked_queries, settings_review, table_cache_hit, index_cache_hit, top_queries_total_time,
    top_queries_mean_time, top_queries_calls,
]  # fmt: skip
ALL_CHECKS = [m.CHECK for m in MODULES]
BY_ID = {c.id: c for c in ALL_CHECKS}
