import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django import app

from dbooster import health

pytestmark = pytest.mark.django_db


def test_health_without_a_worker(api_client):
    response = api_client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["version"].split(".")[0].isdigit()
    assert body["queue"]["status"] == "no_worker"
    assert body["queue"]["workers"] == 0


def test_health_counts_waiting_jobs_and_sees_a_worker(api_client):
    waiting = api_client.get("/health").json()["queue"]["todo"]  # jobs the apps queued themselves (schedules)
    app.configure_task(name="dbooster.health_probe", queue="health_probe").defer()
    with connection.cursor() as cur:
        # What a starting procrastinate worker does: register itself with a heartbeat.
        cur.execute("SELECT procrastinate_register_worker_v1()")
    body = api_client.get("/health/").json()
    assert body["queue"]["status"] == "ok"
    assert body["queue"]["workers"] == 1
    assert body["queue"]["todo"] == waiting + 1


def test_a_stale_worker_does_not_count(api_client):
    with connection.cursor() as cur:
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '10 minutes')")
    assert api_client.get("/health").json()["queue"]["status"] == "no_worker"


def test_health_reads_the_queue_once_per_interval(api_client, settings):
    """Under frequent probes the queue's four queries run once per HEALTH_QUEUE_TTL_S; the database ping each time."""
    settings.HEALTH_QUEUE_TTL_S = 3600
    health._queue_seen = None
    try:
        with CaptureQueriesContext(connection) as first:
            waiting = api_client.get("/health").json()["queue"]["todo"]
        app.configure_task(name="dbooster.health_probe", queue="health_probe").defer()
        with CaptureQueriesContext(connection) as second:
            body = api_client.get("/health").json()
        assert body["queue"]["todo"] == waiting  # the cached look
        assert len(second) == 1 < len(first)
        settings.HEALTH_QUEUE_TTL_S = 0
        assert api_client.get("/health").json()["queue"]["todo"] == waiting + 1
    finally:
        health._queue_seen = None
