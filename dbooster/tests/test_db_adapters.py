"""timestamptz values read from DBooster's own database are exactly what Django's own loader gives."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

from dbooster.db_adapters import TimestamptzLoader

pytestmark = pytest.mark.django_db

VALUES = [
    "2026-12-02 07:33:59.123456+00",
    "2026-12-02 07:33:59+00",
    "2026-12-02 07:33:59.1+05:30",
    "1901-12-13 20:45:52-08",
    "1850-06-01 12:00:00+00:19:32",  # a local mean time offset, with seconds
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "0044-03-15 12:00:00+00 BC",
    "infinity",
    "-infinity",
    "not a timestamp",
]


def loaded(loader_class, text: str):
    oid = connection.connection.adapters.types["timestamptz"].oid
    loader = loader_class(oid, connection.connection)
    try:
        value = loader.load(text.encode())
    except Exception as exc:  # the same error as Django's, for what neither can read
        return type(exc)
    return value, value.utcoffset(), value.tzinfo


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("text", VALUES)
def test_the_same_value_as_djangos_loader(text, session_zone):
    connection.ensure_connection()
    djangos = type("DjangoTzLoader", (BaseTzLoader,), {"timezone": connection.timezone})
    ours = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, Format.TEXT
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [session_zone])
    assert loaded(ours, text) == loaded(djangos, text)


def test_model_reads_go_through_it(admin_user):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, Format.TEXT
    )
    assert issubclass(loader, TimestamptzLoader)
    assert loader.timezone == connection.timezone  # or Django would register its own on every cursor
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at, created_at::text FROM users WHERE id = %s", [admin_user.pk])
        value, text = cursor.fetchone()
    assert value == admin_user.created_at and value.tzinfo is connection.timezone
    assert loaded(loader, text)[0] == value
