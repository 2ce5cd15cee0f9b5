"""Fixtures of the cross-app tests in tests/: the scratch target database with the seed's `orders`."""

from tests.targets import orders_connection, orders_database  # noqa: F401 (fixtures)
