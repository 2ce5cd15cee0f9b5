"""Schema drift: what changed between two snapshots. Plain module."""

from __future__ import annotations

MAX_LISTED = 500  # per list; the counts are always complete

TABLE_KEY = ("schema_name", "name")
TABLE_FIELDS = ("kind", "partition_key", "parent_table", "partition_bound")
COLUMN_KEY = ("schema_name", "table_name", "column_name")
COLUMN_FIELDS = ("column_type", "is_nullable", "column_default", "is_foreign_key", "referred_table",
                 "referred_column")  # fmt: skip
INDEX_KEY = ("schema_name", "name")
INDEX_FIELDS = ("definition",)
PARTS = {
    "tables": (TABLE_KEY, TABLE_FIELDS),
    "columns": (COLUMN_KEY, COLUMN_FIELDS),
    "indexes": (INDEX_KEY, INDEX_FIELDS),
}


def _name(key: tuple) -> str:
    return ".".join(str(part) for part in key)


def _compare(old: dict, new: dict, fields) -> dict:
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    changed = []
    for key in sorted(k for k in old.keys() & new.keys() if old[k] != new[k]):
        changes = {
            field: {"from": before, "to": after}
            for field, before, after in zip(fields, old[key], new[key], strict=True)
            if before != after
        }
        changed.append({"name": _name(key), "changes": changes})
    return {
        "added": [_name(k) for k in added[:MAX_LISTED]],
        "removed": [_name(k) for k in removed[:MAX_LISTED]],
        "changed": changed[:MAX_LISTED],
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
    }


def snapshot_diff(previous: dict, current: dict) -> dict:
    """Tables, columns and indexes added, removed and changed since `previous`.

    Both are {"tables", "columns", "indexes"}, each mapping a key tuple (PARTS' key fields)
    to the tuple of its compared fields (PARTS' fields).
    """
    diff = {"initial": not previous["tables"] and not previous["columns"]}
    for part, (_key, fields) in PARTS.items():
        diff[part] = _compare(previous[part], current[part], fields)
    diff["has_changes"] = any(diff[part]["counts"][what] for part in PARTS for what in ("added", "removed", "changed"))
    return diff
