"""Background jobs of the analytics app: a tick every minute queues a snapshot of each connection that is due."""

from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from analytics import selectors, services
from dbooster import jobs


@app.task(name=services.SNAPSHOT_TASK, queue="analytics", pass_context=False)
def take_snapshot(connection_id: int) -> dict:
    """Snapshot one connection's statistics, then roll its old snapshots up and drop the expired ones."""
    return services.snapshot_and_roll_up(connection_id=connection_id)


@app.periodic(cron="* * * * *")
@app.task(name=services.TICK_TASK, queue="analytics", pass_context=False)
def snapshot_tick(timestamp: int) -> dict:
    """Every minute: queue a snapshot of every connection whose last one is an interval old (one job each)."""
    queued = 0
    for connection_id in selectors.connections_due():
        try:
            take_snapshot.configure(queueing_lock=f"analytics-snapshot-{connection_id}").defer(
                connection_id=connection_id
            )
        except AlreadyEnqueued:
            continue  # its snapshot is still waiting for a worker
        queued += 1
    return {"queued": queued}


jobs.on_lost_job(services.SNAPSHOT_TASK, services.snapshot_lost)
