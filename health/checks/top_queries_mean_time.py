from health.checks.top_queries import top_queries_check

CHECK = top_queries_check(
    id="top_queries_mean_time", title="Slowest query on average", metric="mean_exec_time", label="mean time",
    min_value=500,  # half a second per call
)  # fmt: skip
