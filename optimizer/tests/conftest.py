"""Fixtures for the optimizer's tests: a small shop to advise on, the HypoPG cluster, a fake OpenAI."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
from psycopg import sql

SHOP_SQL = """
CREATE TABLE customers (
    id bigserial PRIMARY KEY, email text NOT NULL, country text NOT NULL, created_at timestamptz NOT NULL)
    WITH (autovacuum_enabled = off);
CREATE TABLE orders (
    id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL,
    created_at timestamptz NOT NULL, total numeric(12, 2) NOT NULL, meta jsonb NOT NULL DEFAULT '{}')
    WITH (autovacuum_enabled = off);
-- ANALYZE reads 300 rows per unit of the largest statistics target: 400 on status (three values, so its
-- statistics keep their shape) makes it read all 100,000 orders, and every later ANALYZE of orders too. The
-- frequencies, distinct counts and plans built on them are then the same in every run, not a sample's.
ALTER TABLE orders ALTER status SET STATISTICS 400;
CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
INSERT INTO countries VALUES ('US', 'United States'), ('DE', 'Germany'), ('IL', 'Israel');
INSERT INTO customers (email, country, created_at)
SELECT 'User' || g || '@Example.com', (ARRAY['US', 'DE', 'IL'])[1 + g % 3], '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 20000) g;
INSERT INTO orders (customer_id, status, created_at, total, meta)
SELECT 1 + (g * 7) % 20000,
       CASE WHEN g % 100 = 0 THEN 'pending' WHEN g % 10 = 0 THEN 'failed' ELSE 'paid' END,
       '2024-01-01'::timestamptz + g * interval '10 seconds', g % 1000,
       jsonb_build_object('src', CASE WHEN g % 50 = 0 THEN 'ad' ELSE 'web' END)
  FROM generate_series(1, 100000) g;
ANALYZE;
"""


def fill_shop(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        # Autovacuum is off on both tables from their creation: it would come for the 100,000 fresh rows at a moment
        # that depends on the machine, its lock making a sandboxed CREATE INDEX on orders wait mid-test and its
        # visibility map changing index-only scan costs (set after the load, it could already have started).
        conn.execute(SHOP_SQL)
        # Statistics are flushed by the backend when it likes; forced now, the rows written here are counted in
        # pg_stat_user_tables before the test reads them, whatever the machine's speed.
        conn.execute("SELECT pg_stat_force_next_flush()")


def vacuum_away_dead_rows(conn, table: str, attempts: int = 10) -> None:
    """VACUUM `table` until none of its old row versions remain, as autovacuum leaves a table in time.

    Left in place, updated rows' HOT chains make an index the sandbox builds invisible to the building transaction
    whenever a transaction on the server began before the updates (indcheckxmin): on a test machine, another
    worker's. A VACUUM can remove them unless a session in the same database holds an older snapshot (autovacuum's
    ANALYZE of a catalog, for a moment): then it is run again."""
    for _ in range(attempts):
        conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(table)))
        dead = conn.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s", [table]).fetchone()[0]
        if not dead:
            return
        time.sleep(1)
    raise AssertionError(f"{table} still has {dead} dead rows after {attempts} VACUUMs")


def forget_the_load(conn) -> None:
    """Reset the table statistics, as for a shop loaded long ago: the workload tests weigh reads, not the load."""
    conn.execute("SELECT pg_stat_reset()")


@pytest.fixture
def shop_database(scratch_database):
    """The embedded server (PostgreSQL 18, no HypoPG): the sandbox path."""
    fill_shop(scratch_database)
    return scratch_database


HYPOPG_SO = "/usr/lib/postgresql/15/lib/hypopg.so"


def _start_hypopg_cluster() -> str:
    """The cluster's URL when HYPOPG_DATABASE_URL is unset: skip only where HypoPG is not installed at all.

    Where it is installed (CI installs it), the cluster is started here, so a failed start in `./dev test`
    fails these tests loudly instead of skipping them in silence.
    """
    import fcntl
    import subprocess
    from pathlib import Path

    if not Path(HYPOPG_SO).exists():
        pytest.skip("PostgreSQL 15 with HypoPG is not installed (apt-get install postgresql-15-hypopg)")
    root = Path(__file__).resolve().parents[2]
    (root / "var").mkdir(exist_ok=True)
    # xdist workers start it at the same moment: one initdb at a time.
    with open(root / "var" / "pg15.start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = subprocess.run(
            [str(root / "scripts" / "hypopg-cluster"), "start"], capture_output=True, text=True, timeout=120
        )
    if started.returncode != 0:
        pytest.fail(f"HypoPG is installed but scripts/hypopg-cluster start failed: {started.stderr.strip()}")
    url = started.stdout.strip()
    os.environ["HYPOPG_DATABASE_URL"] = url
    return url


@pytest.fixture
def hypopg_database():
    """A fresh database on the PostgreSQL 15 + HypoPG cluster (scripts/hypopg-cluster)."""
    base = os.environ.get("HYPOPG_DATABASE_URL") or _start_hypopg_cluster()
    name = f"opt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
        fill_shop(url)
        yield url
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# An AI answer that makes a run of every kind of suggestion: indexes (one it cannot measure, one it refuses), a
# rewrite and a setting, kept and dropped.
VARIED_AI_ANSWER = {
    "summary": "",
    "indexes": [
        {"sql": "CREATE INDEX ON customers (country)", "rationale": "filter"},
        {"sql": "DROP TABLE customers", "rationale": "not an index"},
    ],
    "rewrites": [{"sql": "SELECT id FROM customers WHERE country = 'IL'", "rationale": "narrower \u00e9"}],
    "settings": [{"sql": "SET work_mem = '64MB'", "rationale": "hash in memory"}],
}


def chat_completion(content: str, model: str = "fake-model") -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1: answers from a script, records every request."""

    def __init__(self):
        self.script: list[tuple[int, dict | str, float]] = []  # (status, body, delay seconds)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                status, answer, delay = fake.script.pop(0) if fake.script else (500, {"error": "no script"}, 0)
                if delay:
                    time.sleep(delay)
                payload = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    if status == 429:
                        self.send_header("retry-after-ms", "10")
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, data: dict, *, status: int = 200, delay: float = 0.0):
        self.script.append((status, chat_completion(json.dumps(data)), delay))

    def raw(self, status: int, body, delay: float = 0.0):
        self.script.append((status, body, delay))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_openai(settings):
    fake = FakeOpenAI()
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.OPENAI_BASE_URL = fake.base_url
    settings.OPENAI_MODEL = "fake-model"
    settings.OPENAI_TIMEOUT = 2.0
    settings.OPENAI_MAX_RETRIES = 2
    yield fake
    fake.close()


@pytest.fixture
def connection_for(project):
    """`connection_for(url, **flags)`: a DatabaseConnection of `project` to a test database."""
    from schema_metadata.models import DatabaseConnection

    def make(url: str, **flags) -> DatabaseConnection:
        defaults = {
            "environment": "development",
            "allow_analyze": True,
            "allow_dml_analyze": True,
            "read_only": False,
            "is_default": True,
        }
        defaults.update(flags)
        return DatabaseConnection.objects.create(
            project=project, name=f"db-{uuid.uuid4().hex[:6]}", url=url, **defaults
        )

    return make
