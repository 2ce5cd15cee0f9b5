"""Background jobs of the repositories app."""

from procrastinate.contrib.django import app

from dbooster import jobs
from repositories import services


@app.task(name=services.RUN_SCAN_TASK, queue="scans", pass_context=False)
def run_scan(scan_id: int) -> None:
    """Carry out a queued scan; its outcome (and any error) is recorded on the ScanRun."""
    services.scan_execute(scan_id=scan_id)


jobs.on_lost_job(services.RUN_SCAN_TASK, services.scan_lost)
