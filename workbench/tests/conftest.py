"""The workbench's targets: the demo `orders` database, synced, read-only or writable."""

import pytest

from schema_metadata import services as schema_services


def synced(connection):
    sync = schema_services.sync_execute(
        sync_id=schema_services.sync_request(project=connection.project, connection_id=connection.pk, defer=False).pk
    )
    assert sync.status == "succeeded", sync.error
    return connection


@pytest.fixture
def orders_synced(orders_connection):
    """The default connection (read-only, development) with its schema synced."""
    return synced(orders_connection)


@pytest.fixture
def orders_writable(orders_synced):
    """The same connection allowed to write (development)."""
    orders_synced.read_only = False
    orders_synced.save()
    return orders_synced
