"""Shared logic of the cache hit ratio checks (tables and indexes)."""

from health.checks.base import Check


def cache_hit_sql(hit: str, read: str, view: str, name: str) -> str:
    return f"""
    SELECT {name} AS object_name, {hit} AS hit, {read} AS read,
           sum({hit}) OVER () AS total_hit, sum({read}) OVER () AS total_read
    FROM {view}
    WHERE {hit} + {read} > 0
    ORDER BY {read} DESC
    """


def cache_hit_evaluator(noun: str):
    def evaluate(rows, params):
        if not rows:
            return []
        hit, read = int(rows[0]["total_hit"]), int(rows[0]["total_read"])
        ratio = hit / (hit + read)
        if read < params["min_reads"] or ratio >= params["min_ratio"]:
            return []
        worst = [r for r in rows if r["read"] > 0][: params["top"]]
        return [
            Check.finding(
                CHECKS[noun],
                objects=[r["object_name"] for r in worst],
                detail=f"{ratio:.1%} of {noun} block reads came from the cache ({read} blocks read from disk); "
                "most read: " + ", ".join(f"{r['object_name']} ({r['read']})" for r in worst) + ".",
                fix="Give the cache more memory (shared_buffers, and the server's RAM) or cut what is read: "
                "index the big scans, drop bloat.",
                data={"ratio": round(ratio, 4), "read": read, "hit": hit},
            )
        ]

    return evaluate


CHECKS: dict[str, Check] = {}
