"""Server settings worth a second look. Reported with the reason; DBooster never changes them."""

from health.checks.base import Check

SQL = """
SELECT name, setting, unit, current_setting(name) AS shown, source
FROM pg_settings
WHERE name IN ('shared_buffers', 'work_mem', 'random_page_cost', 'track_io_timing', 'shared_preload_libraries')
UNION ALL
SELECT 'pg_stat_statements installed',
       (EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'))::text, NULL, NULL, NULL
"""

MB = 1024 * 1024


def _bytes(row: dict) -> int:
    units = {"8kB": 8192, "kB": 1024, "MB": MB, None: 1}
    return int(row["setting"]) * units.get(row["unit"], 1)


def _advice(by_name: dict, params: dict) -> list[tuple[str, str, str]]:
    """(setting, what is seen, what to consider) for each setting worth a look."""
    advice = []
    if _bytes(by_name["shared_buffers"]) <= params["min_shared_buffers_mb"] * MB:
        advice.append(
            (
                "shared_buffers",
                by_name["shared_buffers"]["shown"],
                "Still at the 128MB default: about 25% of the server's memory is the usual start.",
            )
        )
    if _bytes(by_name["work_mem"]) <= params["min_work_mem_mb"] * MB:
        advice.append(
            (
                "work_mem",
                by_name["work_mem"]["shown"],
                "4MB (the default) makes big sorts and hashes spill to disk; raise it for the sessions "
                "that need it, mindful that each sort of each connection may use it.",
            )
        )
    if float(by_name["random_page_cost"]["setting"]) >= 4:
        advice.append(
            (
                "random_page_cost",
                by_name["random_page_cost"]["shown"],
                "4 assumes spinning disks; on SSD or cloud storage 1.1 lets the planner use indexes where they pay.",
            )
        )
    if by_name["track_io_timing"]["setting"] == "off":
        advice.append(
            (
                "track_io_timing",
                "off",
                "Without it EXPLAIN (BUFFERS) and pg_stat_statements cannot say how long I/O took.",
            )
        )
    if by_name["pg_stat_statements installed"]["setting"] != "true":
        loaded = "pg_stat_statements" in (by_name["shared_preload_libraries"]["setting"] or "")
        advice.append(
            (
                "pg_stat_statements",
                "not installed",
                "CREATE EXTENSION pg_stat_statements; (it is already preloaded)"
                if loaded
                else "Add it to shared_preload_libraries, restart, then CREATE EXTENSION pg_stat_statements: "
                "without it there are no top queries.",
            )
        )
    return advice  # fmt: skip


def evaluate(rows, params):
    by_name = {r["name"]: r for r in rows}
    return [
        CHECK.finding(
            objects=[name],
            detail=f"{name} = {seen}",
            fix=reason + " DBooster reports settings and never changes them.",
        )
        for name, seen, reason in _advice(by_name, params)
    ]


CHECK = Check(
    id="settings_review",
    title="Setting worth checking",
    severity="info",
    why="Defaults suit a small test server; a production one usually needs a few of them changed.",
    sql=SQL,
    evaluate=evaluate,
    params={"min_shared_buffers_mb": 128, "min_work_mem_mb": 4},
    scope="server",
)
