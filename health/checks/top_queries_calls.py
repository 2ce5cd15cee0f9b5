from health.checks.top_queries import top_queries_check

CHECK = top_queries_check(
    id="top_queries_calls", title="Most frequent query", metric="calls", label="calls",
    min_value=100_000,
)  # fmt: skip
