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
    """One page of rows, fetching limit+1. With a primary key: keyset on (sort column, primary key), resumed
    `after` the last row's cursor_columns values. Without one: by offset."""
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
    if sort is not None:
        shape.require_columns([sort])
    columns = cursor_columns(shape, sort)
    if shape.primary_key:
        order, condition, cursor_params = _keyset(
            columns, descending=descending, after=after, on_key=columns == shape.primary_key
        )
        if condition is not None:
            where.append(condition)
            params.extend(cursor_params)
        offset = 0
    else:
        # No primary key, no unique order to resume from: pages by offset.
        columns = [sort] if sort else shape.column_names[:1]
        direction = "DESC NULLS FIRST" if descending else "ASC NULLS LAST"
        order = sql.SQL(", ").join(sql.SQL("{} " + direction).format(sql.Identifier(c)) for c in columns)
    query = sql.SQL("SELECT * FROM {} {} ORDER BY {} LIMIT {} OFFSET {}").format(
        shape.qualified,
        sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
        order,
        sql.Literal(limit + 1),
        sql.Literal(max(0, offset)),
    )
    return query, params


def cursor_columns(shape: TableShape, sort: str | None) -> list[str]:
    """The columns a page is ordered by and resumed from: the primary key, led by the sort column if another."""
    if sort is None or shape.primary_key[:1] == [sort]:
        return list(shape.primary_key)
    return [sort, *[c for c in shape.primary_key if c != sort]]


def _keyset(columns: list[str], *, descending: bool, after: list | None, on_key: bool):
    """ORDER BY and the WHERE that resumes after `after`.

    Ascending puts NULLs of the sort column last and descending puts them first, so one order is the exact
    reverse of the other. The primary key columns are never NULL, so on the key alone a row comparison does.
    """
    direction = "DESC" if descending else "ASC"
    nulls = " NULLS FIRST" if descending else " NULLS LAST"
    idents = [sql.Identifier(c) for c in columns]
    order = sql.SQL(", ").join(
        sql.SQL("{} " + direction + (nulls if i == 0 and not on_key else "")).format(c) for i, c in enumerate(idents)
    )
    if not after:
        return order, None, []
    if len(after) != len(columns):
        raise InvalidInput(f"after: one value per column of ({', '.join(columns)}).", code="invalid_cursor")
    beyond = "<" if descending else ">"

    def rows_after(names, values):
        placeholders = sql.SQL(", ").join(sql.Placeholder() * len(names))
        return sql.SQL("(({}) " + beyond + " ({}))").format(sql.SQL(", ").join(names), placeholders), [
            as_parameter(v) for v in values
        ]

    if on_key:
        condition, params = rows_after(idents, after)
        return order, condition, params
    lead, rest, value = idents[0], idents[1:], after[0]
    key_after, key_params = rows_after(rest, after[1:])
    if value is None:
        # Among the NULLs: the rest of them by key; descending, every non-NULL value comes after them too.
        condition = sql.SQL("({} IS NULL AND {})").format(lead, key_after)
        if descending:
            condition = sql.SQL("({} OR {} IS NOT NULL)").format(condition, lead)
        return order, condition, key_params
    tie = sql.SQL("({lead} " + beyond + " %s OR ({lead} = %s AND {key}))").format(lead=lead, key=key_after)
    params = [as_parameter(value), as_parameter(value), *key_params]
    if not descending:
        tie = sql.SQL("({} OR {} IS NULL)").format(tie, lead)  # ascending: the NULLs come last
    return order, tie, params


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
