"""A frozen target (it let us in, then stopped answering) never hangs a request: 504 naming the deadline.

Every wait is bounded by the test itself too (a thread joined with a timeout), so a regression fails
instead of hanging the suite.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from schema_metadata import target
from schema_metadata.models import DatabaseConnection
from schema_metadata.tests.fake_pg import fake_server

pytestmark = pytest.mark.django_db

BOUND_S = 60  # far above the 2 s deadline the tests set, far below "forever"


@pytest.fixture
def short_deadline(settings):
    settings.TARGET_ALLOW_LOCAL = True
    settings.TARGET_STATEMENT_TIMEOUT_MS = 1000
    settings.TARGET_CLIENT_DEADLINE_GRACE_S = 1
    return settings


def _bounded(call):
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc
        finally:
            connections.close_all()  # this thread's own: left to the garbage collector, it outlives the test

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND_S)
    assert not thread.is_alive(), f"still waiting after {BOUND_S} s: the call hangs"
    return outcome


def test_a_session_on_a_frozen_server_times_out_and_closes(short_deadline):
    with fake_server("frozen") as port:
        url = f"postgresql://app:pw@127.0.0.1:{port}/shop?sslmode=disable"

        def use():
            with target.session(url) as conn:
                conn.execute("SELECT 1")

        outcome = _bounded(use)
    error = outcome.get("error")
    assert isinstance(error, target.TargetTimeout), outcome
    assert error.status_code == 504 and error.code == "target_deadline"
    assert "client-side deadline of 2 s" in error.detail


def test_a_plain_connection_has_the_deadline_too(short_deadline):
    url = "postgresql://app:pw@127.0.0.1:{}/shop?sslmode=disable"
    with fake_server("frozen") as port:
        # The first statement on a new connection (the check that it is not DBooster's own database) freezes.
        outcome = _bounded(lambda: target.connect(url.format(port), autocommit=True).execute("SELECT 1"))
    assert isinstance(outcome.get("error"), target.TargetTimeout), outcome
    assert outcome["error"].code == "target_deadline"


@pytest.mark.django_db(transaction=True)
def test_explain_on_a_frozen_target_answers_504(short_deadline, member_client, project):
    with fake_server("frozen") as port:
        DatabaseConnection.objects.create(
            project=project,
            name="frozen",
            url=f"postgresql://app:pw@127.0.0.1:{port}/shop?sslmode=disable",
            environment="development",
            is_default=True,
        )
        outcome = _bounded(
            lambda: member_client.post("/query/explain", {"query": "SELECT 1", "project": project.id}, format="json")
        )
    response = outcome["value"]
    assert response.status_code == 504, response.json()
    body = response.json()
    assert body["code"] == "target_deadline" and "client-side deadline" in body["detail"]
