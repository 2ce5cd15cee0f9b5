"""The DDL builder: a structured schema change (JSON) in, the DDL text out, checked against the catalog.

Plain module. Identifiers are always quoted by psycopg.sql; types and expressions (defaults, CHECK, an
index's WHERE, a type change's USING) are parsed by pglast and written back from the parse tree, so
nothing the user types reaches the SQL except through a node PostgreSQL's own parser produced.

A change is one of these actions (fields in brackets are optional):

- create_table: table, [schema], columns [{name, type, [nullable=true], [default], [primary_key]}],
  [primary_key [names]]
- alter_table: table, [schema], operations [...], each one of
  add_column {column: {name, type, [nullable], [default]}}, drop_column {column, [cascade]},
  rename_column {column, new_name}, alter_column_type {column, type, [using]},
  set_not_null / drop_not_null {column}, set_default {column, default}, drop_default {column},
  add_constraint {constraint: {type: unique|check|foreign_key|primary_key, [name], [columns],
  [expression], [references {table, [schema], [columns]}], [on_delete], [on_update], [not_valid]}},
  drop_constraint {name}
- drop_table: table, [schema], [cascade]; rename_table: table, [schema], new_name
- create_index: table, [schema], columns, [name], [unique], [method=btree], [where]
  (always CONCURRENTLY: an index proposal is built concurrently)
- drop_index: name, [schema]; rename_index: name, [schema], new_name

Each action gives one statement or more; `build` returns the proposal kind ("ddl" or "index") and the text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream
from psycopg import sql

from dbooster.errors import Conflict, InvalidInput, NotFound
from workbench.tables import TableShape

ACTIONS = (
    "create_table", "alter_table", "drop_table", "rename_table", "create_index", "drop_index", "rename_index",
)  # fmt: skip
OPERATIONS = (
    "add_column", "drop_column", "rename_column", "alter_column_type", "set_not_null", "drop_not_null",
    "set_default", "drop_default", "add_constraint", "drop_constraint",
)  # fmt: skip
CONSTRAINT_TYPES = ("unique", "check", "foreign_key", "primary_key")
REFERENTIAL_ACTIONS = {
    "no_action": "NO ACTION",
    "restrict": "RESTRICT",
    "cascade": "CASCADE",
    "set_null": "SET NULL",
    "set_default": "SET DEFAULT",
}
INDEX_METHODS = ("btree", "hash", "gist", "gin", "brin", "spgist")
MAX_NAME_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL would cut a longer name silently
MAX_TEXT = 2000


class Catalog(Protocol):
    """What the builder checks names against (the connection's synced schema, live constraints)."""

    def table(self, name: str, schema: str | None) -> TableShape: ...  # NotFound naming it

    def has_table(self, name: str, schema: str) -> bool: ...

    def index_table(self, name: str, schema: str | None) -> tuple[str, str]: ...  # (schema, table); NotFound

    def has_index(self, name: str, schema: str) -> bool: ...

    def constraint_names(self, shape: TableShape) -> set[str]: ...  # the builder adds and discards in it


@dataclass(frozen=True)
class Built:
    kind: str  # the approvals proposal kind: "ddl" or "index"
    statements: tuple[str, ...]

    @property
    def sql(self) -> str:
        return "\n".join(f"{s};" for s in self.statements)


def _bad(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"{path}: {message}", code="invalid_change")


def _field(spec: dict, key: str, path: str, *, kind=str, required=True, default=None):
    value = spec.get(key, default)
    if value is None:
        if required:
            raise _bad(f"{path}.{key}", "required.")
        return default
    if kind is str and not isinstance(value, str):
        raise _bad(f"{path}.{key}", "expected text.")
    if kind is bool and not isinstance(value, bool):
        raise _bad(f"{path}.{key}", "expected true or false.")
    if kind is list and not isinstance(value, list):
        raise _bad(f"{path}.{key}", "expected a list.")
    if kind is dict and not isinstance(value, dict):
        raise _bad(f"{path}.{key}", "expected an object.")
    return value


def _name(spec: dict, key: str, path: str, *, required=True) -> str | None:
    value = _field(spec, key, path, required=required)
    if value is None:
        return None
    if not value.strip() or value != value.strip():
        raise _bad(f"{path}.{key}", "a name cannot be blank or start or end with spaces.")
    if len(value.encode()) > MAX_NAME_BYTES:
        raise _bad(f"{path}.{key}", f"{value!r} is longer than PostgreSQL's {MAX_NAME_BYTES} bytes.")
    if "\x00" in value:
        raise _bad(f"{path}.{key}", "a name cannot hold a NUL character.")
    return value


def _names(spec: dict, key: str, path: str, *, required=True) -> list[str]:
    values = _field(spec, key, path, kind=list, required=required, default=[])
    if required and not values:
        raise _bad(f"{path}.{key}", "give at least one column.")
    names = [_name({"name": v}, "name", f"{path}.{key}[{i}]") for i, v in enumerate(values)]
    if len(set(names)) != len(names):
        raise _bad(f"{path}.{key}", "a column is named twice.")
    return names


def _only_target(wrapped: str, text: str, path: str, what: str):
    """The single expression of `SELECT <wrapped>`: anything else (a FROM, a second statement) is refused."""
    if len(text) > MAX_TEXT:
        raise _bad(path, f"longer than {MAX_TEXT} characters.")
    try:
        statements = parse_sql(f"SELECT {wrapped}")
    except ParseError as exc:
        raise _bad(path, f"{text!r} is not {what} PostgreSQL parses ({exc}).") from None
    stmt = statements[0].stmt if len(statements) == 1 else None
    extra = ("fromClause", "whereClause", "groupClause", "havingClause", "sortClause", "limitCount", "withClause")
    if (
        not isinstance(stmt, ast.SelectStmt)
        or stmt.targetList is None
        or len(stmt.targetList) != 1
        or any(getattr(stmt, f) for f in extra)
        or stmt.targetList[0].name
    ):
        raise _bad(path, f"{text!r} must be {what} alone, nothing after it.")
    return stmt.targetList[0].val


def expression(text, path: str) -> sql.Composable:
    """A default, CHECK or WHERE expression, as pglast writes it back."""
    if not isinstance(text, str) or not text.strip():
        raise _bad(path, "expected an SQL expression, e.g. 0, now() or 'pending'.")
    return sql.SQL(RawStream()(_only_target(f"({text})", text, path, "an expression")))


def type_name(text, path: str) -> sql.Composable:
    """A column type (numeric(10,2), text[], timestamptz...), as pglast writes it back."""
    if not isinstance(text, str) or not text.strip():
        raise _bad(path, "expected a type, e.g. text, bigint or numeric(10,2).")
    node = _only_target(f"NULL::{text}", text, path, "a type name")
    if not isinstance(node, ast.TypeCast) or not isinstance(node.arg, ast.A_Const):
        raise _bad(path, f"{text!r} must be a type name alone, nothing after it.")
    return sql.SQL(RawStream()(node.typeName))


def _ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)


