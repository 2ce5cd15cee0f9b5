"""Check a statement the model wrote against the synced schema: unknown tables and columns, before it is shown.

Plain Python (no Django): `check(sql, schema)` with `schema` mapping "schema.table" to its column names.
The statement is parsed by PostgreSQL's own parser (pglast, through the SQL guard's limits). Tables are
RangeVars that are not CTE names; a qualified column (`o.status`) is looked up in the table its alias names;
an unqualified one must exist in some table of the statement or be an output alias. Anything the check cannot
resolve for sure (a subquery's alias, a function's output) is not reported: a false "unknown column" would
make the model rewrite correct SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast

from schema_metadata import sql_guard


@dataclass
class SqlCheck:
    kind: str  # sql_guard's statement kind: select, insert, ..., utility
    tables: list[str] = field(default_factory=list)  # qualified names the statement uses, as found
    problems: list[str] = field(default_factory=list)

    @property
    def read_only(self) -> bool:
        return self.kind == "select"


def _walk(node):
    """Every pglast node under `node` (itself included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Node):
            yield current
            for name in current.__slots__:
                stack.append(getattr(current, name, None))
        elif isinstance(current, list | tuple):
            stack.extend(current)


def _resolve(name: str, schema_name: str | None, schema: dict[str, set[str]]) -> str | None:
    if schema_name:
        qualified = f"{schema_name}.{name}"
        return qualified if qualified in schema else None
    for candidate in (f"public.{name}", *sorted(q for q in schema if q.split(".", 1)[1] == name)):
        if candidate in schema:
            return candidate
    return None


def check(sql: str, schema: dict[str, set[str]]) -> SqlCheck:
    """Parse `sql` (InvalidInput when it does not) and list what it names that the schema does not have."""
    stmt, kind = sql_guard.parse_single_statement(sql)
    result = SqlCheck(kind=kind)
    nodes = list(_walk(stmt))
    ctes = {n.ctename for n in nodes if isinstance(n, ast.CommonTableExpr)}
    sub_aliases = {
        n.alias.aliasname for n in nodes if isinstance(n, ast.RangeSubselect | ast.RangeFunction) and n.alias
    }
    aliases: dict[str, str] = {}
    for node in nodes:
        if not isinstance(node, ast.RangeVar) or (node.schemaname is None and node.relname in ctes):
            continue
        qualified = _resolve(node.relname, node.schemaname, schema)
        shown = f"{node.schemaname}.{node.relname}" if node.schemaname else node.relname
        if qualified is None:
            result.problems.append(f'table "{shown}" does not exist')
            continue
        if qualified not in result.tables:
            result.tables.append(qualified)
        aliases[node.alias.aliasname if node.alias else node.relname] = qualified
        aliases.setdefault(qualified, qualified)
    if result.problems or ctes or sub_aliases:
        return result  # columns of CTEs and subqueries are not in the schema: only tables are checked then
    outputs = {n.name for n in nodes if isinstance(n, ast.ResTarget) and n.name}
    known = set().union(*(schema[t] for t in result.tables)) if result.tables else set()
    for node in nodes:
        if not isinstance(node, ast.ColumnRef):
            continue
        names = [f.sval for f in node.fields if isinstance(f, ast.String)]
        if not names or isinstance(node.fields[-1], ast.A_Star):
            continue
        column = names[-1]
        if len(names) >= 2:
            owner = ".".join(names[:-1])
            table = aliases.get(owner)
            if table is not None and column not in schema[table]:
                result.problems.append(f'column "{column}" does not exist in table {table} (as "{owner}")')
        elif result.tables and column not in known and column not in outputs:
            tables = ", ".join(result.tables)
            result.problems.append(f'column "{column}" does not exist in any of the tables used ({tables})')
    return result
