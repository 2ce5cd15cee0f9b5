"""A target database for the API-level tests: a scratch PostgreSQL database with the seed's `orders`."""

import psycopg
import pytest

from schema_metadata.models import DatabaseConnection

ORDERS_SQL = """
CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers(id),
    status text NOT NULL DEFAULT 'pending',
    total numeric(10, 2)
);
INSERT INTO customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 50) g;
INSERT INTO orders (customer_id, status, total)
SELECT 1 + g % 50, CASE WHEN g % 50 = 0 THEN 'paid' ELSE 'delivered' END, g FROM generate_series(1, 3000) g;
ANALYZE;
"""


@pytest.fixture
def orders_database(scratch_database, settings):
    """The libpq URL of a scratch database holding `customers` and `orders`; local targets allowed."""
    settings.TARGET_ALLOW_LOCAL = True  # the test server is on a Unix socket / loopback
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(ORDERS_SQL)
    return scratch_database


@pytest.fixture
def orders_connection(project, orders_database):
    """The project's default connection, pointing at `orders_database`."""
    return DatabaseConnection.objects.create(
        project=project, name="orders db", url=orders_database, environment="development", is_default=True
    )
