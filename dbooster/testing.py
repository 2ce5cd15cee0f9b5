"""Helpers for tests that run real background jobs."""

from procrastinate.contrib.django import app


def run_pending_jobs(queues=None) -> None:
    """Run every queued job with a real procrastinate worker, then return.

    The worker uses its own database connections, so the test needs
    `@pytest.mark.django_db(transaction=True)` for the worker to see the job.
    """
    app.run_worker(queues=queues, wait=False, install_signal_handlers=False, listen_notify=False)
