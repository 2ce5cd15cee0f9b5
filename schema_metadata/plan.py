"""Reading a PostgreSQL JSON plan the way a person would. Plain module: plan in, dict out.

`summarize(plan_json, foreign_keys=None)` gives planning/execution time, total cost, each
node with its exclusive share of the time, estimated against actual rows, loops and
buffers, and warnings attached to the nodes they concern.
"""

from __future__ import annotations

import re

# Thresholds of the warnings; each is a judgement, named so it can be read and changed.
LARGE_TABLE_ROWS = 10_000  # rows scanned before a filtering seq scan is worth a warning
FILTERED_SHARE = 0.9  # share of scanned rows the filter throws away
MISESTIMATE_FACTOR = 10
MISESTIMATE_MIN_ROWS = 100  # below this a 10x miss costs nothing
NESTED_LOOP_LOOPS = 1_000

_BUFFER_KEYS = (
    "Shared Hit Blocks",
    "Shared Read Blocks",
    "Shared Dirtied Blocks",
    "Shared Written Blocks",
    "Local Hit Blocks",
    "Local Read Blocks",
    "Temp Read Blocks",
    "Temp Written Blocks",
)
_JOIN_CONDITIONS = ("Hash Cond", "Merge Cond", "Join Filter", "Index Cond", "Recheck Cond", "Filter")


def _root(plan_json) -> dict:
    """The top-level object of EXPLAIN (FORMAT JSON): a list of one, or the object itself."""
    if isinstance(plan_json, list):
        if not plan_json:
            raise ValueError("empty plan")
        plan_json = plan_json[0]
    if not isinstance(plan_json, dict) or "Plan" not in plan_json:
        raise ValueError("not an EXPLAIN (FORMAT JSON) result")
    return plan_json


