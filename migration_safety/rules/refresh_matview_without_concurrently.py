from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import relation_name


def check(statement, script):
    node = statement.node
    if isinstance(node, ast.RefreshMatViewStmt) and not node.concurrent:
        name = relation_name(node.relation)
        yield RULE.finding(
            statement,
            f"REFRESH MATERIALIZED VIEW {name} locks it against reads until the refresh ends.",
            safer=f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name};  -- needs a unique index on the view",
        )


RULE = Rule(
    id="refresh-matview-without-concurrently",
    severity="warning",
    title="Refresh materialized views CONCURRENTLY",
    why="A plain refresh takes ACCESS EXCLUSIVE on the view; CONCURRENTLY (with a unique index) lets reads "
    "go on and swaps the rows in.",
    check=check,
    must_fire=("REFRESH MATERIALIZED VIEW sales_by_day;",),
    must_not=("REFRESH MATERIALIZED VIEW CONCURRENTLY sales_by_day;",),
)
