"""The table lock each statement takes, what it blocks, and whether it rewrites the table.

From PostgreSQL's documentation, "Explicit Locking" (table-level lock modes) and each command's page.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast

from migration_safety.tree import AlterTableType, ObjectType, alter_commands, relation_name

BLOCKS = {
    "ACCESS EXCLUSIVE": "every read and write of the table",
    "EXCLUSIVE": "writes and SELECT ... FOR UPDATE; plain reads go on",
    "SHARE ROW EXCLUSIVE": "writes (INSERT, UPDATE, DELETE) and other schema changes; reads go on",
    "SHARE": "writes (INSERT, UPDATE, DELETE); reads go on",
    "SHARE UPDATE EXCLUSIVE": "other schema changes, VACUUM and ANALYZE; reads and writes go on",
    "": "nothing",
}
STRENGTH = ["", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"]

# ALTER TABLE sub-commands that take less than ACCESS EXCLUSIVE.
_WEAKER_ALTER = {
    AlterTableType.AT_ValidateConstraint: "SHARE UPDATE EXCLUSIVE",
    AlterTableType.AT_SetStatistics: "SHARE UPDATE EXCLUSIVE",
    AlterTableType.AT_ClusterOn: "SHARE UPDATE EXCLUSIVE",
    AlterTableType.AT_DropCluster: "SHARE UPDATE EXCLUSIVE",
    AlterTableType.AT_AttachPartition: "SHARE UPDATE EXCLUSIVE",
    # Storage parameters (fillfactor, autovacuum_*) since PostgreSQL 10.
    AlterTableType.AT_SetRelOptions: "SHARE UPDATE EXCLUSIVE",
    AlterTableType.AT_ResetRelOptions: "SHARE UPDATE EXCLUSIVE",
    AlterTableType.AT_EnableTrig: "SHARE ROW EXCLUSIVE",
    AlterTableType.AT_DisableTrig: "SHARE ROW EXCLUSIVE",
}
# ALTER TABLE sub-commands that rewrite (or fully scan) the table while holding the lock.
_REWRITING_ALTER = {
    AlterTableType.AT_AlterColumnType,
    AlterTableType.AT_SetAccessMethod,
    AlterTableType.AT_SetLogged,
    AlterTableType.AT_SetUnLogged,
    AlterTableType.AT_SetTableSpace,
}


# LOCK TABLE's mode numbers (lockdefs.h); the three row-level ones block no reader or writer of note.
_LOCK_MODES = {
    1: "",
    2: "",
    3: "",
    4: "SHARE UPDATE EXCLUSIVE",
    5: "SHARE",
    6: "SHARE ROW EXCLUSIVE",
    7: "EXCLUSIVE",
    8: "ACCESS EXCLUSIVE",
}


@dataclass(frozen=True)
class Lock:
    mode: str
    tables: tuple[str, ...]
    rewrites: bool = False


def _strongest(*modes: str) -> str:
    return max(modes, key=STRENGTH.index) if modes else ""


def _alter_lock(node: ast.AlterTableStmt, rewrites_by_default) -> Lock:
    modes, tables, rewrites = [], [relation_name(node.relation)], False
    for cmd in alter_commands(node):
        constraint = cmd.def_ if isinstance(cmd.def_, ast.Constraint) else None
        if constraint is not None and constraint.pktable is not None:
            # A foreign key locks both tables SHARE ROW EXCLUSIVE: writes wait, reads go on.
            tables.append(relation_name(constraint.pktable))
            modes.append("SHARE ROW EXCLUSIVE")
        else:
            modes.append(_WEAKER_ALTER.get(cmd.subtype, "ACCESS EXCLUSIVE"))
        rewrites = rewrites or cmd.subtype in _REWRITING_ALTER or rewrites_by_default(cmd)
    return Lock(_strongest(*modes), tuple(t for t in tables if t), rewrites)


def lock_of(node: ast.Node, rewrites_by_default=lambda cmd: False) -> Lock:  # noqa: C901 - one branch a command
    if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        return _alter_lock(node, rewrites_by_default)
    if isinstance(node, ast.IndexStmt):
        mode = "SHARE UPDATE EXCLUSIVE" if node.concurrent else "SHARE"
        return Lock(mode, (relation_name(node.relation),), rewrites=not node.concurrent)
    if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX:
        mode = "SHARE UPDATE EXCLUSIVE" if node.concurrent else "ACCESS EXCLUSIVE"
        return Lock(mode, ())
    if isinstance(node, ast.DropStmt) and node.removeType in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_MATVIEW):
        return Lock("ACCESS EXCLUSIVE", tuple(".".join(s.sval for s in obj).lower() for obj in node.objects))
    if isinstance(node, ast.RenameStmt) and node.relation is not None:
        return Lock("ACCESS EXCLUSIVE", (relation_name(node.relation),))
    if isinstance(node, ast.TruncateStmt):
        return Lock("ACCESS EXCLUSIVE", tuple(relation_name(r) for r in node.relations))
    if isinstance(node, ast.VacuumStmt):
        full = any(getattr(o, "defname", "") == "full" for o in node.options or ())
        tables = tuple(relation_name(r.relation) for r in node.rels or ())
        return Lock("ACCESS EXCLUSIVE" if full else "SHARE UPDATE EXCLUSIVE", tables, rewrites=full)
    if isinstance(node, ast.ClusterStmt):
        return Lock("ACCESS EXCLUSIVE", (relation_name(node.relation),) if node.relation else (), rewrites=True)
    if isinstance(node, ast.RefreshMatViewStmt):
        mode = "EXCLUSIVE" if node.concurrent else "ACCESS EXCLUSIVE"
        return Lock(mode, (relation_name(node.relation),), rewrites=True)
    if isinstance(node, ast.ReindexStmt):
        concurrent = any(getattr(o, "defname", "") == "concurrently" for o in node.params or ())
        return Lock("SHARE UPDATE EXCLUSIVE" if concurrent else "ACCESS EXCLUSIVE", ())
    if isinstance(node, ast.CreateTrigStmt):
        return Lock("SHARE ROW EXCLUSIVE", (relation_name(node.relation),))
    if isinstance(node, ast.LockStmt):
        mode = _LOCK_MODES.get(node.mode, "ACCESS EXCLUSIVE")
        return Lock(mode, tuple(relation_name(r) for r in node.relations))
    return Lock("", ())
