from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import relation_name


def check(statement, script):
    node = statement.node
    if not isinstance(node, ast.TruncateStmt):
        return
    names = [relation_name(r) for r in node.relations]
    if not any(script.existing(n, statement.index) for n in names):
        return
    cascade = node.behavior.name == "DROP_CASCADE"
    yield RULE.finding(
        statement,
        f"TRUNCATE {', '.join(names)} deletes every row under ACCESS EXCLUSIVE"
        + (", and CASCADE empties every table that refers to it too." if cascade else "."),
        safer="DELETE in batches if only some rows must go; never CASCADE in a migration.",
        severity="error" if cascade else "warning",
    )


RULE = Rule(
    id="truncate-table",
    severity="warning",
    title="TRUNCATE empties tables for good",
    why="TRUNCATE cannot be undone once committed, and CASCADE reaches tables the author may not have meant to empty.",
    check=check,
    must_fire=("TRUNCATE orders;", "TRUNCATE settings CASCADE;"),
    must_not=("CREATE TABLE t (a int); TRUNCATE t;", "DELETE FROM settings WHERE key = 'x';"),
)
