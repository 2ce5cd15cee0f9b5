"""Parse-tree helpers every rule shares, over pglast's AST."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pglast import ast, parse_sql
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream
from pglast.visitors import Visitor

from migration_safety.model import Facts

__all__ = ["AlterTableType", "ConstrType", "ObjectType", "Script", "Statement", "parse_script"]

# Functions whose value changes per row: as a column default they force a table rewrite.
VOLATILE_DEFAULTS = {
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
}
INTEGER_TYPES = {"int2", "int4", "smallint", "integer", "int", "serial", "serial4", "smallserial", "serial2"}
SERIAL_TYPES = {"serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"}


@dataclass
class Statement:
    index: int
    node: ast.Node
    sql: str


@dataclass
class Script:
    statements: list[Statement]
    facts: Facts = field(default_factory=Facts)

    def before(self, index: int) -> list[Statement]:
        return self.statements[:index]

    def lock_timeout_set_before(self, index: int) -> bool:
        if self.facts.runner_sets_lock_timeout:
            return True
        return any(setting_name(s.node) == "lock_timeout" for s in self.before(index))

    def in_explicit_transaction(self, index: int) -> bool:
        """A BEGIN before this statement with no COMMIT/ROLLBACK between."""
        open_ = False
        for s in self.before(index):
            if isinstance(s.node, ast.TransactionStmt):
                kind = s.node.kind.name
                if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                    open_ = True
                elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
                    open_ = False
        return open_

    def created_here(self, table: str | None, index: int) -> bool:
        """The table is created earlier in this script: it is empty and nobody uses it yet."""
        return any(
            isinstance(s.node, ast.CreateStmt) and relation_name(s.node.relation) == table for s in self.before(index)
        )

    def existing(self, table: str | None, index: int) -> bool:
        """The table exists before the script runs (per the facts, or assumed when unknown)."""
        if self.created_here(table, index):
            return False
        return True

    def is_big(self, table: str | None, *, rows: int = 10_000) -> bool:
        facts = self.facts.table(table)
        return facts is not None and (facts.rows or 0) >= rows


def parse_script(sql: str, facts: Facts | None = None) -> Script:
    """Split and parse the script with PostgreSQL's parser; each statement keeps its own text."""
    statements = []
    for i, raw in enumerate(parse_sql(sql)):
        start = raw.stmt_location or 0
        length = raw.stmt_len or (len(sql.encode()) - start)
        text = sql.encode()[start : start + length].decode().strip()
        statements.append(Statement(index=i, node=raw.stmt, sql=text))
    return Script(statements=statements, facts=facts or Facts())


def relation_name(rangevar: ast.RangeVar | None) -> str | None:
    if rangevar is None:
        return None
    name = rangevar.relname.lower() if rangevar.relname else None
    return f"{rangevar.schemaname.lower()}.{name}" if rangevar.schemaname else name


def bare(name: str | None) -> str:
    return (name or "").rsplit(".", 1)[-1]


def setting_name(node: ast.Node) -> str | None:
    return node.name.lower() if isinstance(node, ast.VariableSetStmt) and node.name else None


def alter_commands(node: ast.Node) -> Iterator[ast.AlterTableCmd]:
    if isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
        yield from node.cmds or ()


def type_name(type_node: ast.TypeName | None) -> str:
    """`pg_catalog.int4` -> "int4", `varchar` -> "varchar"."""
    if type_node is None or not type_node.names:
        return ""
    return type_node.names[-1].sval.lower()


def type_modifiers(type_node: ast.TypeName | None) -> list[int]:
    mods = []
    for mod in (type_node.typmods or ()) if type_node is not None else ():
        value = getattr(getattr(mod, "val", None), "ival", None)
        if value is not None:
            mods.append(value)
    return mods


def constraints_of(column: ast.ColumnDef) -> list[ast.Constraint]:
    return list(column.constraints or ())


def has_constraint(column: ast.ColumnDef, contype: ConstrType) -> bool:
    return any(c.contype == contype for c in constraints_of(column))


def default_of(column: ast.ColumnDef) -> ast.Node | None:
    for c in constraints_of(column):
        if c.contype == ConstrType.CONSTR_DEFAULT:
            return c.raw_expr
    return None


