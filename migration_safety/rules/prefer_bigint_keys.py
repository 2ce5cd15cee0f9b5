from pglast import ast

from migration_safety.model import Rule
from migration_safety.tree import INTEGER_TYPES, ConstrType, has_constraint, table_of, type_name


def _primary_key_columns(node: ast.CreateStmt) -> set[str]:
    keys = set()
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_PRIMARY:
            keys.update(k.sval for k in element.keys or ())
        if isinstance(element, ast.ColumnDef) and has_constraint(element, ConstrType.CONSTR_PRIMARY):
            keys.add(element.colname)
    return keys


def check(statement, script):
    node = statement.node
    if not isinstance(node, ast.CreateStmt):
        return
    keys = _primary_key_columns(node)
    for element in node.tableElts or ():
        if (
            isinstance(element, ast.ColumnDef)
            and element.colname in keys
            and type_name(element.typeName) in INTEGER_TYPES
        ):
            yield RULE.finding(
                statement,
                f"{table_of(node)}.{element.colname} is a {type_name(element.typeName)} key: it runs out at "
                "2,147,483,647 and widening it later rewrites the table and every table that refers to it.",
                safer=f"{element.colname} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            )


RULE = Rule(
    id="prefer-bigint-keys",
    severity="warning",
    title="Primary keys should be bigint",
    why="Integer keys run out on busy tables, and changing a key's type later is one of the most expensive "
    "migrations there is.",
    check=check,
    must_fire=(
        "CREATE TABLE events (id serial PRIMARY KEY, name text);",
        "CREATE TABLE e (id integer, PRIMARY KEY (id));",
    ),
    must_not=(
        "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "CREATE TABLE e (id uuid PRIMARY KEY, n int);",
    ),
)
