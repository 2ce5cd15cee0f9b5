from pglast import ast

from migration_safety.model import Rule


def check(statement, script):
    node = statement.node
    if isinstance(node, ast.VacuumStmt) and any(getattr(o, "defname", "") == "full" for o in node.options or ()):
        yield RULE.finding(
            statement,
            "VACUUM FULL rewrites the table into a new file while nobody can read or write it, and needs room "
            "for a second copy.",
            safer="VACUUM (ANALYZE) for routine upkeep; pg_repack or pg_squeeze to shrink a bloated table online.",
        )


RULE = Rule(
    id="vacuum-full",
    severity="error",
    title="No VACUUM FULL on live tables",
    why="VACUUM FULL takes ACCESS EXCLUSIVE for as long as the rewrite lasts; plain VACUUM reclaims space "
    "for reuse without blocking.",
    check=check,
    must_fire=("VACUUM FULL orders;", "VACUUM (FULL, ANALYZE) orders;"),
    must_not=("VACUUM orders;", "VACUUM (ANALYZE) orders;"),
)
