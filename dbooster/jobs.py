"""Deferring background jobs by task name.

Services queue work through here, so a services module never imports a tasks module (the tasks
module imports its services; importing back would be a cycle). procrastinate's Django app has
loaded every app's `tasks` module by the time a request or a job runs.
"""

from __future__ import annotations

from procrastinate.contrib.django import app


def defer(task_name: str, **task_kwargs) -> int:
    """Queue one job of the task registered as `task_name`; returns the job id."""
    return app.configure_task(task_name, allow_unknown=False).defer(**task_kwargs)
