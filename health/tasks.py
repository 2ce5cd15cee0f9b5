"""Background jobs of the health app: the checks run by themselves on every connection, every interval."""

from procrastinate.contrib.django import app

from health import services


@app.periodic(cron="* * * * *")
@app.task(name="health.schedule_runs", queue="maintenance", pass_context=False)
def schedule_runs(timestamp: int) -> dict:
    """Every minute: queue a run for each connection whose last run is older than HEALTH_RUN_INTERVAL_MINUTES,
    and delete the runs older than HEALTH_RUN_RETENTION_DAYS (each connection's latest is kept)."""
    return {"queued": services.health_schedule_due_runs(), "pruned": services.health_prune_old_runs()}


@app.task(name=services.SCHEDULED_RUN_TASK, queue="health", pass_context=False)
def run_scheduled(connection_id: int) -> dict:
    run = services.health_run_scheduled(connection_id=connection_id)
    if run is None:
        return {"skipped": True}
    return {"run": run.pk, "findings": len(run.findings), "errors": len(run.errors)}
