"""Schema drift: what changed between two snapshots. Plain module."""

from __future__ import annotations

MAX_LISTED = 500  # per list; the counts are always complete

_TABLE_FIELDS = ("kind", "partition_key", "parent_table", "partition_bound")
_COLUMN_FIELDS = ("column_type", "is_nullable", "column_default", "is_foreign_key", "referred_table",
                  "referred_column")  # fmt: skip
_INDEX_FIELDS = ("definition",)


def _keyed(rows, key_fields, fields) -> dict[tuple, dict]:
    return {tuple(row[k] for k in key_fields): {f: row.get(f) for f in fields} for row in rows}


def _name(key: tuple) -> str:
    return ".".join(str(part) for part in key)


def _compare(old: dict, new: dict, fields) -> dict:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = []
    for key in sorted(set(old) & set(new)):
        changes = {f: {"from": old[key][f], "to": new[key][f]} for f in fields if old[key][f] != new[key][f]}
        if changes:
            changed.append({"name": _name(key), "changes": changes})
    return {
        "added": [_name(k) for k in added[:MAX_LISTED]],
        "removed": [_name(k) for k in removed[:MAX_LISTED]],
        "changed": changed[:MAX_LISTED],
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
    }


def snapshot_diff(previous: dict, catalog) -> dict:
    """Tables, columns and indexes added, removed and changed since `previous`.

    `previous`: {"tables", "columns", "indexes"} as lists of dicts (the stored rows);
    `catalog`: the freshly read `catalog.Catalog`.
    """
    initial = not previous["tables"] and not previous["columns"]
    diff = {
        "initial": initial,
        "tables": _compare(
            _keyed(previous["tables"], ("schema_name", "name"), _TABLE_FIELDS),
            _keyed(catalog.tables, ("schema_name", "name"), _TABLE_FIELDS),
            _TABLE_FIELDS,
        ),
        "columns": _compare(
            _keyed(previous["columns"], ("schema_name", "table_name", "column_name"), _COLUMN_FIELDS),
            _keyed(catalog.columns, ("schema_name", "table_name", "column_name"), _COLUMN_FIELDS),
            _COLUMN_FIELDS,
        ),
        "indexes": _compare(
            _keyed(previous["indexes"], ("schema_name", "name"), _INDEX_FIELDS),
            _keyed(catalog.indexes, ("schema_name", "name"), _INDEX_FIELDS),
            _INDEX_FIELDS,
        ),
    }
    diff["has_changes"] = any(
        diff[part]["counts"][what]
        for part in ("tables", "columns", "indexes")
        for what in ("added", "removed", "changed")
    )
    return diff
