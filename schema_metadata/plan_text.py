"""EXPLAIN's text format read back into the shape of EXPLAIN (FORMAT JSON). Plain module: text in, list out.

People paste what psql printed. `parse(text)` returns `[{"Plan": {...}, "Planning Time", "Execution Time",
"Triggers"}]` with the JSON format's key names, so `plan.summarize` reads a pasted text plan exactly as it
reads one it ran itself. No maintained Python library parses this format with the details we report
(join types, never-executed nodes, PostgreSQL 18's fractional rows, buffers, I/O timings, subplans), so this
one is tested against the JSON of the same queries on a real database (tests/plans/).

The format, as PostgreSQL prints it (explain.c):
- a node line: `[->  ]<type> [using <index>] [on <relation> [<alias>]]  (cost=a..b rows=n width=w)
  (actual time=a..b rows=n loops=n)` (either parenthesis may be missing: COSTS OFF, no ANALYZE, TIMING OFF,
  or `(never executed)`); children are indented under their parent with `->`;
- properties of the node just printed, one per line: `Key: value`;
- `SubPlan n`, `InitPlan n (returns $0)` and `CTE name` announce the node that follows;
- at the end, at column 0: `Planning:`, `Planning Time:`, `Execution Time:`, `Trigger ...:`, `JIT:`.
"""

from __future__ import annotations

import json
import re

_NUMBER = r"-?\d+(?:\.\d+)?"
_NODE = re.compile(
    r"^(?P<indent>\s*)(?P<arrow>->\s+)?(?P<body>\S.*?)"
    rf"(?:\s+\(cost=(?P<startup_cost>{_NUMBER})\.\.(?P<total_cost>{_NUMBER})\s+rows=(?P<plan_rows>{_NUMBER})"
    rf"\s+width=(?P<width>\d+)\))?"
    r"(?:\s+\((?:(?P<never>never executed)|actual\s+"
    rf"(?:time=(?P<astart>{_NUMBER})\.\.(?P<atotal>{_NUMBER})\s+)?rows=(?P<arows>{_NUMBER})\s+loops=(?P<loops>\d+))\))?"
    r"\s*$"
)
_PROPERTY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][A-Za-z0-9 /_-]*?):\s+(?P<value>.*?)\s*$")
_SUBPLAN = re.compile(r"^\s*(?P<kind>SubPlan|InitPlan)\s+(?P<name>\S+)(?:\s+\(returns .*\))?\s*$")
_CTE = re.compile(r"^\s*CTE\s+(?P<name>\S+)\s*$")
_TIME = re.compile(rf"^(?P<what>Planning|Execution|Total runtime)(?: Time)?:\s+(?P<ms>{_NUMBER})\s*ms\s*$")
_TRIGGER = re.compile(
    rf"^Trigger(?: for constraint)?\s+(?P<name>.+?)(?: on (?P<relation>\S+))?:\s+time=(?P<ms>{_NUMBER})"
    r"\s+calls=(?P<calls>\d+)\s*$"
)
_PSQL_NOISE = re.compile(r"^\s*(QUERY PLAN\s*|-+\s*|\(\d+ rows?\)\s*)$")

# Node types whose text names carry the JSON format's Join Type (longest first).
_JOIN_KINDS = ("Right Anti", "Right Semi", "Left", "Right", "Full", "Semi", "Anti")
_JOIN_NODES = ("Nested Loop", "Hash", "Merge")
_AGGREGATES = {"HashAggregate": "Hashed", "GroupAggregate": "Sorted", "MixedAggregate": "Mixed", "Aggregate": "Plain"}
_MODIFY = ("Insert", "Update", "Delete", "Merge")
# Scans whose "on <name>" names something other than a table.
_ON_NAME_KEY = {
    "CTE Scan": "CTE Name",
    "WorkTable Scan": "CTE Name",
    "Function Scan": "Function Name",
    "Table Function Scan": "Table Function Name",
    "Named Tuplestore Scan": "Tuplestore Name",
}
_ALIAS_ONLY = ("Subquery Scan", "Values Scan", "Result")
_INT_PROPERTIES = (
    "Rows Removed by Filter",
    "Rows Removed by Join Filter",
    "Rows Removed by Index Recheck",
    "Heap Fetches",
    "Workers Planned",
    "Workers Launched",
    "Index Searches",
    "Pre-sorted Groups",
    "Subplans Removed",
)


class PlanTextError(ValueError):
    """The text is not an EXPLAIN text-format plan; the message says where it stopped making sense."""