class _Calls(Visitor):
    def __init__(self):
        self.names: set[str] = set()

    def visit_FuncCall(self, ancestors, node):
        self.names.add(node.funcname[-1].sval.lower())


def function_names(node: ast.Node | None) -> set[str]:
    if node is None:
        return set()
    calls = _Calls()
    calls(node)
    return calls.names


def is_volatile(expr: ast.Node | None) -> bool:
    return bool(function_names(expr) & VOLATILE_DEFAULTS)


def added_columns(node: ast.Node) -> Iterator[tuple[ast.AlterTableCmd, ast.ColumnDef]]:
    for cmd in alter_commands(node):
        if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            yield cmd, cmd.def_


def added_constraints(node: ast.Node) -> Iterator[ast.Constraint]:
    for cmd in alter_commands(node):
        if cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            yield cmd.def_


def columns_of_create(node: ast.Node) -> Iterator[ast.ColumnDef]:
    if isinstance(node, ast.CreateStmt):
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                yield element


def all_new_columns(node: ast.Node) -> Iterator[ast.ColumnDef]:
    """Columns a CREATE TABLE declares or an ALTER TABLE adds."""
    yield from columns_of_create(node)
    for _cmd, column in added_columns(node):
        yield column


def table_of(node: ast.Node) -> str | None:
    relation = getattr(node, "relation", None)
    return relation_name(relation) if isinstance(relation, ast.RangeVar) else None


def quote(name: str) -> str:
    return name if name.isidentifier() and name == name.lower() else '"' + name.replace('"', '""') + '"'


class _ColumnRefs(Visitor):
    def __init__(self):
        self.columns: set[str] = set()
        self.tables: set[str] = set()

    def visit_ColumnRef(self, ancestors, node):
        last = node.fields[-1]
        if isinstance(last, ast.String):
            self.columns.add(last.sval.lower())

    def visit_RangeVar(self, ancestors, node):
        self.tables.add(node.relname.lower())


def _references(sql: str) -> _ColumnRefs | None:
    try:
        statements = parse_sql(sql)
    except Exception:  # noqa: BLE001 - a query the parser refuses cannot be judged either way
        return None
    refs = _ColumnRefs()
    for raw in statements:
        refs(raw.stmt)
    return refs


def reads_table(sql: str, table: str) -> bool:
    """The query names `table` (parsed, so comments and strings do not count)."""
    refs = _references(sql)
    return refs is not None and bare(table) in refs.tables


def reads_column(sql: str, table: str, column: str) -> bool:
    """The query touches `table` and names `column`."""
    refs = _references(sql)
    return refs is not None and bare(table) in refs.tables and column.lower() in refs.columns


def is_serial(column: ast.ColumnDef) -> bool:
    return type_name(column.typeName) in SERIAL_TYPES


def is_stored_generated(column: ast.ColumnDef) -> bool:
    return any(c.contype == ConstrType.CONSTR_GENERATED for c in constraints_of(column))


def is_identity(column: ast.ColumnDef) -> bool:
    return any(c.contype == ConstrType.CONSTR_IDENTITY for c in constraints_of(column))


def adds_rewriting_column(column: ast.Node | None) -> bool:
    """A new column whose values must be computed per row: the whole table is rewritten to add it."""
    if not isinstance(column, ast.ColumnDef):
        return False
    return is_volatile(default_of(column)) or is_serial(column) or is_stored_generated(column) or is_identity(column)


def sql_of(node: ast.Node, **changes) -> str:
    """The statement printed back as SQL, with some of its fields changed (e.g. concurrent=True)."""
    copy = node.__class__(**{**{k: getattr(node, k) for k in node.__slots__}, **changes})
    return RawStream()(copy) + ";"


def constraints_built_in_place(statement: Statement, script: Script, contype: ConstrType):
    """Constraints of `contype` an ALTER TABLE adds to an existing table by building their index under its lock
    (not `USING INDEX` of one built CONCURRENTLY first): (table, name, "col, col") each."""
    table = table_of(statement.node)
    if not script.existing(table, statement.index):
        return
    for constraint in added_constraints(statement.node):
        if constraint.contype == contype and not constraint.indexname:
            suffix = "pkey" if contype == ConstrType.CONSTR_PRIMARY else "key"
            yield table, constraint.conname or f"{table}_{suffix}", ", ".join(k.sval for k in constraint.keys or ())
