"""Background jobs of approvals (procrastinate): applying approved changes."""

from __future__ import annotations

from procrastinate.contrib.django import app

from approvals import services
from dbooster import jobs


@app.task(
    name=services.APPLY_TASK,
    # Jobs queued before the workflow app was split still carry the old name.
    aliases=["workflow.apply_proposal"],
    queue="apply",
)
def apply_proposal(attempt_id: int) -> str:
    """Run one approved change on its target database (see approvals.applying)."""
    return services.run_apply_attempt(attempt_id=attempt_id)


jobs.on_lost_job(services.APPLY_TASK, services.apply_lost)
jobs.on_lost_job("workflow.apply_proposal", services.apply_lost)  # jobs queued before the split
