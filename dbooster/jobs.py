"""Background jobs, seen from the services: deferring by task name, and jobs whose worker died.

Services queue work through `defer`, so a services module never imports a tasks module (the tasks
module imports its services; importing back would be a cycle). procrastinate's Django app has
loaded every app's `tasks` module by the time a request or a job runs.

A worker killed mid-job (SIGKILL, OOM, a lost machine) leaves its procrastinate job `doing` and the row it was
working on (a scan, a schema sync, an apply) `running` forever. procrastinate records a heartbeat per worker;
a `doing` job whose worker's heartbeat is older than JOB_STALLED_AFTER_S (or whose worker row was pruned) is
stalled. `recover_stalled_jobs()` (run every minute by the `dbooster.recover_stalled_jobs` periodic task) hands
each one to the handler its app registered for the task name (`on_lost_job`): the handler puts the row in a
visible state, removes scratch files and says whether the job is retried or failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from procrastinate import sql as procrastinate_sql
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

logger = logging.getLogger(__name__)


def defer(task_name: str, **task_kwargs) -> int:
    """Queue one job of the task registered as `task_name`; returns the job id."""
    return app.configure_task(task_name, allow_unknown=False).defer(**task_kwargs)


def defer_once(task_name: str, *, lock: str, **task_kwargs) -> int | None:
    """Queue one job unless a job with the same `lock` is still waiting (None then); jobs with one lock never run
    at the same time (procrastinate's queueing lock and lock)."""
    try:
        return app.configure_task(task_name, allow_unknown=False, queueing_lock=lock, lock=lock).defer(**task_kwargs)
    except AlreadyEnqueued:
        return None


RETRY = "retry"
FAIL = "fail"


@dataclass(frozen=True)
class LostJob:
    id: int
    task_name: str
    args: dict
    attempts: int
    reason: str


# task name -> handler(LostJob) -> RETRY | FAIL. Registered by each app's tasks module.
_HANDLERS: dict[str, Callable[[LostJob], str]] = {}


def on_lost_job(task_name: str, handler: Callable[[LostJob], str]) -> None:
    _HANDLERS[task_name] = handler


def stalled_after_s() -> float:
    return float(settings.JOB_STALLED_AFTER_S)


def _stalled_rows() -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(
            procrastinate_sql.queries["select_stalled_jobs_by_heartbeat"],
            {"queue": None, "task_name": None, "seconds_since_heartbeat": stalled_after_s()},
        )
        columns = [c.name for c in cur.description]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def stalled_job_count() -> int:
    return len(_stalled_rows())


def oldest_queued_age_s() -> float | None:
    """Seconds the oldest job that could run now has been waiting (None when nothing waits)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT extract(epoch FROM now() - min(greatest(e.at, coalesce(j.scheduled_at, e.at))))
            FROM procrastinate_jobs j
            JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
            WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
            """
        )
        value = cur.fetchone()[0]
    return None if value is None else round(float(value), 1)


def _reason(row: dict) -> str:
    worker = f"worker {row['worker_id']}" if row.get("worker_id") else "its worker"
    return f"{worker} stopped (no heartbeat for over {stalled_after_s():g} s: killed or lost) while the job was running"


def recover_stalled_jobs() -> dict[str, int]:
    """Retry or fail every stalled job, after its app put its row in a visible state. Returns counts."""
    counts = {"retried": 0, "failed": 0}
    for row in _stalled_rows():
        args = json.loads(row["args"]) if isinstance(row["args"], str) else row["args"]  # Django hands jsonb as text
        lost = LostJob(
            id=row["id"], task_name=row["task_name"], args=args or {}, attempts=row["attempts"],
            reason=_reason(row),
        )  # fmt: skip
        handler = _HANDLERS.get(lost.task_name)
        try:
            with transaction.atomic():
                decision = handler(lost) if handler else RETRY
                _settle(lost, decision)
        except Exception:  # noqa: BLE001 - one bad handler must not keep the others stuck
            logger.exception("recovering stalled job %s (%s) failed", lost.id, lost.task_name)
            continue
        counts["retried" if decision == RETRY else "failed"] += 1
        logger.warning("stalled job %s (%s): %s; %s", lost.id, lost.task_name, lost.reason, decision)
    return counts


def _settle(lost: LostJob, decision: str) -> None:
    with connection.cursor() as cur:
        if decision == RETRY:
            cur.execute(
                procrastinate_sql.queries["retry_job"],
                {"job_id": lost.id, "retry_at": None, "new_priority": None, "new_queue_name": None, "new_lock": None},
            )
        else:
            cur.execute(procrastinate_sql.queries["finish_job"], {"job_id": lost.id, "status": "failed",
                                                                  "delete_job": False})  # fmt: skip
