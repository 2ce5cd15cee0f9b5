from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import sql_of


def check(statement, script):
    node = statement.node
    if isinstance(node, ast.ReindexStmt) and not any(
        getattr(o, "defname", "") == "concurrently" for o in node.params or ()
    ):
        yield RULE.finding(
            statement,
            "REINDEX without CONCURRENTLY blocks writes to the table and locks the index against reads that would use it.",
            safer=sql_of(node, params=(*(node.params or ()), ast.DefElem(defname="concurrently"))),
        )


RULE = Rule(
    id="reindex-without-concurrently",
    severity="warning",
    title="REINDEX CONCURRENTLY",
    why="Since PostgreSQL 12 REINDEX CONCURRENTLY rebuilds an index beside the old one and swaps them, "
    "without blocking writes.",
    check=check,
    must_fire=("REINDEX INDEX orders_status_idx;", "REINDEX TABLE orders;"),
    must_not=("REINDEX INDEX CONCURRENTLY orders_status_idx;", "REINDEX (CONCURRENTLY) TABLE orders;"),
)