def _number(text: str | None) -> float | int | None:
    if text is None:
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _name(text: str) -> tuple[str, str]:
    """The first (possibly double-quoted) name in `text`, and the rest."""
    text = text.strip()
    if text.startswith('"'):
        end = 1
        while True:
            end = text.find('"', end)
            if end == -1:
                return text, ""
            if text[end : end + 2] == '""':
                end += 2
                continue
            return text[1:end].replace('""', '"'), text[end + 1 :].strip()
    first, _, rest = text.partition(" ")
    return first, rest.strip()


def _unqualified(name: str) -> tuple[str | None, str]:
    """schema.table -> (schema, table); VERBOSE prints relations qualified."""
    if "." in name and not name.startswith('"'):
        schema, _, table = name.rpartition(".")
        return schema, table
    return None, name


def _node_type(words: str, node: dict) -> None:
    """Fill Node Type and its companions (Join Type, Strategy, Partial Mode, Parallel Aware, ...) from the
    text's name of the operation, the inverse of the labels explain.c prints."""
    if words.startswith(("Partial ", "Finalize ")):
        mode, _, words = words.partition(" ")
        node["Partial Mode"] = mode
    if words.startswith("Parallel "):
        node["Parallel Aware"] = True
        words = words[len("Parallel ") :]
    if words.endswith(" Backward"):
        node["Scan Direction"] = "Backward"
        words = words[: -len(" Backward")]
    if words in _AGGREGATES:
        node["Node Type"], node["Strategy"] = "Aggregate", _AGGREGATES[words]
        return
    if words.startswith(("HashSetOp ", "SetOp ")):
        strategy, _, command = words.partition(" ")
        node["Node Type"], node["Strategy"], node["Command"] = (
            "SetOp",
            "Hashed" if strategy == "HashSetOp" else "Sorted",
            command,
        )
        return
    for base in _JOIN_NODES:
        json_type = base if base == "Nested Loop" else f"{base} Join"
        if words == json_type:
            node["Node Type"], node["Join Type"] = json_type, "Inner"
            return
        for kind in _JOIN_KINDS:
            if words == f"{base} {kind} Join":
                node["Node Type"], node["Join Type"] = json_type, kind
                return
    if words in _MODIFY:
        node["Node Type"], node["Operation"] = "ModifyTable", words
        return
    node["Node Type"] = words


def _identity(body: str) -> dict:
    """A node line's text before its numbers: type, index, relation, alias."""
    node: dict = {}
    words, using, rest = body.partition(" using ")
    index_part = None
    if using:
        index_part, on, target = rest.partition(" on ")
        target = target if on else ""
    else:
        words, on, target = body.partition(" on ")
        target = target if on else ""
    _node_type(words.strip(), node)
    node_type = node["Node Type"]
    if index_part is not None:
        node["Index Name"] = _name(index_part)[0]
    if not target:
        return node
    name, alias = _name(target)
    if node_type == "Bitmap Index Scan":
        node["Index Name"] = name
    elif node_type in _ON_NAME_KEY:
        node[_ON_NAME_KEY[node_type]] = name
        node["Alias"] = _name(alias)[0] if alias else name
    elif node_type in _ALIAS_ONLY:
        node["Alias"] = name
    else:
        schema, table = _unqualified(name)
        node["Relation Name"] = table
        if schema:
            node["Schema"] = schema
        node["Alias"] = _name(alias)[0] if alias else table
    return node


def _node(match: re.Match) -> dict:
    node = _identity(match["body"])
    if match["startup_cost"] is not None:
        node["Startup Cost"] = float(match["startup_cost"])
        node["Total Cost"] = float(match["total_cost"])
        node["Plan Rows"] = _number(match["plan_rows"])
        node["Plan Width"] = int(match["width"])
    if match["never"]:
        # JSON says the same with zero loops and zero times.
        node.update({"Actual Startup Time": 0.0, "Actual Total Time": 0.0, "Actual Rows": 0, "Actual Loops": 0})
    elif match["loops"] is not None:
        if match["atotal"] is not None:
            node["Actual Startup Time"] = float(match["astart"])
            node["Actual Total Time"] = float(match["atotal"])
        node["Actual Rows"] = _number(match["arows"])
        node["Actual Loops"] = int(match["loops"])
    return node


_BUFFER_PART = re.compile(r"(?P<kind>shared|local|temp)\s+(?P<counts>(?:(?:hit|read|dirtied|written)=\d+\s*)+)")
_IO_PART = re.compile(rf"(?:(?P<kind>shared|local|temp)\s+)?(?P<pairs>(?:(?:read|write)={_NUMBER}\s*)+)")


