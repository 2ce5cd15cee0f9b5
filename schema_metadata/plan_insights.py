"""What a person should look at first in a plan, and how two plans of one query differ. Plain module.

`hotspots(summary)` ranks the nodes of a `plan.summarize` result by their own time (by their own cost when
the plan was not executed) and says for each, in plain words, what would make it cheaper.
`compare(before, after)` pairs the nodes of two summaries so they can be read side by side.
"""

from __future__ import annotations

from difflib import SequenceMatcher

HOTSPOT_LIMIT = 5
HOTSPOT_MIN_SHARE = 0.05  # below 5% of the time a node is not where the time goes
READ_HEAVY_SHARE = 0.5  # share of a node's blocks read from disk (or the OS cache) rather than memory
SLOW_LOOPS = 1_000
BAD_MISESTIMATE = 10


def _own_cost(summary: dict) -> dict[int, float]:
    """Each node's cost minus its children's: what ranks nodes when the plan was only estimated."""
    children: dict[int, float] = {}
    for node in summary["nodes"]:
        if node["parent_id"] is not None:
            children[node["parent_id"]] = children.get(node["parent_id"], 0.0) + node["total_cost"]
    return {node["id"]: max(0.0, node["total_cost"] - children.get(node["id"], 0.0)) for node in summary["nodes"]}


def _read_share(node: dict) -> float:
    buffers = node.get("buffers") or {}
    hit, read = buffers.get("Shared Hit Blocks", 0), buffers.get("Shared Read Blocks", 0)
    return read / (hit + read) if hit + read else 0.0


def advice(node: dict) -> list[str]:
    """Plain-words suggestions for one node, most useful first; the node's warnings say it more precisely."""
    says = [warning["message"] for warning in node.get("warnings") or []]
    node_type = node.get("node_type") or ""
    details = node.get("details") or {}
    loops = node.get("loops") or 0
    kinds = {warning["kind"] for warning in node.get("warnings") or []}
    if "Seq Scan" in node_type and "seq_scan_filter" not in kinds:
        if details.get("Filter"):
            says.append(
                f"Reads all of {node.get('relation')} and filters it ({details['Filter']}): an index on the filtered "
                "column(s) lets PostgreSQL read only the matching rows."
            )
        else:
            says.append(
                f"Reads every row of {node.get('relation')}: fine for a small table or when most rows are needed."
            )
    if node_type == "Sort" and details.get("Sort Space Type") != "Disk" and "sort_spill" not in kinds:
        says.append("Sorts its input: an index in the ORDER BY order (with a LIMIT) can return rows already sorted.")
    if node_type in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan") and loops >= SLOW_LOOPS:
        says.append(
            f"Runs {loops:,.0f} times, once per outer row: fewer outer rows, or a hash join, cost less than "
            "one lookup per row."
        )
    if node_type == "Index Scan" and details.get("Filter"):
        says.append("The index finds rows the filter then drops: an index covering the filter too avoids them.")
    if node_type == "Bitmap Heap Scan" and details.get("Recheck Cond"):
        says.append("Visits many table pages: a more selective or covering index reads fewer.")
    if node_type == "Aggregate":
        says.append(
            "Aggregates the rows below it: filter them earlier, or keep a summary table for reports that "
            "group many rows."
        )
    if node_type in ("Hash Join", "Merge Join", "Nested Loop") and not kinds:
        says.append("Joins its two inputs: its time grows with their rows; filter before the join where you can.")
    # Buffers include the children's: only a scan's own figures say where its pages came from.
    if node.get("relation") and _read_share(node) >= READ_HEAVY_SHARE:
        says.append(
            "Most of its pages came from disk rather than memory: a second run is usually faster; an index reads "
            "fewer pages."
        )
    misestimate = node.get("misestimate") or {}
    if misestimate.get("factor", 0) >= BAD_MISESTIMATE and "row_misestimate" not in kinds:
        says.append(
            f"The planner's row estimate was off {misestimate['factor']:,.0f}x: run ANALYZE on the tables, or "
            "CREATE STATISTICS for correlated columns, so it picks a better plan."
        )
    if node_type == "Hash":
        says.append(
            "Builds a hash table of the rows below it: selecting fewer rows or fewer columns makes it smaller; "
            "more than one batch means it did not fit in work_mem."
        )
    if node_type in ("Gather", "Gather Merge"):
        says.append("Collects the parallel workers' rows: its time is mostly waiting for the nodes below it.")
    if not says:
        says.append("Does its job in proportion to the rows it handles: look at the nodes that feed it rows.")
    return says


