"""SQL for the table browser and row edits: identifiers always quoted by psycopg.sql, values always parameters.

Plain module: a table's shape in, (composed SQL, parameters) out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from psycopg import sql

from dbooster.errors import InvalidInput, NotFound

FILTER_OPS = {
    "eq": "=",
    "ne": "<>",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
}
NULL_OPS = {"is_null": "IS NULL", "not_null": "IS NOT NULL"}
ALL_OPS = (*FILTER_OPS, "contains", *NULL_OPS)


@dataclass(frozen=True)
class TableShape:
    schema: str
    name: str
    columns: list[dict]  # [{"name", "type", ...}] in table order
    primary_key: list[str] = field(default_factory=list)

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    @property
    def qualified(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    def require_columns(self, names) -> None:
        known = set(self.column_names)
        for name in names:
            if name not in known:
                raise NotFound(f"Unknown column {name!r} in table {self.schema}.{self.name}.", code="unknown_column")


def as_parameter(value):
    """A JSON value as text PostgreSQL casts to the column's type (psycopg sends str as 'unknown')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _key_condition(shape: TableShape, key: dict) -> tuple[sql.Composable, list]:
    if not shape.primary_key:
        raise InvalidInput("The table has no primary key.", code="no_primary_key")
    missing = [c for c in shape.primary_key if c not in (key or {})]
    if missing or set(key) - set(shape.primary_key):
        raise InvalidInput(
            f"key: give exactly the primary key columns ({', '.join(shape.primary_key)}).", code="invalid_key"
        )
    parts = [sql.SQL("{} = %s").format(sql.Identifier(c)) for c in shape.primary_key]
    return sql.SQL(" AND ").join(parts), [as_parameter(key[c]) for c in shape.primary_key]


def select_page(
    shape: TableShape,
    *,
    limit: int,
    sort: str | None = None,
    descending: bool = False,
    after: list | None = None,
    offset: int = 0,
    filter_column: str | None = None,
    filter_op: str | None = None,
    filter_value: str | None = None,
) -> tuple[sql.Composed, list]:
    """One page of rows: keyset on the primary key when sorted by it, else by offset. Fetch limit+1."""
    where, params = [], []
    if filter_column:
        shape.require_columns([filter_column])
        column = sql.Identifier(filter_column)
        if filter_op in NULL_OPS:
            where.append(sql.SQL("{} " + NULL_OPS[filter_op]).format(column))
        elif filter_op == "contains":
            where.append(sql.SQL("{}::text ILIKE %s").format(column))
            params.append(
                "%" + (filter_value or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
        elif filter_op in FILTER_OPS:
            where.append(sql.SQL("{} " + FILTER_OPS[filter_op] + " %s").format(column))
            params.append(filter_value)
        else:
            raise InvalidInput(f"filter_op: expected one of {', '.join(ALL_OPS)}.", code="invalid_filter")
    direction = sql.SQL("DESC" if descending else "ASC")
    keyset = sort is None or [sort] == shape.primary_key[:1] and len(shape.primary_key) == 1
    if sort is not None:
        shape.require_columns([sort])
    if keyset and shape.primary_key:
        pk = [sql.Identifier(c) for c in shape.primary_key]
        order = sql.SQL(", ").join(sql.SQL("{} {}").format(c, direction) for c in pk)
        if after:
            if len(after) != len(pk):
                raise InvalidInput("after: one value per primary key column.", code="invalid_cursor")
            comparison = "<" if descending else ">"
            where.append(
                sql.SQL("({}) " + comparison + " ({})").format(
                    sql.SQL(", ").join(pk), sql.SQL(", ").join(sql.Placeholder() * len(pk))
                )
            )
            params.extend(as_parameter(v) for v in after)
        offset = 0
    else:
        columns = [sort] if sort else []
        columns += [c for c in shape.primary_key if c not in columns] or shape.column_names[:1]
        order = sql.SQL(", ").join(sql.SQL("{} {} NULLS LAST").format(sql.Identifier(c), direction) for c in columns)
    query = sql.SQL("SELECT * FROM {} {} ORDER BY {} LIMIT {} OFFSET {}").format(
        shape.qualified,
        sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
        order,
        sql.Literal(limit + 1),
        sql.Literal(max(0, offset)),
    )
    return query, params


def insert_row(shape: TableShape, values: dict) -> tuple[sql.Composed, list]:
    if not values:
        raise InvalidInput("values: give at least one column.", code="invalid_values")
    shape.require_columns(values)
    names = list(values)
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
        shape.qualified,
        sql.SQL(", ").join(sql.Identifier(n) for n in names),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
        sql.SQL(", ").join(sql.Identifier(c) for c in shape.primary_key),
    )
    return query, [as_parameter(values[n]) for n in names]


def update_row(shape: TableShape, key: dict, values: dict) -> tuple[sql.Composed, list]:
    if not values:
        raise InvalidInput("values: give at least one column to change.", code="invalid_values")
    shape.require_columns(values)
    condition, key_params = _key_condition(shape, key)
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in values)
    query = sql.SQL("UPDATE {} SET {} WHERE {}").format(shape.qualified, assignments, condition)
    return query, [as_parameter(v) for v in values.values()] + key_params


def delete_row(shape: TableShape, key: dict) -> tuple[sql.Composed, list]:
    condition, key_params = _key_condition(shape, key)
    return sql.SQL("DELETE FROM {} WHERE {}").format(shape.qualified, condition), key_params
