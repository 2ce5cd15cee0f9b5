"""Where an API request's time goes: cProfile over N requests in-process, in the production configuration.

Seeds the benchmark's database (as `bench/api/run.py` does), loads DBooster's WSGI application with DEBUG off,
and calls it directly (every middleware, no server, no socket) `--requests` times per endpoint; prints the
milliseconds of CPU per request (this process's, and its PostgreSQL backend's when the server runs on this machine),
the SQL queries one request makes, and the functions with the most time.

    .venv/bin/python bench/api/cpu_profile.py                       # every endpoint of bench/api/run.py
    .venv/bin/python bench/api/cpu_profile.py --only /users/me -n 2000 --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.api.run import ENDPOINTS, OPTIMIZE_BODY, prepare_database, production_environment  # noqa: E402


def wsgi_environ(path: str, method: str, token: str | None, body: bytes) -> dict:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if body:
        environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def call(application, path: str, method: str, token: str | None, body: bytes) -> str:
    status = []
    chunks = application(wsgi_environ(path, method, token, body), lambda s, h, exc=None: status.append(s))
    try:
        b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return status[0]


def backend_cpu_ms(connection) -> float | None:
    """CPU the PostgreSQL backend serving `connection` has used so far (ms), when it runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # a server elsewhere
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")  # utime + stime


def record_query(captured: list, execute, sql, params, many, context):
    captured.append(sql)
    return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=500, help="requests profiled per endpoint")
    parser.add_argument("--top", type=int, default=25, help="functions listed per endpoint (0: timings only)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--only", action="append", help="an endpoint path (repeatable); default: all")
    args = parser.parse_args()

    env = production_environment()
    seeded = prepare_database(env)
    os.environ.update(env)

    from django.db import connection

    from dbooster.wsgi import application

    for label, path, method in ENDPOINTS:
        if args.only and path not in args.only:
            continue
        token = None if path in ("/health", "/rules") else seeded["token"]
        url = seeded["paths"].get(path, path)
        body = json.dumps(OPTIMIZE_BODY).encode() if method == "POST" else b""
        for _ in range(20):  # warm: caches, the first connection, lazily built serializers
            status = call(application, url, method, token, body)
        if not status.startswith(("200", "201")):
            raise SystemExit(f"{label} answered {status}")
        captured = []  # a wrapper, not CaptureQueriesContext: each request begins by clearing the query log
        with connection.execute_wrapper(functools.partial(record_query, captured)):
            call(application, url, method, token, body)
        backend_before = backend_cpu_ms(connection)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            call(application, url, method, token, body)
        wall_ms = (time.perf_counter() - wall) * 1000 / args.requests
        cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
        backend_after = backend_cpu_ms(connection)
        backend = (
            "" if backend_before is None else f", PostgreSQL {(backend_after - backend_before) / args.requests:.3f} ms"
        )
        print(
            f"\n=== {label}: {cpu_ms:.2f} ms CPU{backend}, {wall_ms:.2f} ms wall per request, {len(captured)} queries"
        )
        for sql in captured:
            print("   ", " ".join(sql.split())[:200])
        if not args.top:
            continue
        profiler = cProfile.Profile(time.process_time)  # CPU: waits on the database are not this process's work
        profiler.enable()
        for _ in range(args.requests):
            call(application, url, method, token, body)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        # Python function calls per request: a figure the machine's load does not move, to compare changes by.
        print(f"    {stats.total_calls / args.requests:.0f} function calls per request")
        stats.sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