def _columns(names: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(_ident(n) for n in names)


def _render(statement: sql.Composable) -> str:
    return statement.as_string(None)


def _generated_name(table: str, columns: list[str], suffix: str) -> str:
    """PostgreSQL's own naming (orders_customer_id_fkey), cut to fit 63 bytes."""
    base = "_".join([table, *columns])
    room = MAX_NAME_BYTES - len(suffix) - 1
    while len(base.encode()) > room:
        base = base[:-1]
    return f"{base}_{suffix}"


def _require_columns(shape: TableShape, names: list[str]) -> None:
    shape.require_columns(names)  # NotFound naming the column and the table


def _refuse_existing_column(shape: TableShape, name: str) -> None:
    if name in shape.column_names:
        raise Conflict(f"The table {shape.schema}.{shape.name} already has a column {name!r}.", code="already_exists")


# --- columns ------------------------------------------------------------------------------------


def _column_definition(spec, path: str, *, in_create: bool) -> sql.Composable:
    if not isinstance(spec, dict):
        raise _bad(path, "expected an object {name, type, nullable, default}.")
    parts = [_ident(_name(spec, "name", path)), type_name(spec.get("type"), f"{path}.type")]
    if spec.get("default") not in (None, ""):
        parts += [sql.SQL("DEFAULT"), expression(spec["default"], f"{path}.default")]
    if not _field(spec, "nullable", path, kind=bool, required=False, default=True):
        parts.append(sql.SQL("NOT NULL"))
    if _field(spec, "primary_key", path, kind=bool, required=False, default=False) and not in_create:
        raise _bad(f"{path}.primary_key", "add a primary key with add_constraint.")
    return sql.SQL(" ").join(parts)


# --- actions -------------------------------------------------------------------------------------


def _schema_of(spec: dict, path: str) -> str | None:
    return _name(spec, "schema", path, required=False)


def _create_table(spec: dict, catalog: Catalog) -> Built:
    schema = _schema_of(spec, "change") or "public"
    table = _name(spec, "table", "change")
    if catalog.has_table(table, schema):
        raise Conflict(f"A table {schema}.{table} already exists.", code="already_exists")
    columns = _field(spec, "columns", "change", kind=list)
    if not columns:
        raise _bad("change.columns", "give at least one column.")
    definitions = [_column_definition(c, f"change.columns[{i}]", in_create=True) for i, c in enumerate(columns)]
    names = [c["name"] for c in columns]
    if len(set(names)) != len(names):
        raise _bad("change.columns", "a column is named twice.")
    key = _names(spec, "primary_key", "change", required=False) or [c["name"] for c in columns if c.get("primary_key")]
    unknown = [k for k in key if k not in names]
    if unknown:
        raise _bad("change.primary_key", f"{unknown[0]!r} is not one of the new table's columns.")
    if key:
        definitions.append(sql.SQL("PRIMARY KEY ({})").format(_columns(key)))
    statement = sql.SQL("CREATE TABLE {} ({})").format(_ident(schema, table), sql.SQL(", ").join(definitions))
    return Built("ddl", (_render(statement),))


def _constraint(shape: TableShape, spec, path: str, catalog: Catalog) -> tuple[sql.Composable, str, bool]:
    """ADD CONSTRAINT ... text, the constraint's name and whether it is added NOT VALID."""
    if not isinstance(spec, dict):
        raise _bad(path, "expected an object {type, columns, ...}.")
    kind = _field(spec, "type", path)
    if kind not in CONSTRAINT_TYPES:
        raise _bad(f"{path}.type", f"expected one of {', '.join(CONSTRAINT_TYPES)}.")
    columns = _names(spec, "columns", path, required=kind != "check")
    _require_columns(shape, columns)
    suffix = {"unique": "key", "primary_key": "pkey", "check": "check", "foreign_key": "fkey"}[kind]
    name = _name(spec, "name", path, required=False) or _generated_name(shape.name, columns, suffix)
    not_valid = _field(spec, "not_valid", path, kind=bool, required=False, default=False)
    if not_valid and kind not in ("check", "foreign_key"):
        raise _bad(f"{path}.not_valid", "only CHECK and FOREIGN KEY constraints can be added NOT VALID.")
    if kind == "unique":
        body = sql.SQL("UNIQUE ({})").format(_columns(columns))
    elif kind == "primary_key":
        body = sql.SQL("PRIMARY KEY ({})").format(_columns(columns))
    elif kind == "check":
        body = sql.SQL("CHECK ({})").format(expression(spec.get("expression"), f"{path}.expression"))
    else:
        body = _foreign_key(columns, spec, path, catalog)
    existing = catalog.constraint_names(shape)
    if name in existing:
        raise Conflict(
            f"The table {shape.schema}.{shape.name} already has a constraint {name!r}.", code="already_exists"
        )
    existing.add(name)  # a later operation of the same change sees it
    text = sql.SQL("ADD CONSTRAINT {} {}{}").format(_ident(name), body, sql.SQL(" NOT VALID" if not_valid else ""))
    return text, name, not_valid


def _foreign_key(columns: list[str], spec: dict, path: str, catalog: Catalog) -> sql.Composable:
    references = _field(spec, "references", path, kind=dict)
    referred = catalog.table(_name(references, "table", f"{path}.references"), _schema_of(references, path))
    referred_columns = _names(references, "columns", f"{path}.references", required=False) or referred.primary_key
    if not referred_columns:
        raise _bad(f"{path}.references.columns", f"{referred.schema}.{referred.name} has no primary key: name them.")
    _require_columns(referred, referred_columns)
    if len(referred_columns) != len(columns):
        raise _bad(f"{path}.references.columns", "as many referred columns as columns.")
    body = sql.SQL("FOREIGN KEY ({}) REFERENCES {} ({})").format(
        _columns(columns), referred.qualified, _columns(referred_columns)
    )
    for key, clause in (("on_delete", " ON DELETE "), ("on_update", " ON UPDATE ")):
        action = _field(spec, key, path, required=False)
        if action is None:
            continue
        if action not in REFERENTIAL_ACTIONS:
            raise _bad(f"{path}.{key}", f"expected one of {', '.join(REFERENTIAL_ACTIONS)}.")
        body = body + sql.SQL(clause + REFERENTIAL_ACTIONS[action])
    return body


def _operation(shape: TableShape, spec, path: str, catalog: Catalog) -> list[sql.Composable]:
    """The statements of one alter_table operation (a constraint added NOT VALID is validated after)."""
    if not isinstance(spec, dict):
        raise _bad(path, "expected an object with an op.")
    op = spec.get("op")
    if op not in OPERATIONS:
        raise _bad(f"{path}.op", f"expected one of {', '.join(OPERATIONS)}.")
    alter = sql.SQL("ALTER TABLE {} ").format(shape.qualified)
    if op == "add_column":
        column = _field(spec, "column", path, kind=dict)
        _refuse_existing_column(shape, _name(column, "name", f"{path}.column"))
        return [alter + sql.SQL("ADD COLUMN ") + _column_definition(column, f"{path}.column", in_create=False)]
    if op == "add_constraint":
        text, name, not_valid = _constraint(shape, spec.get("constraint"), f"{path}.constraint", catalog)
        validate = sql.SQL("VALIDATE CONSTRAINT {}").format(_ident(name))
        return [alter + text] + ([alter + validate] if not_valid else [])
    if op == "drop_constraint":
        name = _name(spec, "name", path)
        existing = catalog.constraint_names(shape)
        if name not in existing:
            raise NotFound(
                f"Unknown constraint {name!r} on table {shape.schema}.{shape.name}.", code="unknown_constraint"
            )
        existing.discard(name)
        return [alter + sql.SQL("DROP CONSTRAINT {}").format(_ident(name))]
    column = _name(spec, "column", path)
    _require_columns(shape, [column])
    target = _ident(column)
    if op == "drop_column":
        cascade = _field(spec, "cascade", path, kind=bool, required=False, default=False)
        return [alter + sql.SQL("DROP COLUMN {}{}").format(target, sql.SQL(" CASCADE" if cascade else ""))]
    if op == "rename_column":
        new_name = _name(spec, "new_name", path)
        _refuse_existing_column(shape, new_name)
        return [alter + sql.SQL("RENAME COLUMN {} TO {}").format(target, _ident(new_name))]
    if op == "alter_column_type":
        text = sql.SQL("ALTER COLUMN {} TYPE {}").format(target, type_name(spec.get("type"), f"{path}.type"))
        if spec.get("using") not in (None, ""):
            text = text + sql.SQL(" USING ") + expression(spec["using"], f"{path}.using")
        return [alter + text]
    if op == "set_default":
        default = expression(spec.get("default"), f"{path}.default")
        return [alter + sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(target, default)]
    clause = {"set_not_null": "SET NOT NULL", "drop_not_null": "DROP NOT NULL", "drop_default": "DROP DEFAULT"}[op]
    return [alter + sql.SQL("ALTER COLUMN {} " + clause).format(target)]


def _alter_table(spec: dict, catalog: Catalog) -> Built:
    shape = catalog.table(_name(spec, "table", "change"), _schema_of(spec, "change"))
    operations = _field(spec, "operations", "change", kind=list)
    if not operations:
        raise _bad("change.operations", "give at least one operation.")
    statements = []
    for i, operation in enumerate(operations):
        statements += [_render(s) for s in _operation(shape, operation, f"change.operations[{i}]", catalog)]
        shape = _after(shape, operation)
    return Built("ddl", tuple(statements))


def _after(shape: TableShape, operation: dict) -> TableShape:
    """The table's columns after an operation, so later operations of the same change can name them."""
    op = operation["op"]
    if op == "add_column":
        return replace(shape, columns=[*shape.columns, {"name": operation["column"]["name"]}])
    if op == "drop_column":
        return replace(shape, columns=[c for c in shape.columns if c["name"] != operation["column"]])
    if op == "rename_column":
        renamed = [
            {**c, "name": operation["new_name"]} if c["name"] == operation["column"] else c for c in shape.columns
        ]
        return replace(shape, columns=renamed)
    return shape


def _drop_table(spec: dict, catalog: Catalog) -> Built:
    shape = catalog.table(_name(spec, "table", "change"), _schema_of(spec, "change"))
    cascade = _field(spec, "cascade", "change", kind=bool, required=False, default=False)
    statement = sql.SQL("DROP TABLE {}{}").format(shape.qualified, sql.SQL(" CASCADE" if cascade else ""))
    return Built("ddl", (_render(statement),))


def _rename_table(spec: dict, catalog: Catalog) -> Built:
    shape = catalog.table(_name(spec, "table", "change"), _schema_of(spec, "change"))
    new_name = _name(spec, "new_name", "change")
    if catalog.has_table(new_name, shape.schema):
        raise Conflict(f"A table {shape.schema}.{new_name} already exists.", code="already_exists")
    statement = sql.SQL("ALTER TABLE {} RENAME TO {}").format(shape.qualified, _ident(new_name))
    return Built("ddl", (_render(statement),))


def _create_index(spec: dict, catalog: Catalog) -> Built:
    shape = catalog.table(_name(spec, "table", "change"), _schema_of(spec, "change"))
    columns = _names(spec, "columns", "change")
    _require_columns(shape, columns)
    unique = _field(spec, "unique", "change", kind=bool, required=False, default=False)
    name = _name(spec, "name", "change", required=False) or _generated_name(shape.name, columns, "idx")
    if catalog.has_index(name, shape.schema):
        raise Conflict(f"An index {shape.schema}.{name} already exists.", code="already_exists")
    method = _field(spec, "method", "change", required=False, default="btree")
    if method not in INDEX_METHODS:
        raise _bad("change.method", f"expected one of {', '.join(INDEX_METHODS)}.")
    statement = sql.SQL("CREATE {}INDEX CONCURRENTLY {} ON {} USING {} ({})").format(
        sql.SQL("UNIQUE " if unique else ""), _ident(name), shape.qualified, sql.SQL(method), _columns(columns)
    )
    if spec.get("where") not in (None, ""):
        statement = statement + sql.SQL(" WHERE ") + expression(spec["where"], "change.where")
    return Built("index", (_render(statement),))


def _existing_index(spec: dict, catalog: Catalog) -> tuple[str, str]:
    name = _name(spec, "name", "change")
    schema, _table = catalog.index_table(name, _schema_of(spec, "change"))
    return schema, name


def _drop_index(spec: dict, catalog: Catalog) -> Built:
    schema, name = _existing_index(spec, catalog)
    # Not CONCURRENTLY: a schema-change proposal is applied in one transaction, which CONCURRENTLY refuses.
    return Built("ddl", (_render(sql.SQL("DROP INDEX {}").format(_ident(schema, name))),))


def _rename_index(spec: dict, catalog: Catalog) -> Built:
    schema, name = _existing_index(spec, catalog)
    new_name = _name(spec, "new_name", "change")
    if catalog.has_index(new_name, schema):
        raise Conflict(f"An index {schema}.{new_name} already exists.", code="already_exists")
    statement = sql.SQL("ALTER INDEX {} RENAME TO {}").format(_ident(schema, name), _ident(new_name))
    return Built("ddl", (_render(statement),))


_BUILDERS = {
    "create_table": _create_table,
    "alter_table": _alter_table,
    "drop_table": _drop_table,
    "rename_table": _rename_table,
    "create_index": _create_index,
    "drop_index": _drop_index,
    "rename_index": _rename_index,
}


def build(change, catalog: Catalog) -> Built:
    """The DDL of a structured change: InvalidInput (400) for a bad spec, NotFound (404) naming an unknown
    table, column, index or constraint, Conflict (409) for a name already taken."""
    if not isinstance(change, dict):
        raise _bad("change", "expected an object with an action.")
    action = change.get("action")
    if action not in _BUILDERS:
        raise _bad("change.action", f"expected one of {', '.join(ACTIONS)}.")
    return _BUILDERS[action](change, catalog)
