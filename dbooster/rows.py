"""Reading rows for less work: model instances without `Model.__init__`, timestamps parsed by psycopg's C loader."""

from __future__ import annotations

import datetime as dt

import psycopg
from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from psycopg import pq
from psycopg.adapt import Loader
from psycopg.postgres import types as postgres_types
from psycopg.types.datetime import TimestamptzLoader as PythonTimestamptzLoader

_TIMESTAMPTZ = postgres_types["timestamptz"].oid
# psycopg's own text loader for timestamptz: the compiled one when psycopg was installed with it ([binary]/[c]).
_PSYCOPG_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ, pq.Format.TEXT)


class LoadedWithoutInit:
    """A model mixin: an instance read from the database is made without running `Model.__init__`.

    `Model.__init__` with positional values (what a query gives) sends `pre_init` and `post_init`, then assigns
    each column through `setattr` (a descriptor call for every foreign key) and skips deferred ones: about 25
    Python calls per row, a fifth of a 50-row list request. With no receiver for either signal and no `__init__`
    of the model's own, the same instance is its attributes put in place: the columns read, by attname, and a
    `_state` that says where it was loaded from. `Model.from_db` is Django's documented hook for this.
    """

    @classmethod
    def from_db(cls, db, field_names, values):
        if cls.__init__ is not models.Model.__init__ or _init_is_watched(cls):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        new.__dict__.update(zip(field_names, values, strict=True))
        return new


def _init_is_watched(model) -> bool:
    """Whether a receiver of `pre_init` or `post_init` would see this model made (no receiver at all: no call)."""
    if not (pre_init.receivers or post_init.receivers):
        return False
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


class UTCTimestamptzLoader(Loader):
    """timestamptz values read by psycopg's compiled loader, for a connection whose session and Django both use UTC.

    Django registers a loader of its own (Python: psycopg's Python parser, then the zone put in its place) that
    costs three Python calls per value, a tenth of a list request's CPU. In a UTC session psycopg's compiled loader
    gives the same datetimes (`datetime.timezone.utc`, as Django's); its `load` is used as this loader's own, so
    no Python runs per value. `timezone` is what Django's `create_cursor` compares with the connection's zone
    before putting its own loader back.
    """

    timezone = dt.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = _PSYCOPG_TIMESTAMPTZ_LOADER(oid, context).load

    def load(self, data):  # replaced per instance by the compiled loader's (see __init__)
        raise NotImplementedError


def load_timestamps_in_c(sender, connection, **kwargs) -> None:
    """On a new connection (`connection_created`): timestamptz through `UTCTimestamptzLoader` when it gives what
    Django's loader gives (psycopg 3 with its compiled loader, Django's zone and the session's both UTC)."""
    if connection.vendor != "postgresql" or _PSYCOPG_TIMESTAMPTZ_LOADER is PythonTimestamptzLoader:
        return
    raw = connection.connection
    if not isinstance(raw, psycopg.Connection) or connection.timezone is not dt.UTC:
        return
    if raw.info.parameter_status("TimeZone") != "UTC":
        return
    raw.adapters.register_loader(_TIMESTAMPTZ, UTCTimestamptzLoader)
