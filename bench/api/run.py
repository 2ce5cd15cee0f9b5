"""API throughput: DBooster in its production configuration against a bare Django JSON view, side by side.

Starts DBooster with gunicorn (3 workers, DEBUG off, freshly generated secrets, the embedded PostgreSQL in its own
database, or DATABASE_URL when set) and `bench/api/bare.py` the same way, loads both with Debian's `wrk`
(12 connections) one endpoint at a time (each after a few seconds of unmeasured warm-up), and prints requests/s,
p50, p99 and errors per endpoint with the ratio to the bare view. The bare view is measured again after every
endpoint (for up to 20 s), and each endpoint's ratio uses the mean of the bare view's measures just before and just
after it: a shared machine's speed drifts over the quarter of an hour a full run takes (the bare view alone was seen
anywhere from 2,600 to 4,000 requests/s in one morning), and an anchor measured minutes away would carry that drift
into the ratio. A second anchor, the bare view storing one row per request in the same database ("bare Django + 1
INSERT"), is the floor of an endpoint that keeps a record of each request, as POST /query/optimize stores each run;
a third counts each request in a statement of its own first ("bare + count + INSERT"), as the rate limits do: POST
/query/optimize's two statements with nothing else around them; a fourth does the same through the parts this stack
requires of an API endpoint, a REST framework view authenticating DBooster's bearer token with simplejwt ("bare DRF
+ JWT + count + INSERT"). Then the SQL queries one request makes when the organization holds 1 and 50 objects.

    .venv/bin/python bench/api/run.py                # 60 s per endpoint: the figures for the record
    .venv/bin/python bench/api/run.py --duration 10  # a quick look while changing things
    .venv/bin/python bench/api/run.py --duration 10 --only /query/optimize  # one endpoint beside the bare view

The machine's load average is printed at the start and the end: on a shared machine compare the ratios of
one run, not requests/s across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
CONNECTIONS = 12
BARE_SECONDS = 20  # each measure of the bare view between two endpoints (at most --duration)
OPTIMIZE_BODY = {"query": "SELECT id, status FROM orders WHERE customer_id = 42 ORDER BY id DESC LIMIT 10"}

# (label, path, method); each is loaded on DBooster's server.
# Paths the seed answers (ids of its objects) are looked up in its "paths" by their label's path.
ENDPOINTS = [
    ("GET /health", "/health", "GET"),
    ("GET /users/me", "/users/me", "GET"),
    ("GET /projects", "/projects", "GET"),
    ("GET /notifications", "/notifications", "GET"),
    ("GET /dashboard", "/dashboard", "GET"),
    ("POST /query/optimize", "/query/optimize", "POST"),
    # Cached reads (issue 18): a page of a synced snapshot (50 columns), the public rule list.
    ("GET /metadata", "/metadata", "GET"),
    ("GET /rules", "/rules", "GET"),
]
# The anchors beside the bare view (bench/api/bare.py): (label, path, sent DBooster's bearer token), each POSTed
# OPTIMIZE_BODY.
ANCHORS = [
    ("bare Django + 1 INSERT", "/bare/store", False),
    ("bare + count + INSERT", "/bare/counted", False),
    ("bare DRF + JWT + count + INSERT", "/bare/api", True),
]
# What each endpoint must reach, as a share of the bare view's requests/s (issue 13); none: no target set.
# The dashboard (a dozen counts, cached per organization) is measured for the record; issue 13 sets no target for it.
TARGETS = {"POST /query/optimize": 0.25, "GET /dashboard": None, "GET /metadata": None, "GET /rules": None}
DEFAULT_TARGET = 0.5


def production_environment() -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SECRET=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        # The load is one user from one address: rate limits stay on (their counting is part of the cost
        # measured) but high enough that none refuses, so every answer counts.
        RATE_LIMIT_OPTIMIZE_ACCOUNT="100000000/min",
        RATE_LIMIT_OPTIMIZE_ADDRESS="100000000/min",
        # The seed's access token serves the whole run, which takes longer than the default lifetime (15 min):
        # the endpoints loaded last were answered 401 in a full run once a fourth anchor made it 24 min long.
        JWT_ACCESS_MINUTES="180",
    )
    if not env.get("DATABASE_URL"):
        env["DATABASE_NAME"] = "dbooster_bench_api"
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict, probe: str, cwd: Path = ROOT):
    """`app` under gunicorn with 3 sync workers on a free loopback port; yields its base URL once it answers.
    `cwd`: the checkout whose code it runs (bench/api/ab.py runs another commit's)."""
    port = free_port()
    args = [GUNICORN, app, "--workers", "3", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    process = subprocess.Popen(args, cwd=cwd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + probe, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def wrk(url: str, duration: int, token: str | None = None, body: dict | None = None) -> dict:
    """One wrk run; returns requests/s, p50 and p99 in ms, and errors (socket errors + non-2xx/3xx)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body is not None:
            script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\n')
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
        if token:
            script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    try:
        # A generous timeout: on a loaded machine a slow answer is a latency (p99), not an error.
        args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", script.name]
        args.append(url)
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(out)


def measured(url: str, duration: int, warmup: int, token: str | None = None, body: dict | None = None) -> dict:
    """`wrk` for `duration` s after `warmup` s of the same load, whose figures are dropped.

    The warm-up brings every worker to its steady state (connection open, statements prepared, caches read) and
    lets the loopback settle after the previous endpoint: the bare view's tens of thousands of closed connections
    (gunicorn's sync workers close each one) delay new connections for a few seconds (SYN retries of 1 s), which
    measured the endpoint after it 10% slower with a p99 near a second.
    """
    if warmup:
        wrk(url, warmup, token=token, body=body)
    return wrk(url, duration, token=token, body=body)


def answers_ok(url: str, token: str | None = None, body: dict | None = None) -> None:
    """One request before the load: an endpoint that refuses it would only measure its error path."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60):
            return
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{url} answered {exc.code}: {exc.read()[:300]!r}") from None


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _latency_ms(out: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
    return float(value) * _UNITS_MS[unit]


def parse_wrk(out: str) -> dict:
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _latency_ms(out, "50"),
        "p99": _latency_ms(out, "99"),
        "errors": socket_errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def request_for(path: str, method: str, seeded: dict) -> tuple[str, str | None, dict | None]:
    """What loads endpoint `path`: (the path with the seed's ids, the bearer token or None, the JSON body or None)."""
    token = None if path in ("/health", "/rules") else seeded["token"]
    return seeded["paths"].get(path, path), token, OPTIMIZE_BODY if method == "POST" else None


def prepare_database(env: dict) -> dict:
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PYTHON, "bench/api/seed.py"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bare_store_database(env: dict) -> str:
    """DBooster's DATABASES entry as JSON, for the bare store view, after making its table (empty) there."""
    code = (
        "import json; from django.db import connection; from bench.api import bare\n"
        "with connection.cursor() as c:\n"
        "    c.execute(bare.CREATE_STORE_TABLE); c.execute(f'TRUNCATE {bare.STORE_TABLE}')\n"
        "    c.execute(bare.CREATE_COUNT_TABLE); c.execute(f'TRUNCATE {bare.COUNT_TABLE}')\n"
        "keys = ('ENGINE', 'NAME', 'USER', 'PASSWORD', 'HOST', 'PORT', 'CONN_MAX_AGE', 'OPTIONS')\n"
        "print(json.dumps({k: v for k, v in connection.settings_dict.items() if k in keys}))"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return out.strip().splitlines()[-1]


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def print_table(rows: list[tuple[str, dict]]) -> None:
    """One line per measure; `anchor` is the bare view's requests/s its ratio is taken to (beside it in time)."""
    header = f"{'endpoint':<32}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'bare req/s':>12}{'x bare':>8}"
    print(f"\n{header}{'target':>8}")
    for label, r in rows:
        target = TARGETS.get(label, DEFAULT_TARGET) if not label.startswith("bare") else None
        target = "" if target is None else f"{target:.2f}"
        ratio = r["rps"] / r["anchor"]
        print(
            f"{label:<32}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['errors']:>8}{r['anchor']:>12.0f}"
            f"{ratio:>8.2f}{target:>8}"
        )


def beside_the_bare_view(measures: list[tuple[str, dict]], bare_measures: list[dict]) -> list[tuple[str, dict]]:
    """Each measure with its anchor: the mean of the bare view's requests/s just before and just after it
    (`bare_measures` has one more entry than `measures`: the one before the first, then one after each)."""
    if len(bare_measures) != len(measures) + 1:
        raise ValueError("one measure of the bare view before the first and one after each")
    return [
        (label, {**figures, "anchor": (before["rps"] + after["rps"]) / 2})
        for (label, figures), before, after in zip(measures, bare_measures[:-1], bare_measures[1:], strict=True)
    ]


def print_queries(queries: dict) -> None:
    print(f"\n{'queries per request':<26}{'1 object':>10}{'50 objects':>12}")
    for path, (one, fifty) in queries.items():
        print(f"{path:<26}{one:>10}{fifty:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per endpoint (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of unmeasured load before each (default 5)")
    parser.add_argument(
        "--only", action="append", metavar="PATH", help="load only this endpoint's path (repeatable), e.g. /health"
    )
    args = parser.parse_args()
    endpoints = [e for e in ENDPOINTS if not args.only or e[1] in args.only]
    if not endpoints:
        parser.error(f"--only names no endpoint of {[path for _, path, _ in ENDPOINTS]}")

    env = production_environment()
    seeded = prepare_database(env)
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.api.bare", "BARE_DATABASE": bare_store_database(env)}
    rows = []
    with ExitStack() as stack:
        bare = stack.enter_context(gunicorn("bench.api.bare:application", bare_env, "/bare"))
        # DBooster's workers keep the embedded PostgreSQL running (its last user stops it), so /bare/store, which
        # writes there without a handle of its own, is loaded only once they are up.
        app = stack.enter_context(gunicorn("dbooster.wsgi:application", env, "/health"))
        print(
            f"wrk, {CONNECTIONS} connections, {args.duration} s per endpoint after {args.warmup} s of warm-up,"
            " gunicorn 3 workers, DEBUG off"
        )
        load_at_start = load_average()
        bare_seconds = min(args.duration, BARE_SECONDS)

        def bare_view() -> dict:
            return measured(bare + "/bare", bare_seconds, args.warmup)

        bare_measures = [bare_view()]
        for label, path, authenticated in ANCHORS:
            token = seeded["token"] if authenticated else None
            rows.append((label, measured(bare + path, args.duration, args.warmup, token=token, body=OPTIMIZE_BODY)))
            bare_measures.append(bare_view())
        for label, path, method in endpoints:
            target, token, body = request_for(path, method, seeded)
            url = app + target
            answers_ok(url, token=token, body=body)
            rows.append((label, measured(url, args.duration, args.warmup, token=token, body=body)))
            bare_measures.append(bare_view())
    print_table(beside_the_bare_view(rows, bare_measures))
    seen = sorted(m["rps"] for m in bare_measures)
    print(f"\nthe bare view over the run: {len(seen)} measures of {bare_seconds} s each,", end=" ")
    print(f"{seen[0]:.0f} to {seen[-1]:.0f} req/s")
    print(f"load average (1, 5, 15 min) at start: {load_at_start}, at end: {load_average()}")
    print_queries(seeded["queries"])
    failed = [label for label, figures in rows if figures["errors"]]
    if failed:
        # An endpoint answering errors measures its error path (a 401 costs little): its ratio means nothing.
        raise SystemExit(f"\nanswered errors, so their figures are not valid: {', '.join(failed)}")


if __name__ == "__main__":
    main()
