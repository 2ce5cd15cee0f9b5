"""DBooster-wide background jobs: recovering the jobs whose worker died."""

from procrastinate.contrib.django import app

from dbooster import jobs


@app.periodic(cron="* * * * *")
@app.task(name="dbooster.recover_stalled_jobs", queue="maintenance", pass_context=False)
def recover_stalled_jobs(timestamp: int) -> dict:
    """Every minute: retry or fail the jobs whose worker stopped sending heartbeats (see dbooster.jobs)."""
    return jobs.recover_stalled_jobs()
