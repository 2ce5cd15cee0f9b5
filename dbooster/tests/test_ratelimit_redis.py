"""The same rate limits with REDIS_URL set: a real redis-server on 127.0.0.1 (Debian's redis-server)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from dbooster import ratelimit

REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"),
    pytest.mark.django_db,
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # wait until it accepts connections (not a timing assertion)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


@pytest.fixture
def redis_caches(settings, redis_url):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "ratelimit",
        },
    }
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def test_hits_count_in_redis_with_a_ttl(redis_caches):
    assert ratelimit.hit("rl:redis:one", 60) == (1, 60)
    count, left = ratelimit.hit("rl:redis:one", 60)
    assert count == 2 and 0 < left <= 60


def test_concurrent_hits_lose_no_count(redis_caches):
    def worker():
        for _ in range(50):
            ratelimit.hit("rl:redis:concurrent", 60)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ratelimit.hit("rl:redis:concurrent", 60)[0] == 8 * 50 + 1


def test_sign_in_limit_with_redis(redis_caches, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in": {"account": "2/min", "address": "100/min"}}
    client = APIClient()
    body = {"email": "r@example.com", "password": "wrong password 1"}
    statuses = [client.post("/auth/login", body, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
