"""DBooster-wide background jobs: recovering the jobs whose worker died, folding the data versions, deleting
ended rate-limit windows."""

from procrastinate.contrib.django import app

from dbooster import jobs, page_cache, ratelimit


@app.periodic(cron="* * * * *")
@app.task(name="dbooster.recover_stalled_jobs", queue="maintenance", pass_context=False)
def recover_stalled_jobs(timestamp: int) -> dict:
    """Every minute: retry or fail the jobs whose worker stopped sending heartbeats (see dbooster.jobs)."""
    return jobs.recover_stalled_jobs()


@app.periodic(cron="* * * * *")
@app.task(name="dbooster.compact_data_versions", queue="maintenance", pass_context=False)
def compact_data_versions(timestamp: int) -> int:
    """Every minute: each organization's and user's data version back to one row (see dbooster.page_cache)."""
    return page_cache.compact_data_versions()


@app.periodic(cron="*/10 * * * *")
@app.task(name="dbooster.delete_expired_rate_limits", queue="maintenance", pass_context=False)
def delete_expired_rate_limits(timestamp: int) -> int:
    """Every ten minutes: the rate limits' store keeps only live windows (see dbooster.ratelimit)."""
    return ratelimit.delete_expired_windows()
