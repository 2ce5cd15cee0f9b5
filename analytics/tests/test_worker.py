"""The snapshot jobs through a real procrastinate worker: the minute's tick queues each due connection once,
the job snapshots it through the guarded session, and a connection that fails does not fail the job."""

from datetime import timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django import app

from analytics import selectors, services
from analytics.models import CollectorState, Snapshot
from dbooster import jobs
from dbooster.testing import job_status, run_pending_jobs
from schema_metadata.models import DatabaseConnection


@pytest.mark.django_db(transaction=True)
def test_the_tick_queues_due_connections_and_the_worker_snapshots_them(stats_connection, project):
    broken = DatabaseConnection.objects.create(
        project=project, name="gone", url="postgresql://nobody@127.0.0.1:1/none", environment="production"
    )
    jobs.defer(services.TICK_TASK, timestamp=0)
    outcome = run_pending_jobs(queues=["analytics"])
    assert outcome == {"succeeded": 1}  # the tick; the snapshots it queued ran in the same worker
    assert job_status(services.SNAPSHOT_TASK, connection_id=stats_connection.pk) == ["succeeded"]
    assert job_status(services.SNAPSHOT_TASK, connection_id=broken.pk) == ["succeeded"]
    snapshot = Snapshot.objects.get(connection=stats_connection)
    assert snapshot.relations.filter(name="public.orders").exists()
    assert CollectorState.objects.get(connection=broken).last_error

    # Both were just attempted: the next tick queues nothing until an interval has passed.
    jobs.defer(services.TICK_TASK, timestamp=60)
    assert run_pending_jobs(queues=["analytics"]) == {"succeeded": 1}
    assert Snapshot.objects.filter(connection=stats_connection).count() == 1
    assert len(job_status(services.SNAPSHOT_TASK, connection_id=stats_connection.pk)) == 1


def test_the_tick_is_periodic_every_minute():
    periodic = {task.task.name: task.cron for task in app.periodic_registry.periodic_tasks.values()}
    assert periodic[services.TICK_TASK] == "* * * * *"


@pytest.mark.django_db
def test_which_connections_are_due(stats_connection, settings):
    now = timezone.now()
    assert selectors.connections_due(now=now) == [stats_connection.pk]  # never snapshotted
    CollectorState.objects.create(connection=stats_connection, last_attempt_at=now - timedelta(minutes=10))
    assert selectors.connections_due(now=now) == []
    # Due half a minute before the whole interval: the minute's tick does not slip a minute each time.
    assert selectors.connections_due(now=now + timedelta(minutes=4, seconds=31)) == [stats_connection.pk]
    settings.ANALYTICS_SNAPSHOT_INTERVAL_MINUTES = 0
    assert selectors.connections_due(now=now + timedelta(days=1)) == []