def hotspots(summary: dict, limit: int = HOTSPOT_LIMIT) -> list[dict]:
    """The nodes where the time goes, slowest first, each with its share and what to do about it."""
    nodes = summary.get("nodes") or []
    if not nodes:
        return []
    if summary.get("analyzed"):
        weight = {node["id"]: node.get("time_share") or 0.0 for node in nodes}
        basis = "time"
    else:
        costs = _own_cost(summary)
        total = nodes[0]["total_cost"] or 1.0
        weight = {node_id: cost / total for node_id, cost in costs.items()}
        basis = "cost"
    ranked = sorted(nodes, key=lambda node: weight[node["id"]], reverse=True)
    chosen = [node for node in ranked if weight[node["id"]] >= HOTSPOT_MIN_SHARE][:limit] or ranked[:1]
    return [
        {
            "node_id": node["id"],
            "label": node["label"],
            "share": round(weight[node["id"]], 4),
            "basis": basis,
            "exclusive_ms": node.get("exclusive_ms"),
            "advice": advice(node),
        }
        for node in chosen
    ]


# --- comparing two plans -------------------------------------------------------------------------


def _signature(node: dict) -> str:
    """What makes two nodes 'the same step': the operation and what it reads."""
    return f"{node.get('node_type')}|{node.get('relation') or ''}|{node.get('alias') or ''}"


def _target(node: dict) -> str:
    return node.get("relation") or node.get("alias") or ""


def _pair(before: list[dict], after: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pairs in display order: equal steps matched, a replaced step matched with its replacement when both
    read the same table (a Seq Scan that became an Index Scan), the rest on their own."""
    pairs: list[tuple[dict | None, dict | None]] = []
    matcher = SequenceMatcher(a=[_signature(n) for n in before], b=[_signature(n) for n in after], autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += list(zip(before[a1:a2], after[b1:b2], strict=True))
            continue
        left, right = list(before[a1:a2]), list(after[b1:b2])
        while left or right:
            if left and right and (_target(left[0]) == _target(right[0]) or len(left) == len(right)):
                pairs.append((left.pop(0), right.pop(0)))
            elif left and (not right or len(left) >= len(right)):
                pairs.append((left.pop(0), None))
            else:
                pairs.append((None, right.pop(0)))
    return pairs


def _change(a: dict | None, b: dict | None) -> str:
    if a is None:
        return "added"
    if b is None:
        return "removed"
    return "same" if _signature(a) == _signature(b) else "changed"


def _ratio(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or after <= 0:
        return None
    return round(before / after, 2)


def compare(before: dict, after: dict) -> dict:
    """Two summaries of the same query side by side: totals, and the nodes paired step by step."""
    rows = []
    for a, b in _pair(before.get("nodes") or [], after.get("nodes") or []):
        a_ms, b_ms = (a or {}).get("exclusive_ms"), (b or {}).get("exclusive_ms")
        rows.append(
            {
                "before": a,
                "after": b,
                "change": _change(a, b),
                "delta_ms": round(b_ms - a_ms, 3) if a_ms is not None and b_ms is not None else None,
            }
        )
    totals = {}
    for key in ("execution_ms", "planning_ms", "total_cost"):
        totals[key] = {
            "before": before.get(key),
            "after": after.get(key),
            "speedup": _ratio(before.get(key), after.get(key)),
        }
    blocks = {
        side: sum((summary.get("buffers") or {}).get(k, 0) for k in ("Shared Hit Blocks", "Shared Read Blocks"))
        for side, summary in (("before", before), ("after", after))
    }
    totals["shared_blocks"] = {**blocks, "speedup": _ratio(blocks["before"], blocks["after"])}
    return {"totals": totals, "rows": rows, "same_shape": all(row["change"] == "same" for row in rows)}
