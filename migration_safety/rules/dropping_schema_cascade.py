from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import ObjectType


def check(statement, script):
    node = statement.node
    if (
        isinstance(node, ast.DropStmt)
        and node.removeType == ObjectType.OBJECT_SCHEMA
        and node.behavior.name == "DROP_CASCADE"
    ):
        names = ", ".join(obj.sval for obj in node.objects)
        yield RULE.finding(
            statement,
            f"DROP SCHEMA {names} CASCADE drops every table, view and function in it, whatever they hold.",
            safer="Drop the objects one by one, so the review shows each.",
        )


RULE = Rule(
    id="dropping-schema-cascade",
    severity="error",
    title="No DROP SCHEMA ... CASCADE",
    why="CASCADE hides what is dropped: a review cannot see the tables it takes with it.",
    check=check,
    must_fire=("DROP SCHEMA reporting CASCADE;",),
    must_not=("DROP SCHEMA reporting;", "DROP TABLE settings;"),
)