def _num(value, default=0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _walk(node: dict, depth: int = 0, parent_id: int | None = None):
    """Nodes in display order, each with its depth and parent."""
    stack = [(node, depth, parent_id)]
    counter = 0
    while stack:
        current, level, parent = stack.pop()
        node_id = counter
        counter += 1
        yield node_id, current, level, parent
        children = current.get("Plans") or []
        for child in reversed(children):
            stack.append((child, level + 1, node_id))


_GATHERS = ("Gather", "Gather Merge")


def _processes(node: dict, parent: dict | None, inherited: float) -> float:
    """How many processes ran `node` at once: 1, or the leader and workers below a Gather.

    Under a Gather every worker runs the subtree, and PostgreSQL sums their loops and times
    before printing the per-loop average: average x loops is the CPU time of all processes, not
    the wall time. The Gather's child runs once per process per Gather loop, so its loops over
    the Gather's give the number of processes (workers launched, plus the leader if it took part).
    """
    if parent is None or parent.get("Node Type") not in _GATHERS:
        return inherited
    child_loops = _num(node.get("Actual Loops"), 0.0)
    gather_loops = _num(parent.get("Actual Loops"), 1.0) or 1.0
    return max(1.0, child_loops / gather_loops)


def _inclusive_ms(node: dict, processes: float = 1.0) -> float | None:
    """Wall-clock time of the node and its children over all its loops.

    Loops multiply (a nested loop's inner side runs once per outer row), except the loops that
    parallel workers ran side by side: those are divided by the number of processes.
    """
    if "Actual Total Time" not in node:
        return None
    loops = _num(node.get("Actual Loops"), 1.0) or 0.0
    return _num(node["Actual Total Time"]) * loops / max(processes, 1.0)


def _label(node: dict) -> str:
    node_type, join_type = node.get("Node Type", "?"), node.get("Join Type")
    if join_type and join_type != "Inner":
        # As EXPLAIN's text format says it: "Hash Left Join", "Nested Loop Anti Join".
        if node_type == "Nested Loop":
            node_type = f"Nested Loop {join_type} Join"
        else:
            node_type = node_type.replace("Join", f"{join_type} Join")
    # PostgreSQL 13+ keeps "Seq Scan" as the type and says "Parallel Aware"; the text format prefixes it.
    if node.get("Parallel Aware") and not node_type.startswith("Parallel"):
        node_type = f"Parallel {node_type}"
    if node.get("Partial Mode") in ("Partial", "Finalize"):
        node_type = f"{node['Partial Mode']} {node_type}"
    parts = [node_type]
    if node.get("Index Name"):
        parts.append(f"using {node['Index Name']}")
    if node.get("Relation Name"):
        rel = node["Relation Name"]
        alias = node.get("Alias")
        parts.append(f"on {rel}" + (f" {alias}" if alias and alias != rel else ""))
    elif node.get("CTE Name"):
        parts.append(f"on {node['CTE Name']}")
    return " ".join(parts)


def _buffers(node: dict) -> dict:
    return {key: int(_num(node[key])) for key in _BUFFER_KEYS if key in node}


def _rows_estimate_vs_actual(node: dict) -> tuple[float, float | None]:
    estimated = _num(node.get("Plan Rows"))
    actual = _num(node["Actual Rows"]) if "Actual Rows" in node else None
    return estimated, actual


# --- warnings -------------------------------------------------------------------


def _warn(kind: str, node_id: int, message: str, **extra) -> dict:
    return {"kind": kind, "node_id": node_id, "message": message, **extra}


def _seq_scan_warning(node_id, node, table_rows) -> dict | None:
    if node.get("Node Type") not in ("Seq Scan", "Parallel Seq Scan") or not node.get("Filter"):
        return None
    relation = node.get("Relation Name", "?")
    loops = _num(node.get("Actual Loops"), 1.0) or 1.0
    if "Actual Rows" in node:
        kept = _num(node.get("Actual Rows")) * loops
        removed = _num(node.get("Rows Removed by Filter")) * loops
        scanned = kept + removed
        if scanned >= LARGE_TABLE_ROWS and removed / scanned >= FILTERED_SHARE:
            return _warn(
                "seq_scan_filter",
                node_id,
                f"Sequential scan on {relation} read {int(scanned):,} rows and kept {int(kept):,} "
                f"({kept / scanned:.1%}); an index on the filtered column(s) would avoid reading the rest.",
                relation=relation,
                filter=node.get("Filter"),
            )
        return None
    # Without ANALYZE: the planner's own numbers and the synced table size.
    total = table_rows.get(relation)
    estimated = _num(node.get("Plan Rows"))
    if total and total >= LARGE_TABLE_ROWS and estimated / total <= 1 - FILTERED_SHARE:
        return _warn(
            "seq_scan_filter",
            node_id,
            f"Sequential scan on {relation} (about {int(total):,} rows) is expected to keep only "
            f"{int(estimated):,}; an index on the filtered column(s) would avoid reading the rest.",
            relation=relation,
            filter=node.get("Filter"),
        )
    return None


def _misestimate_warning(node_id, node, under_limit: bool = False) -> dict | None:
    estimated, actual = _rows_estimate_vs_actual(node)
    if actual is None or _num(node.get("Actual Loops"), 1.0) == 0:
        return None
    if under_limit and actual < estimated:
        return None  # the LIMIT stopped the node early: fewer rows than planned is the plan working
    high, low = max(estimated, actual), max(min(estimated, actual), 1.0)
    if high >= MISESTIMATE_MIN_ROWS and high / low >= MISESTIMATE_FACTOR:
        direction = "under" if actual > estimated else "over"
        return _warn(
            "row_misestimate",
            node_id,
            f"The planner expected {estimated:,.0f} rows and got {actual:,.0f} ({high / low:,.0f}x {direction}"
            "estimate): statistics may be stale (ANALYZE) or columns correlated (CREATE STATISTICS).",
            estimated_rows=estimated,
            actual_rows=actual,
        )
    return None


def _spill_warning(node_id, node) -> dict | None:
    node_type = node.get("Node Type", "")
    if node.get("Sort Space Type") == "Disk" or "external" in str(node.get("Sort Method", "")):
        return _warn(
            "sort_spill",
            node_id,
            f"The sort spilled to disk ({node.get('Sort Method', 'external')}, "
            f"{node.get('Sort Space Used', '?')} kB): raise work_mem for it or sort fewer rows (an index "
            "in the sort order).",
        )
    batches = max(_num(node.get("Hash Batches"), 1), _num(node.get("Original Hash Batches"), 1))
    if node_type == "Hash" and batches > 1:
        return _warn(
            "hash_spill",
            node_id,
            f"The hash used {int(batches)} batches and spilled to disk: raise work_mem or hash fewer rows.",
        )
    if node_type == "Aggregate" and (_num(node.get("HashAgg Batches"), 1) > 1 or _num(node.get("Disk Usage")) > 0):
        return _warn(
            "hash_spill",
            node_id,
            f"The hash aggregate spilled to disk ({node.get('Disk Usage', '?')} kB): raise work_mem.",
        )
    return None


_INDEX_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")
# Nodes that pass their child's rows through: what they wrap decides how the rows are reached.
_PASS_THROUGH = ("Memoize", "Result")


def _index_access(node: dict) -> str | None:
    """The index a side of a join reads its rows through (`orders_pkey`), or None when it scans without one."""
    while node.get("Node Type") in _PASS_THROUGH and node.get("Plans"):
        node = node["Plans"][0]
    if node.get("Node Type") not in _INDEX_SCANS:
        return None
    if node.get("Index Name"):
        return node["Index Name"]
    bitmap = [n.get("Index Name") for _, n, _, _ in _walk(node) if n.get("Node Type") == "Bitmap Index Scan"]
    return ", ".join(filter(None, bitmap)) or "an index"


def _reads_all_input(node: dict) -> bool:
    """A node that consumes its whole input before returning a row: a LIMIT above it does not stop what is below."""
    node_type = node.get("Node Type")
    if node_type in ("Sort", "Hash"):
        return True
    return node_type in ("Aggregate", "SetOp") and node.get("Strategy") in ("Plain", "Hashed", "Mixed")


def _stops_early(parent: dict, parent_stops_early: bool) -> bool:
    """Whether a child of `parent` may be stopped before it is done by a LIMIT at or above the parent."""
    if _reads_all_input(parent):
        return False
    return parent_stops_early or parent.get("Node Type") == "Limit"


def _nested_loop_warning(node_id, node, under_limit: bool = False) -> dict | None:
    if node.get("Node Type") != "Nested Loop" or under_limit:
        # Under a LIMIT the loop stops once it has enough rows: its count is the LIMIT's, not a problem.
        return None
    children = node.get("Plans") or []
    if len(children) < 2:
        return None
    inner = children[1]
    if "Actual Loops" in inner:
        loops = _num(inner.get("Actual Loops"))
    else:
        loops = _num(children[0].get("Plan Rows"))
    if loops < NESTED_LOOP_LOOPS:
        return None
    index = _index_access(inner)
    if index:
        relation = inner.get("Relation Name") or next(
            (n["Relation Name"] for _, n, _, _ in _walk(inner) if n.get("Relation Name")), "the inner side"
        )
        message = (
            f"The nested loop looks up {relation} through {index} {int(loops):,} times: when most outer rows find "
            f"a match, one hash join reading {relation} once is usually cheaper than that many index lookups."
        )
    else:
        message = (
            f"The nested loop runs its inner side {int(loops):,} times"
            + (" with a sequential scan each time" if inner.get("Node Type") == "Seq Scan" else "")
            + ": a hash join or an index on the inner join column is usually far cheaper."
        )
    return _warn("nested_loop_loops", node_id, message, loops=loops, inner_index=index)


def _aliases(node: dict) -> dict[str, str]:
    """alias -> relation for every scan under `node` (the node itself included)."""
    found = {}
    for _, current, _, _ in _walk(node):
        relation = current.get("Relation Name")
        if relation:
            found[current.get("Alias") or relation] = relation
    return found


_WRAPPERS = ("Memoize", "Materialize", "Result", "Sort")


def _inner_scans(node: dict) -> list[dict]:
    """The scans a nested loop's inner side runs per outer row, seen through caches and materializations."""
    while node.get("Node Type") in _WRAPPERS and node.get("Plans"):
        node = node["Plans"][0]
    return [node] if node.get("Relation Name") else []


def _join_conditions(node: dict) -> list[tuple[str, str | None]]:
    """(condition text, alias its unqualified columns belong to) for the conditions that do this join's work.

    A hash or merge join states them itself, qualified. A nested loop pushes them into its inner scan, which
    names its own columns without a qualifier (`Index Cond: (customer_id = c.customer_id)` on rental r).
    """
    found = [(str(node[key]), None) for key in ("Hash Cond", "Merge Cond", "Join Filter") if node.get(key)]
    children = node.get("Plans") or []
    if node.get("Node Type") == "Nested Loop" and len(children) >= 2:
        for scan in _inner_scans(children[1]):
            owner = scan.get("Alias") or scan.get("Relation Name")
            found += [(str(scan[key]), owner) for key in ("Index Cond", "Recheck Cond", "Filter") if scan.get(key)]
    return found


def _references(condition: str, alias: str, column: str, owner: str | None = None) -> bool:
    quoted = re.escape(column) if re.fullmatch(r"[a-z_][a-z0-9_]*", column) else re.escape(f'"{column}"')
    pattern = rf"(?<![\w\"]){re.escape(alias)}\.{quoted}(?![\w\"])"
    if owner == alias:  # the scan's own column, written bare
        pattern += rf"|(?<![\w\".]){quoted}(?![\w\"])"
    return re.search(pattern, condition) is not None


def _fk_side_candidates(node: dict) -> dict[str, str]:
    """alias -> relation of the scans an index on a foreign key could serve in this join.

    Not the outer side of a nested loop (read once, in full) nor the probe side of a hash join (read once,
    in full): an index on their join column changes nothing. The inner side of a nested loop, the hashed side
    (a nested loop probing it through the index is the alternative) and both sides of a merge join can use it.
    """
    children = node.get("Plans") or []
    if node.get("Node Type") in ("Nested Loop", "Hash Join") and len(children) >= 2:
        return _aliases(children[1])
    return _aliases(node)


def _unindexed_fk_warnings(node_id, node, foreign_keys) -> list[dict]:
    if not foreign_keys or node.get("Node Type") not in ("Hash Join", "Merge Join", "Nested Loop"):
        return []
    conditions = _join_conditions(node)
    if not conditions:
        return []
    warnings = []
    aliases = _fk_side_candidates(node)
    for fk in foreign_keys:
        if fk.get("has_index"):
            continue
        table, columns = fk.get("table"), fk.get("columns") or []
        for alias, relation in aliases.items():
            if relation != table or not columns:
                continue
            if all(any(_references(text, alias, column, owner) for text, owner in conditions) for column in columns):
                cols = ", ".join(columns)
                warnings.append(
                    _warn(
                        "unindexed_foreign_key",
                        node_id,
                        f"The join uses the foreign key {table}({cols}) -> {fk.get('referred_table')}, which has "
                        f"no index: CREATE INDEX ON {table} ({cols}) helps this join and deletes on "
                        f"{fk.get('referred_table')}.",
                        table=table,
                        columns=columns,
                    )
                )
                break
    return warnings


# --- summary ---------------------------------------------------------------------


def summarize(plan_json, foreign_keys: list[dict] | None = None, table_rows: dict[str, float] | None = None) -> dict:
    """A summary of an EXPLAIN (FORMAT JSON) result.

    `foreign_keys`: [{"table", "columns", "referred_table", "has_index"}] from the synced
    schema; `table_rows`: {table: row estimate}. Both optional; they enable the warnings
    that need to know the schema.
    """
    root = _root(plan_json)
    top = root["Plan"]
    analyzed = "Actual Total Time" in top
    table_rows = table_rows or {}

    entries = list(_walk(top))
    by_id = {node_id: node for node_id, node, _, _ in entries}
    processes: dict[int, float] = {}
    under_limit: dict[int, bool] = {}
    for node_id, node, _depth, parent in entries:  # parents come before their children
        parent_node = by_id[parent] if parent is not None else None
        processes[node_id] = _processes(node, parent_node, processes[parent] if parent is not None else 1.0)
        under_limit[node_id] = parent_node is not None and _stops_early(parent_node, under_limit[parent])
    inclusive = {node_id: _inclusive_ms(node, processes[node_id]) for node_id, node, _, _ in entries}
    children_time: dict[int, float] = {}
    for node_id, _node, _depth, parent in entries:
        if parent is not None and inclusive[node_id] is not None:
            children_time[parent] = children_time.get(parent, 0.0) + inclusive[node_id]
    execution_ms = _num(root.get("Execution Time"), None) if "Execution Time" in root else None
    # Shares are of the larger of the two: rounding can put the top node a hair over the execution time.
    total_ms = max(execution_ms or 0.0, (inclusive[0] or 0.0) if analyzed else 0.0)

    nodes, warnings = [], []
    for node_id, node, depth, parent in entries:
        exclusive = None
        if inclusive[node_id] is not None:
            exclusive = max(0.0, inclusive[node_id] - children_time.get(node_id, 0.0))
        estimated, actual = _rows_estimate_vs_actual(node)
        entry = {
            "id": node_id,
            "parent_id": parent,
            "depth": depth,
            "node_type": node.get("Node Type"),
            "label": _label(node),
            "relation": node.get("Relation Name"),
            "alias": node.get("Alias"),
            "index": node.get("Index Name"),
            "parent_relationship": node.get("Parent Relationship"),
            "startup_cost": _num(node.get("Startup Cost")),
            "total_cost": _num(node.get("Total Cost")),
            "estimated_rows": estimated,
            "actual_rows": actual,
            "loops": _num(node.get("Actual Loops"), None) if "Actual Loops" in node else None,
            "inclusive_ms": round(inclusive[node_id], 3) if inclusive[node_id] is not None else None,
            "exclusive_ms": round(exclusive, 3) if exclusive is not None else None,
            "time_share": round(min(1.0, exclusive / total_ms), 4) if exclusive is not None and total_ms else None,
            # Run by this many processes side by side (leader and workers below a Gather); None if one.
            "parallel_processes": int(round(processes[node_id])) if processes[node_id] > 1 else None,
            "rows_removed_by_filter": _num(node.get("Rows Removed by Filter"), None)
            if "Rows Removed by Filter" in node
            else None,
            "buffers": _buffers(node),
            "details": {
                key: node[key]
                for key in (*_JOIN_CONDITIONS, "Sort Key", "Sort Method", "Group Key", "Join Type", "Strategy")
                if key in node
            },
            "warnings": [],
        }
        found = [
            _seq_scan_warning(node_id, node, table_rows),
            _misestimate_warning(node_id, node, under_limit[node_id]),
            _spill_warning(node_id, node),
            _nested_loop_warning(node_id, node, under_limit[node_id]),
            *_unindexed_fk_warnings(node_id, node, foreign_keys),
        ]
        for warning in filter(None, found):
            entry["warnings"].append(warning)
            warnings.append(warning)
        nodes.append(entry)

    return {
        "analyzed": analyzed,
        "planning_ms": _num(root.get("Planning Time"), None) if "Planning Time" in root else None,
        "execution_ms": execution_ms,
        "total_cost": _num(top.get("Total Cost")),
        "estimated_rows": _num(top.get("Plan Rows")),
        "actual_rows": _num(top.get("Actual Rows"), None) if "Actual Rows" in top else None,
        "buffers": _buffers(top),
        "node_count": len(nodes),
        "nodes": nodes,
        "warnings": warnings,
        "triggers": [
            {"name": t.get("Trigger Name"), "relation": t.get("Relation"), "ms": t.get("Time"), "calls": t.get("Calls")}
            for t in root.get("Triggers") or []
        ],
    }
