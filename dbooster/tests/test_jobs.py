"""Services queue jobs by task name (dbooster.jobs): every name they use is a registered task."""

import pytest
from procrastinate.contrib.django import app
from procrastinate.exceptions import TaskNotFound

from accounts.jobs import SEND_EMAIL_TASK as ACCOUNT_EMAIL_TASK
from approvals.services import APPLY_TASK
from billing.services import PROCESS_EVENT_TASK
from dbooster import jobs
from dbooster.testing import job_status
from notifications.services import SEND_EMAIL_TASK
from organizations.services import INVITATION_EMAIL_TASK
from repositories.services import RUN_SCAN_TASK
from schema_metadata.services import RUN_SYNC_TASK

NAMES = [
    ACCOUNT_EMAIL_TASK,
    APPLY_TASK,
    PROCESS_EVENT_TASK,
    SEND_EMAIL_TASK,
    INVITATION_EMAIL_TASK,
    RUN_SCAN_TASK,
    RUN_SYNC_TASK,
]


@pytest.mark.parametrize("name", NAMES)
def test_every_name_a_service_defers_is_a_task(name):
    assert name in app.tasks


@pytest.mark.django_db
def test_defer_queues_the_named_task_on_its_queue():
    job_id = jobs.defer(SEND_EMAIL_TASK, notification_id=41)
    assert job_id > 0
    assert job_status(SEND_EMAIL_TASK, notification_id=41) == ["todo"]
    assert app.tasks[SEND_EMAIL_TASK].queue == "email"


@pytest.mark.django_db
def test_an_unknown_name_is_refused_not_queued():
    with pytest.raises(TaskNotFound):
        jobs.defer("nowhere.no_such_task", x=1)
    assert job_status("nowhere.no_such_task", x=1) == []


def test_jobs_queued_under_the_old_workflow_names_still_run():
    assert app.tasks["workflow.send_notification_email"] is app.tasks[SEND_EMAIL_TASK]
    assert app.tasks["workflow.apply_proposal"] is app.tasks[APPLY_TASK]
