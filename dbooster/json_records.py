"""Unsaved model instances written as JSON records, so that rows of several tables go in one statement.

A service that stores a row and the rows that point to it (a run, its suggestions, its audit line) would pay the
ORM a transaction and an INSERT each: four or five round trips, and the ORM composing every INSERT again. Written
as one statement with data-modifying CTEs, each table's rows are one JSON parameter that PostgreSQL turns into
rows of the table's own type (`jsonb_populate_record`), so the statement's text does not depend on the values or
on how many rows there are, and PostgreSQL keeps it prepared. A single statement is atomic: all of it is stored,
or nothing is.

    run = Run(...)
    sql = f"WITH run AS ({insert_from_json(Run, '%(run)s', returning='id')}) SELECT id FROM run"
    cursor.execute(sql, {"run": json_param(record_values(run))})
    saved(run, pk=cursor.fetchone()[0])

The values are the ORM's own: each field's `pre_save` (an `auto_now_add` time, set on the instance as `save()`
sets it) and `get_prep_value` (an encrypted field's ciphertext), then put in JSON in a form PostgreSQL reads back
as the column's type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import math
import uuid

from django.db import models
from django.db.models.fields import AutoFieldMixin
from psycopg.types.json import Jsonb

# float8 reads these spellings; JSON has no number for them.
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


@functools.cache
def written_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The columns an INSERT of a new instance writes, as `Model.save()` writes them: all but a generated key."""
    return tuple(
        f
        for f in model._meta.local_concrete_fields
        if not getattr(f, "generated", False) and not (f.primary_key and isinstance(f, AutoFieldMixin))
    )


def _json_value(field: models.Field, value):
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else _NON_FINITE.get(value, value)
    if isinstance(field, models.JSONField):
        # Whatever the field's encoder makes of it, as JSON the column stores.
        return json.loads(json.dumps(value, cls=field.encoder)) if field.encoder else value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"{field.model.__name__}.{field.name}: {type(value).__name__} has no JSON form here")


def json_param(records: dict | list) -> Jsonb:
    """`record_values` (one, or a list) as a statement's jsonb parameter."""
    return Jsonb(records)


def record_values(instance: models.Model) -> dict:
    """The instance's columns as one JSON object ({column: value}), for `jsonb_populate_record`."""
    values = {}
    for field in written_fields(type(instance)):
        value = field.get_prep_value(field.pre_save(instance, True))
        values[field.column] = _json_value(field, value)
    return values


def insert_from_json(
    model: type[models.Model],
    source: str,
    *,
    given: dict[str, str] | None = None,
    joined: str = "",
    returning: str = "",
) -> str:
    """`INSERT INTO <table> (<columns>) SELECT ... FROM jsonb_populate_record(NULL::<table>, <source>) AS r`.

    `source`: the SQL of the JSON object (a parameter placeholder, or a column of an earlier CTE).
    `given`: {column: SQL expression} for columns the statement supplies (a key just generated, a parent's id).
    `joined`: FROM items before the record, which `given` and `source` may name (`run, numbered AS n`).
    """
    given = dict(given or {})
    table = model._meta.db_table
    columns = [f.column for f in written_fields(model) if f.column not in given]
    names = [*given, *columns]
    values = [*given.values(), *(f"r.{_quote(c)}" for c in columns)]
    sql = (
        f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, names))}) "
        f"SELECT {', '.join(values)} FROM {joined + ', ' if joined else ''}"
        f"jsonb_populate_record(NULL::{_quote(table)}, {source}) AS r"
    )
    return f"{sql} RETURNING {returning}" if returning else sql


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def saved(instance: models.Model, *, pk, using: str = "default") -> models.Model:
    """The instance as `save()` leaves it once its row is stored with key `pk`."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = using
    return instance
