"""How DBooster's own database connections read `timestamptz` values: Django's answer, parsed in C.

Django reads every `timestamptz` column through its own loader, a Python subclass of psycopg's, which parses the
text with a regular expression and builds the datetime in Python: about as much CPU per value as the rest of a
list row's reading. `TimestamptzLoader` gives the same value (the same instant, in the connection's time zone,
then carrying Django's tzinfo) from `datetime.fromisoformat`, which is C; whatever that cannot read (BC dates,
infinity, years past 9999) goes to Django's loader, errors included.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.db.backends.postgresql.psycopg_any import BaseTzLoader


class TimestamptzLoader(BaseTzLoader):
    """Django's `BaseTzLoader`, reading the common ISO text with `datetime.fromisoformat`."""

    def load(self, data):
        try:
            parsed = datetime.fromisoformat(bytes(data).decode())
            # As psycopg and Django do: the instant in the connection's zone, then Django's tzinfo put on it.
            return parsed.astimezone(self._timezone).replace(tzinfo=self.timezone)
        except (ValueError, OverflowError):
            return super().load(data)


@functools.cache
def loader_for(timezone) -> type[TimestamptzLoader]:
    """The loader class for Django's connection time zone (Django's create_cursor compares its `timezone`)."""
    return type("SpecificTzLoader", (TimestamptzLoader,), {"timezone": timezone})


def use_fast_timestamptz_loader(sender, connection, **kwargs) -> None:
    """`connection_created` receiver (connected by the app's `ready`): the loader on each new connection."""
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_loader("timestamptz", loader_for(connection.timezone))
