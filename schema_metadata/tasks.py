"""Background jobs of the target-databases app."""

from procrastinate.contrib.django import app

from dbooster import jobs
from schema_metadata import services


@app.task(name=services.RUN_SYNC_TASK, queue="schema_sync", pass_context=False)
def run_schema_sync(sync_id: int) -> None:
    """Carry out a queued schema sync; its outcome (and any error) is recorded on the sync."""
    services.sync_execute(sync_id=sync_id)


jobs.on_lost_job(services.RUN_SYNC_TASK, services.sync_lost)
