from health.checks.top_queries import top_queries_check

CHECK = top_queries_check(
    id="top_queries_total_time", title="Top query by total time", metric="total_exec_time", label="total time",
    min_value=60_000,  # a minute of the server's time since the statistics were reset
)  # fmt: skip
