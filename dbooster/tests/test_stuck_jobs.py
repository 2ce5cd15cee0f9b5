"""A worker killed mid-job never leaves its row `running` forever, nor its scratch files on disk.

A real `manage.py procrastinate worker` process takes a scan; the scan blocks deterministically on a table
lock this test holds (so it is provably mid-scan, scratch files on disk); the worker is SIGKILLed; the time
without heartbeat is aged in the database (no sleeping); /health reports the stuck job; the recovery fails the
scan with the reason and removes its files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as django_connection

from audit.models import AuditEvent
from conftest import url_for_database
from dbooster import jobs
from dbooster.testing import job_status
from repositories.models import ScanRun
from repositories.tests.conftest import SAMPLE_FILES, make_tarball
from schema_metadata import services as schema_services
from schema_metadata.models import SchemaSync

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 180  # a bound on waiting for a state, never a timing assumption


def _wait_for(condition, what: str):
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never reached: {what}")


@pytest.fixture
def scan_dirs(settings, tmp_path):
    settings.SCAN_SCRATCH_DIR = tmp_path / "scratch"
    settings.SCAN_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path


def _start_worker(queues: str, scan_dirs: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": url_for_database(django_connection.settings_dict["NAME"]),
        "SCAN_SCRATCH_DIR": str(scan_dirs / "scratch"),
        "SCAN_UPLOAD_DIR": str(scan_dirs / "uploads"),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", queues],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _waiting_on_a_lock() -> bool:
    with django_connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cur.fetchone()[0] > 0


def _age_worker_heartbeats() -> None:
    """What time does to a dead worker's heartbeat, without waiting for it."""
    with django_connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")


def _kill(worker: subprocess.Popen) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=BOUND_S)


def _end_what_it_left(worker: subprocess.Popen) -> None:
    """The killed worker's scan pool (the forkserver and its children) lives on, orphaned, in the worker's own
    session: end it, so no process of this test outlives the test (the resource tracker then exits by itself)."""
    try:
        os.killpg(worker.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # nothing left


def test_a_scan_whose_worker_is_killed_fails_with_the_reason_and_leaves_no_files(
    scan_dirs, member_client, project, api_client
):
    upload = SimpleUploadedFile("code.tar.gz", make_tarball(SAMPLE_FILES))
    response = member_client.post("/repos/scan/upload", {"file": upload, "project": project.pk}, format="multipart")
    assert response.status_code == 202, response.json()
    scan_id = response.json()["id"]
    url = url_for_database(django_connection.settings_dict["NAME"])
    blocker = psycopg.connect(url)
    blocker.execute("LOCK TABLE extracted_queries, query_occurrences, rejected_candidates IN ACCESS EXCLUSIVE MODE")
    worker = _start_worker("scans", scan_dirs)
    try:
        _wait_for(lambda: ScanRun.objects.get(pk=scan_id).status == "running", "the scan running")
        scratch = _wait_for(lambda: list((scan_dirs / "scratch").glob(f"scan-{scan_id}-*")), "scratch files")
        _wait_for(_waiting_on_a_lock, "the scan blocked mid-way on the test's lock")
        _kill(worker)
    finally:
        if worker.poll() is None:
            _kill(worker)
        _end_what_it_left(worker)
        blocker.rollback()
        blocker.close()
    assert ScanRun.objects.get(pk=scan_id).status == "running"  # what a dead worker leaves behind
    assert job_status("repositories.run_scan", scan_id=scan_id) == ["doing"]
    _age_worker_heartbeats()

    queue = api_client.get("/health").json()["queue"]
    assert queue["stuck"] == 1 and queue["status"] == "stuck_jobs"

    assert jobs.recover_stalled_jobs()["failed"] == 1
    scan = ScanRun.objects.get(pk=scan_id)
    assert scan.status == "failed" and "stopped" in scan.error and "heartbeat" in scan.error, scan.error
    assert job_status("repositories.run_scan", scan_id=scan_id) == ["failed"]
    assert all(not path.exists() for path in scratch)
    assert list((scan_dirs / "uploads").iterdir()) == []
    assert AuditEvent.objects.filter(action="scan.finish", outcome="failure").exists()
    assert api_client.get("/health").json()["queue"]["stuck"] == 0
    assert jobs.recover_stalled_jobs() == {"retried": 0, "failed": 0}  # nothing left to do


def test_a_sync_whose_worker_died_is_retried_once_then_failed(project, orders_connection):
    sync = schema_services.sync_request(project=project, defer=True)
    _take_and_die("schema_metadata.run_schema_sync")
    SchemaSync.objects.filter(pk=sync.pk).update(status="running")
    assert jobs.recover_stalled_jobs()["retried"] == 1
    assert SchemaSync.objects.get(pk=sync.pk).status == "queued"
    assert job_status("schema_metadata.run_schema_sync", sync_id=sync.pk) == ["todo"]
    # Lost a second time: failed with the reason, never `running` forever.
    _take_and_die("schema_metadata.run_schema_sync")
    SchemaSync.objects.filter(pk=sync.pk).update(status="running")
    assert jobs.recover_stalled_jobs()["failed"] == 1
    failed = SchemaSync.objects.get(pk=sync.pk)
    assert failed.status == "failed" and "heartbeat" in failed.error
    assert job_status("schema_metadata.run_schema_sync", sync_id=sync.pk) == ["failed"]


def _take_and_die(task_name: str) -> None:
    """What a worker that took the jobs of `task_name` and was then killed leaves behind."""
    with django_connection.cursor() as cur:
        cur.execute("SELECT procrastinate_register_worker_v1()")
        worker_id = cur.fetchone()[0]
        cur.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE task_name = %s",
            [worker_id, task_name],
        )
    _age_worker_heartbeats()


def test_an_apply_whose_worker_died_fails_visibly_with_its_proposal(admin_user, member, orders_connection):
    from approvals import services as approvals_services
    from approvals.models import ApplyAttempt
    from schema_metadata.models import DatabaseConnection

    DatabaseConnection.objects.filter(pk=orders_connection.pk).update(read_only=False)
    proposal = approvals_services.proposal_submit_sql(
        actor=member, kind="index", sql="CREATE INDEX orders_total_idx ON orders (total)", reason="faster",
        connection_id=orders_connection.pk,
    )  # fmt: skip
    proposal = approvals_services.proposal_approve(proposal=proposal, actor=admin_user, comment="go")
    attempt = approvals_services.proposal_apply(proposal=proposal, actor=admin_user)
    _take_and_die(approvals_services.APPLY_TASK)
    ApplyAttempt.objects.filter(pk=attempt.pk).update(status="running")
    assert jobs.recover_stalled_jobs()["failed"] == 1
    attempt.refresh_from_db()
    proposal.refresh_from_db()
    assert attempt.status == "failed" and "stopped" in attempt.error and attempt.finished_at is not None
    assert proposal.state == "failed" and "heartbeat" in proposal.apply_error
    assert job_status(approvals_services.APPLY_TASK, attempt_id=attempt.pk) == ["failed"]