def _buffers(node: dict, value: str) -> None:
    for part in _BUFFER_PART.finditer(value):
        prefix = part["kind"].capitalize()
        for counter, count in re.findall(r"(hit|read|dirtied|written)=(\d+)", part["counts"]):
            node[f"{prefix} {counter.capitalize()} Blocks"] = int(count)


def _io_timings(node: dict, value: str) -> None:
    for part in _IO_PART.finditer(value):
        # Before PostgreSQL 15 the text had no "shared": its JSON keys were "I/O Read Time".
        prefix = f"{part['kind'].capitalize()} " if part["kind"] else ""
        for direction, ms in re.findall(rf"(read|write)=({_NUMBER})", part["pairs"]):
            node[f"{prefix}I/O {direction.capitalize()} Time"] = float(ms)


def _memory_kb(text: str) -> int:
    return int(re.match(r"\d+", text).group())


def _sort_method(node: dict, value: str) -> None:
    # "quicksort  Memory: 25kB" / "external merge  Disk: 952kB"
    method, _, space = value.partition("  ")
    node["Sort Method"] = method.strip()
    found = re.search(r"(Memory|Disk):\s*(\d+)kB", space)
    if found:
        node["Sort Space Type"], node["Sort Space Used"] = found[1], int(found[2])


def _batches_line(node: dict, line: str) -> None:
    """Hash: "Buckets: 4096 (originally 1024)  Batches: 4 (originally 1)  Memory Usage: 101kB";
    HashAggregate: "Batches: 5  Memory Usage: 4145kB  Disk Usage: 1400kB"."""
    is_hash = node.get("Node Type") == "Hash"
    for key, number, original in re.findall(r"(Buckets|Batches):\s*(\d+)(?:\s*\(originally (\d+)\))?", line):
        name = f"Hash {key}" if is_hash else f"HashAgg {key}"
        node[name] = int(number)
        if original:
            node[f"Original Hash {key}"] = int(original)
    for key, json_key in (("Memory Usage", "Peak Memory Usage"), ("Disk Usage", "Disk Usage")):
        found = re.search(rf"{key}:\s*(\d+)kB", line)
        if found:
            node[json_key] = int(found[1])


def _property(node: dict, key: str, value: str, line: str) -> None:
    if key == "Buffers":
        _buffers(node, value)
    elif key == "I/O Timings":
        _io_timings(node, value)
    elif key == "Sort Method":
        _sort_method(node, value)
    elif key in ("Buckets", "Batches"):
        _batches_line(node, line)
    elif key in ("Sort Key", "Group Key", "Presorted Key", "Output"):
        node[key] = [part.strip() for part in _split_top_level(value)]
    elif key in _INT_PROPERTIES:
        found = re.match(_NUMBER, value)
        node[key] = _number(found.group()) if found else value
    elif key.startswith("Worker ") or key in ("Planning", "JIT"):
        return  # per-worker repeats of the node's own figures; nothing the summary reads
    else:
        node[key] = value


def _split_top_level(value: str) -> list[str]:
    """Split "a, (b, c), d" on the commas outside parentheses and quotes."""
    parts, depth, current, quote = [], 0, [], None
    for char in value:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _clean_lines(text: str) -> list[str]:
    """The plan's lines without what psql and GUI tools put around them (header, row count, quotes, `+`)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line.strip() and not _PSQL_NOISE.match(line)]
    if lines and all(line.strip().startswith('"') and line.strip().endswith('"') for line in lines):
        lines = [line.strip()[1:-1].replace('""', '"') for line in lines]  # copied as CSV from a GUI
    lines = [line[:-1].rstrip() if line.endswith("+") else line for line in lines]
    if not lines or not any(_NODE.match(line)["arrow"] or _has_numbers(_NODE.match(line)) for line in lines):
        # Neither an operation with its figures nor a child under one (a plan with COSTS OFF has children).
        raise PlanTextError("No plan node found: paste the output of EXPLAIN (ANALYZE, BUFFERS) or its JSON.")
    margin = len(lines[0]) - len(lines[0].lstrip())  # psql's aligned output indents every row by one
    if not margin:
        return lines
    return [line[margin:] if line[:margin].isspace() else line.lstrip() for line in lines]


def parse(text: str) -> list[dict]:
    """EXPLAIN text output -> the JSON format's structure ([{"Plan": ..., ...}]); PlanTextError if it is not one."""
    root_info: dict = {"Triggers": []}
    root = None
    stack: list[tuple[int, dict]] = []  # (indent of the node's line, node)
    pending_relationship: dict | None = None
    in_footer = False
    for number, line in enumerate(_clean_lines(text), start=1):
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if indent == 0 and root is not None:
            in_footer = True  # Planning:, JIT:, times and triggers follow the tree at column 0
        if in_footer or (indent == 0 and root is None and _TIME.match(stripped)):
            _footer(root_info, stripped)
            continue
        node_match = _NODE.match(line)
        # The first line is the top node; below it, nodes are the lines with an arrow.
        is_node = node_match and (root is None or node_match["arrow"])
        if is_node:
            node = _node(node_match)
            if root is None:
                root = node
                stack = [(-1, node)]
                continue
            while len(stack) > 1 and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1]
            node["Parent Relationship"] = _relationship(parent)
            if pending_relationship:
                node.update(pending_relationship)
                pending_relationship = None
            parent.setdefault("Plans", []).append(node)
            stack.append((indent, node))
            continue
        if root is None:
            raise PlanTextError(f"Line {number} is not a plan node: {stripped[:80]}")
        subplan = _SUBPLAN.match(line)
        cte = _CTE.match(line)
        if subplan:
            pending_relationship = {"Parent Relationship": subplan["kind"], "Subplan Name": stripped}
            _pop_to(stack, indent)
        elif cte:
            pending_relationship = {"Parent Relationship": "InitPlan", "Subplan Name": stripped}
            _pop_to(stack, indent)
        else:
            prop = _PROPERTY.match(line)
            if prop is None:
                continue  # a line we do not read (a continuation of a long condition)
            _property(stack[-1][1], prop["key"], prop["value"], stripped)
    if root is None:
        raise PlanTextError("No plan node found: paste the output of EXPLAIN (ANALYZE, BUFFERS) or its JSON.")
    _add_json_defaults(root)
    return [{"Plan": root, **root_info}]


