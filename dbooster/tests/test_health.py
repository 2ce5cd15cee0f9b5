import pytest
from django.db import connection
from procrastinate.contrib.django import app

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
    app.configure_task(name="dbooster.health_probe", queue="health_probe").defer()
    with connection.cursor() as cur:
        # What a starting procrastinate worker does: register itself with a heartbeat.
        cur.execute("SELECT procrastinate_register_worker_v1()")
    body = api_client.get("/health/").json()
    assert body["queue"]["status"] == "ok"
    assert body["queue"]["workers"] == 1
    assert body["queue"]["todo"] == 1


def test_a_stale_worker_does_not_count(api_client):
    with connection.cursor() as cur:
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '10 minutes')")
    assert api_client.get("/health").json()["queue"]["status"] == "no_worker"
