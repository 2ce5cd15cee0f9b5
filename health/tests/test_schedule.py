"""Scheduled health runs through a real procrastinate worker: the periodic task queues a run for each connection
whose last run is older than HEALTH_RUN_INTERVAL_MINUTES, the worker runs the checks and stores the run."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone
from procrastinate.contrib.django import app

from dbooster.testing import job_status, run_pending_jobs
from health import services, tasks
from health.models import HealthRun
from schema_metadata.models import DatabaseConnection

pytestmark = pytest.mark.django_db(transaction=True)  # the worker sees only committed jobs


@pytest.fixture
def scheduled(settings):
    settings.TARGET_ALLOW_LOCAL = True
    settings.HEALTH_RUN_INTERVAL_MINUTES = 30


def tick() -> dict:
    """What procrastinate's periodic deferrer does each minute: queue the scheduler, then let the worker work."""
    tasks.schedule_runs.defer(timestamp=int(timezone.now().timestamp()))
    return run_pending_jobs(queues=["maintenance", "health"])


def test_the_scheduler_is_a_periodic_task_every_minute():
    periodic = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert periodic["health.schedule_runs"] == "* * * * *"


def test_due_connections_are_checked_by_the_worker_and_then_not_again_until_the_interval(
    scheduled, project, orders_database, orders_connection
):
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE audit_trail (happened_at timestamptz, what text)")  # no primary key
    gone = DatabaseConnection.objects.create(project=project, name="gone", url="postgresql://nobody@127.0.0.1:1/none")

    outcome = tick()

    assert outcome.get("failed", 0) == 0
    run = HealthRun.objects.get(connection=orders_connection)
    assert run.requested_by is None and "tables_without_primary_key" in run.ran
    assert "public.audit_trail" in [f["objects"][0] for f in run.findings if f["check"] == "tables_without_primary_key"]
    unreachable = HealthRun.objects.get(connection=gone)  # stored with the reason, not retried every minute
    assert unreachable.findings == [] and unreachable.errors["connection"]
    assert job_status(services.SCHEDULED_RUN_TASK, connection_id=orders_connection.pk) == ["succeeded"]

    # Within the interval: nothing is queued, nothing runs.
    tick()
    assert HealthRun.objects.count() == 2
    assert job_status(services.SCHEDULED_RUN_TASK, connection_id=orders_connection.pk) == ["succeeded"]

    # Once the last run is older than the interval, the connection is checked again.
    HealthRun.objects.filter(connection=orders_connection).update(created_at=timezone.now() - timedelta(minutes=31))
    tick()
    assert HealthRun.objects.filter(connection=orders_connection).count() == 2
    assert HealthRun.objects.filter(connection=gone).count() == 1


def test_a_connection_already_queued_is_not_queued_twice(scheduled, project, orders_connection):
    assert services.health_schedule_due_runs() == [orders_connection.pk]
    assert services.health_schedule_due_runs() == []
    assert job_status(services.SCHEDULED_RUN_TASK, connection_id=orders_connection.pk) == ["todo"]


def test_a_run_made_since_the_job_was_queued_makes_it_skip(scheduled, project, orders_connection):
    services.health_schedule_due_runs()
    services.health_run(connection=orders_connection)
    assert run_pending_jobs(queues=["health"]) == {"succeeded": 1}
    assert HealthRun.objects.filter(connection=orders_connection).count() == 1


def test_interval_zero_turns_the_schedule_off(settings, project, orders_connection):
    settings.HEALTH_RUN_INTERVAL_MINUTES = 0
    assert services.health_schedule_due_runs() == []


def test_old_runs_are_pruned_through_the_worker_but_never_a_connections_latest(scheduled, settings, project):
    settings.HEALTH_RUN_RETENTION_DAYS = 30
    settings.HEALTH_RUN_INTERVAL_MINUTES = 0  # only the pruning under test
    one = DatabaseConnection.objects.create(project=project, name="one", url="postgresql://x@h/one")
    two = DatabaseConnection.objects.create(project=project, name="two", url="postgresql://x@h/two")
    old = timezone.now() - timedelta(days=31)
    runs = {name: HealthRun.objects.create(project=project, connection=c) for name, c in
            (("one old", one), ("one older", one), ("one new", one), ("two old", two))}  # fmt: skip
    HealthRun.objects.filter(pk__in=[runs["one old"].pk, runs["two old"].pk]).update(created_at=old)
    HealthRun.objects.filter(pk=runs["one older"].pk).update(created_at=old - timedelta(days=1))

    assert tick() == {"succeeded": 1}

    kept = set(HealthRun.objects.values_list("pk", flat=True))
    assert kept == {runs["one new"].pk, runs["two old"].pk}  # two's only run is old, and still its latest
