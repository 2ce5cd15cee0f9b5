from pglast import ast

from migration_safety.model import Rule


def check(statement, script):
    if isinstance(statement.node, ast.ClusterStmt):
        yield RULE.finding(
            statement,
            "CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE, and the order decays with writes.",
            safer="pg_repack --order-by, which reorders online.",
        )


RULE = Rule(
    id="cluster-table",
    severity="error",
    title="No CLUSTER on live tables",
    why="CLUSTER blocks every read and write for the whole rewrite.",
    check=check,
    must_fire=("CLUSTER orders USING orders_created_idx;",),
    must_not=("ALTER TABLE orders SET WITHOUT CLUSTER;",),
)