def _add_json_defaults(root: dict) -> None:
    """What the JSON format always says and the text format leaves out when it is the default."""
    stack = [root]  # a loop, not recursion: a pasted plan can be thousands of nodes deep
    while stack:
        node = stack.pop()
        _defaults_of(node)
        stack.extend(node.get("Plans") or [])


def _defaults_of(node: dict) -> None:
    if node.get("Node Type") == "Aggregate":
        node.setdefault("Partial Mode", "Simple")
    if node.get("Node Type") in ("Index Scan", "Index Only Scan"):
        node.setdefault("Scan Direction", "Forward")
    if node.get("Node Type") == "Hash" and "Hash Batches" in node:
        node.setdefault("Original Hash Batches", node["Hash Batches"])
        node.setdefault("Original Hash Buckets", node.get("Hash Buckets"))
    if "Actual Loops" in node:
        for condition, removed in (
            ("Filter", "Rows Removed by Filter"),
            ("Join Filter", "Rows Removed by Join Filter"),
        ):
            if condition in node:
                node.setdefault(removed, 0)


def _has_numbers(match: re.Match | None) -> bool:
    return bool(match) and (match["startup_cost"] is not None or match["loops"] is not None or bool(match["never"]))


def _pop_to(stack: list, indent: int) -> None:
    """A SubPlan/InitPlan/CTE label belongs to the node printed above it at a lower indent."""
    while len(stack) > 1 and stack[-1][0] >= indent:
        stack.pop()


def _relationship(parent: dict) -> str:
    # Outer for the first child, Inner for the second, as the JSON format says; Member under Append.
    if parent.get("Node Type") in ("Append", "Merge Append", "BitmapAnd", "BitmapOr"):
        return "Member"
    children = [c for c in parent.get("Plans", []) if c.get("Parent Relationship") in ("Outer", "Inner")]
    return "Outer" if not children else "Inner"


def _footer(info: dict, line: str) -> None:
    timing = _TIME.match(line)
    if timing:
        key = {"Planning": "Planning Time", "Execution": "Execution Time", "Total runtime": "Execution Time"}
        info[key[timing["what"]]] = float(timing["ms"])
        return
    trigger = _TRIGGER.match(line)
    if trigger:
        info["Triggers"].append(
            {
                "Trigger Name": trigger["name"],
                "Relation": trigger["relation"],
                "Time": float(trigger["ms"]),
                "Calls": int(trigger["calls"]),
            }
        )


def load(value) -> list | dict:
    """A pasted plan in either format: EXPLAIN's JSON (text or already decoded) or its text output."""
    if isinstance(value, (list, dict)):
        return value
    if not isinstance(value, str) or not value.strip():
        raise PlanTextError("Paste a plan: the output of EXPLAIN (ANALYZE, BUFFERS), as text or FORMAT JSON.")
    stripped = value.strip()
    if stripped[0] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise PlanTextError(
                f"The plan looks like JSON but is not valid JSON: {exc.msg} at line {exc.lineno}."
            ) from None
    return parse(value)
