"""Fixtures of the assistant's tests: the fake OpenAI-compatible server, configured."""

import uuid

import psycopg
import pytest
from psycopg import sql

from assistant.tests.fake_openai import FakeOpenAI, configure
from assistant.tests.schemas import DATASETS_DIR
from conftest import _admin_conninfo, url_for_database
from schema_metadata import services as metadata_services
from schema_metadata.models import DatabaseConnection
from schema_metadata.tests.conftest import load_sql_file


@pytest.fixture
def fake_openai(settings):
    fake = FakeOpenAI()
    configure(settings, fake)
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def pagila_url(django_db_blocker):
    """The pagila dataset (a real schema and its rows), loaded once per test process and dropped at the end."""
    name = f"assistant_pagila_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = url_for_database(name)
        load_sql_file(url, DATASETS_DIR / "pagila.sql")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
    yield url
    with django_db_blocker.unblock(), psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pagila(project, pagila_url, settings):
    """The project's default connection to pagila, its schema synced."""
    settings.TARGET_ALLOW_LOCAL = True
    connection = DatabaseConnection.objects.create(
        project=project, name="pagila", url=pagila_url, is_default=True, environment="development", read_only=False
    )
    sync = metadata_services.sync_request(project=project, connection_id=connection.pk, defer=False)
    assert metadata_services.sync_execute(sync_id=sync.pk).status == "succeeded"
    return connection
