"""dbooster.rows.LoadedWithoutInit: a model read from the database is the instance Django's `from_db` makes,
made without `Model.__init__` (and with it when a pre_init/post_init receiver is there to see it)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection, models
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.models.signals import post_init
from psycopg import pq

from accounts.models import User
from dbooster import rows
from notifications.models import Notification
from projects.models import Project

pytestmark = pytest.mark.django_db


def state_of(instance) -> dict:
    attributes = {k: v for k, v in vars(instance).items() if k != "_state"}
    return {"attributes": attributes, "adding": instance._state.adding, "db": instance._state.db}


def django_from_db(instance_from_query):
    """The instance Django's own `Model.from_db` makes of the same row."""
    model = type(instance_from_query)
    names = [f.attname for f in model._meta.concrete_fields if f.attname in vars(instance_from_query)]
    values = [getattr(instance_from_query, name) for name in names]
    return models.Model.from_db.__func__(model, "default", names, values)


@pytest.fixture
def counted_inits(monkeypatch):
    made = []
    init = models.Model.__init__

    def counting_init(self, *args, **kwargs):
        made.append(type(self))
        init(self, *args, **kwargs)

    monkeypatch.setattr(models.Model, "__init__", counting_init)
    return made


def test_rows_become_instances_without_init(project, admin_user, counted_inits):
    Notification.objects.create(recipient=admin_user, kind="scan_finished", title="t")
    counted_inits.clear()
    projects = list(Project.objects.filter(pk=project.pk))
    notifications = list(Notification.objects.filter(recipient=admin_user))
    (user,) = User.objects.select_related("organization").filter(pk=admin_user.pk)
    assert counted_inits == []
    assert user.organization.name == admin_user.organization.name
    for loaded in [*projects, *notifications, user, user.organization]:
        assert state_of(loaded) == state_of(django_from_db(loaded))
        assert loaded._state.adding is False and loaded._state.db == "default"


def test_deferred_columns_and_related_rows(project, counted_inits):
    counted_inits.clear()
    (partial,) = Project.objects.only("id", "name").filter(pk=project.pk)
    assert counted_inits == []
    assert set(vars(partial)) == {"_state", "id", "name"}
    assert partial.get_deferred_fields() >= {"description", "created_at"}
    assert partial.description == project.description  # loaded on first read, as Django does
    (joined,) = Project.objects.select_related("organization").filter(pk=project.pk)
    assert joined.organization == project.organization
    assert joined._state.fields_cache["organization"].name == project.organization.name


def test_saving_a_loaded_instance_updates_it(project):
    loaded = Project.objects.get(pk=project.pk)
    loaded.name = "renamed"
    loaded.save()
    assert Project.objects.filter(name="renamed").count() == 1
    assert Project.objects.count() == 1


def test_a_post_init_receiver_still_sees_every_instance(project, counted_inits):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Project)
    try:
        counted_inits.clear()
        list(Project.objects.filter(pk=project.pk))
    finally:
        post_init.disconnect(receiver, sender=Project)
    assert seen == [project.pk]
    assert counted_inits == [Project]


TIMESTAMPS = [
    "2026-12-02 07:29:15.123456+00",
    "2026-12-02 07:29:15+00",
    "2026-03-29 03:30:00.5+02",
    "1969-12-31 23:59:59.999999-08",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    None,
    "infinity",
    "-infinity",
    "0044-03-15 12:00:00+00 BC",
]


def read_timestamp(cursor, text):
    try:
        cursor.execute("SELECT %s::timestamptz", [text])
        return cursor.fetchone()[0]
    except Exception as error:
        return type(error).__name__


def test_connections_read_timestamps_with_the_compiled_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(rows._TIMESTAMPTZ, pq.Format.TEXT)
    assert loader is rows.UTCTimestamptzLoader
    with connection.cursor() as cursor:
        cursor.execute("SELECT '2026-12-02 07:29:15.123456+00'::timestamptz")
        (value,) = cursor.fetchone()
    assert value == dt.datetime(2026, 12, 2, 7, 29, 15, 123456, tzinfo=dt.UTC)
    assert value.tzinfo is dt.UTC


@pytest.mark.parametrize("text", TIMESTAMPS)
def test_timestamps_read_as_djangos_loader_reads_them(text):
    connection.ensure_connection()
    with connection.cursor() as ours, connection.cursor() as djangos:
        register_tzloader(connection.timezone, djangos.cursor)  # Django's own loader, on this cursor only
        assert djangos.cursor.adapters.get_loader(rows._TIMESTAMPTZ, pq.Format.TEXT) is not rows.UTCTimestamptzLoader
        expected, got = read_timestamp(djangos, text), read_timestamp(ours, text)
    assert got == expected
    assert type(got) is type(expected) and getattr(got, "tzinfo", None) is getattr(expected, "tzinfo", None)


def session_in(zone: str):
    return psycopg.connect(**{**connection.get_connection_params(), "options": f"-c TimeZone={zone}"})


@pytest.mark.parametrize(("zone", "compiled"), [("UTC", True), ("Europe/Paris", False)])
def test_only_a_utc_session_reads_with_the_compiled_loader(zone, compiled):
    with session_in(zone) as raw:
        rows.load_timestamps_in_c(
            sender=None, connection=SimpleNamespace(vendor="postgresql", timezone=dt.UTC, connection=raw)
        )
        loader = raw.adapters.get_loader(rows._TIMESTAMPTZ, pq.Format.TEXT)
    assert (loader is rows.UTCTimestamptzLoader) is compiled
