"""Applying approved changes on a real target database, with a real worker."""

import threading

import psycopg
import pytest
from django.db import IntegrityError, close_old_connections, transaction

from approvals import services
from approvals.models import ApplyAttempt, Proposal
from approvals.tests.conftest import index_rows
from audit.models import AuditEvent
from dbooster.errors import Conflict
from dbooster.testing import run_pending_jobs
from notifications.models import Notification
from schema_metadata.models import DatabaseConnection
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team():
    org = OrganizationFactory()
    return {
        "org": org,
        "admin": UserFactory(organization=org, role="admin"),
        "member": UserFactory(organization=org, role="member"),
        "project": ProjectFactory(organization=org),
    }


@pytest.fixture
def connect_target(team):
    def make(url, *, environment="development", read_only=False):
        return DatabaseConnection.objects.create(
            project=team["project"],
            name=f"{environment}-{read_only}",
            url=url,
            environment=environment,
            read_only=read_only,
        )

    return make


def approved(team, connection, sql, kind="index"):
    proposal = services.proposal_submit_sql(
        actor=team["member"], kind=kind, sql=sql, reason="Speeds up the title search.", connection_id=connection.pk
    )
    return services.proposal_approve(proposal=proposal, actor=team["admin"], comment="go")


def test_index_is_built_concurrently_and_recorded(team, connect_target, film_db):
    proposal = approved(team, connect_target(film_db), "CREATE INDEX film_title_idx ON film (title)")
    attempt = services.proposal_apply(proposal=proposal, actor=team["admin"])
    assert attempt.status == "queued"
    run_pending_jobs()
    proposal.refresh_from_db()
    attempt.refresh_from_db()
    assert proposal.state == "applied", proposal.apply_error
    assert proposal.applied_at is not None
    assert attempt.status == "succeeded"
    assert attempt.statement == "CREATE INDEX CONCURRENTLY film_title_idx ON film (title)"
    assert index_rows(film_db) == [("film_title_idx", True)]
    assert [e.to_state for e in proposal.events.all()] == ["proposed", "approved", "applied"]
    assert Notification.objects.filter(recipient=team["member"], kind="proposal_applied").count() == 1
    assert (
        AuditEvent.objects.filter(action="approval.apply", outcome="success", target_id=str(proposal.pk)).count() == 1
    )
    with pytest.raises(Conflict) as exc:
        services.proposal_apply(proposal=proposal, actor=team["admin"])
    assert exc.value.code == "already_applied"


def test_unnamed_index_gets_a_name_we_can_find(team, connect_target, film_db):
    proposal = approved(team, connect_target(film_db), "CREATE INDEX ON film (rating, title)")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "applied"
    assert index_rows(film_db) == [(f"dbooster_proposal_{proposal.pk}_idx", True)]


def test_apply_twice_at_the_same_moment_builds_once(team, connect_target, film_db):
    proposal = approved(team, connect_target(film_db), "CREATE INDEX film_title_idx ON film (title)")
    barrier = threading.Barrier(2)
    outcomes = []

    def apply():
        try:
            barrier.wait(timeout=10)
            services.proposal_apply(proposal=Proposal.objects.get(pk=proposal.pk), actor=team["admin"])
            outcomes.append("queued")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["apply_in_progress", "queued"]
    assert ApplyAttempt.objects.filter(proposal=proposal).count() == 1
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "applied"
    assert index_rows(film_db) == [("film_title_idx", True)]
    # A second run of the same job (a retry, a second worker) does nothing.
    attempt = ApplyAttempt.objects.get(proposal=proposal)
    assert services.run_apply_attempt(attempt_id=attempt.pk) == "skipped"


def test_unique_constraint_backs_up_the_lock(team, connect_target, film_db):
    proposal = approved(team, connect_target(film_db), "CREATE INDEX film_title_idx ON film (title)")
    ApplyAttempt.objects.create(proposal=proposal)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplyAttempt.objects.create(proposal=proposal, status="running")
    # A failed attempt does not block a retry.
    ApplyAttempt.objects.filter(proposal=proposal).update(status="failed")
    ApplyAttempt.objects.create(proposal=proposal)


def test_failed_unique_build_is_cleaned_up(team, connect_target, film_db):
    proposal = approved(team, connect_target(film_db), "CREATE UNIQUE INDEX film_title_key ON film (title)")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    run_pending_jobs()
    proposal.refresh_from_db()
    attempt = proposal.attempts.get()
    assert proposal.state == "failed"
    assert "could not create unique index" in proposal.apply_error
    assert "film_title_key" in proposal.apply_error
    assert "INVALID index public.film_title_key" in attempt.cleanup and "dropped" in attempt.cleanup
    assert index_rows(film_db) == []  # no invalid index left behind
    assert Notification.objects.filter(recipient=team["member"], kind="proposal_failed").count() == 1
    failure = AuditEvent.objects.get(action="approval.apply", outcome="failure")
    assert failure.metadata["sqlstate"] == "23505"
    event = proposal.events.last()
    assert event.to_state == "failed" and "could not create unique index" in event.comment


def test_lock_timeout_leaves_an_invalid_index_that_is_dropped(team, connect_target, film_db, settings):
    """A writer holding its transaction open makes the build's wait time out after the index exists."""
    settings.APPROVAL_APPLY_LOCK_TIMEOUT_MS = 300
    proposal = approved(team, connect_target(film_db), "CREATE INDEX film_rating_idx ON film (rating)")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    blocker = psycopg.connect(film_db)
    blocker.execute("INSERT INTO film (title) VALUES ('blocking writer')")  # holds ROW EXCLUSIVE until commit
    release = threading.Thread(target=_release_when_cleanup_waits, args=(film_db, blocker))
    release.start()
    try:
        run_pending_jobs()
    finally:
        release.join()
        blocker.close()
    proposal.refresh_from_db()
    attempt = proposal.attempts.get()
    assert proposal.state == "failed"
    assert "lock timeout" in proposal.apply_error
    assert "INVALID index public.film_rating_idx" in attempt.cleanup
    assert index_rows(film_db) == []


def _release_when_cleanup_waits(url, blocker, timeout=30.0):
    """Let the writer go once the build has given up and its cleanup (DROP INDEX CONCURRENTLY) waits."""
    import time

    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query ILIKE 'DROP INDEX CONCURRENTLY%'"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
    blocker.rollback()


def test_read_only_connection_answers_409(team, connect_target, film_db, client_for):
    proposal = approved(team, connect_target(film_db, read_only=True), "CREATE INDEX ON film (title)")
    response = client_for(team["admin"]).post(f"/approvals/{proposal.pk}/apply")
    assert response.status_code == 409
    assert response.json()["code"] == "read_only_connection"
    assert "never writes" in response.json()["detail"]
    run_pending_jobs()
    assert index_rows(film_db) == []


def test_connection_turned_read_only_after_queueing_is_still_refused(team, connect_target, film_db):
    connection = connect_target(film_db)
    proposal = approved(team, connection, "CREATE INDEX ON film (title)")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    connection.read_only = True
    connection.save()
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "failed" and "read-only" in proposal.apply_error
    assert index_rows(film_db) == []


def test_retry_after_failure(team, connect_target, film_db):
    proposal = approved(team, connect_target(film_db), "CREATE UNIQUE INDEX film_title_key ON film (title)")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    run_pending_jobs()
    with psycopg.connect(film_db, autocommit=True) as conn:
        conn.execute("DELETE FROM film WHERE id NOT IN (SELECT min(id) FROM film GROUP BY title)")
    services.proposal_apply(proposal=Proposal.objects.get(pk=proposal.pk), actor=team["admin"], comment="deduplicated")
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "applied"
    assert index_rows(film_db) == [("film_title_key", True)]
    assert [e.to_state for e in proposal.events.all()] == ["proposed", "approved", "failed", "approved", "applied"]


def test_ddl_applied_on_development(team, connect_target, film_db, client_for):
    sql = "ALTER TABLE film ADD COLUMN released date; CREATE TABLE film_note (film_id int REFERENCES film (id))"
    proposal = approved(team, connect_target(film_db, environment="staging"), sql, kind="ddl")
    response = client_for(team["admin"]).post(f"/approvals/{proposal.pk}/apply", {"comment": "now"}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["attempts"][0]["status"] == "queued"
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "applied", proposal.apply_error
    with psycopg.connect(film_db) as conn:
        assert conn.execute("SELECT to_regclass('film_note') IS NOT NULL").fetchone()[0]
        columns = [
            r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'film'")
        ]
    assert "released" in columns


def test_failed_ddl_is_all_or_nothing(team, connect_target, film_db):
    sql = "CREATE TABLE film_note (id int); ALTER TABLE no_such_table ADD COLUMN x int"
    proposal = approved(team, connect_target(film_db), sql, kind="ddl")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "failed"
    assert 'relation "no_such_table" does not exist' in proposal.apply_error
    with psycopg.connect(film_db) as conn:
        assert conn.execute("SELECT to_regclass('film_note')").fetchone()[0] is None


def test_ddl_on_production_is_exported_not_applied(team, connect_target, film_db, client_for):
    proposal = approved(
        team, connect_target(film_db, environment="production"), "ALTER TABLE film ADD COLUMN released date", kind="ddl"
    )
    client = client_for(team["admin"])
    response = client.post(f"/approvals/{proposal.pk}/apply")
    assert response.status_code == 409 and response.json()["code"] == "production_export_only"
    sql_file = client.get(f"/approvals/{proposal.pk}/export", {"format": "sql"})
    assert sql_file.status_code == 200
    assert "attachment" in sql_file["Content-Disposition"]
    text = sql_file.content.decode()
    assert "BEGIN;" in text and "ALTER TABLE film ADD COLUMN released date;" in text and "COMMIT;" in text
    # The exported SQL file runs as is.
    with psycopg.connect(film_db, autocommit=True) as conn:
        conn.execute(text)
        assert (
            conn.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'film' AND column_name = 'released'"
            ).fetchone()[0]
            == 1
        )
    django_file = client.get(f"/approvals/{proposal.pk}/export", {"format": "django"})
    code = django_file.content.decode()
    compile(code, "migration.py", "exec")
    assert "migrations.RunSQL(" in code and "ALTER TABLE film ADD COLUMN released date;" in code


def test_lost_worker_attempt_can_be_retried_and_its_leftover_is_dropped(team, connect_target, film_db, settings):
    """A worker killed mid-build leaves a 'running' attempt and an INVALID index; a later apply recovers."""
    from datetime import timedelta

    from django.utils import timezone

    settings.APPROVAL_APPLY_STATEMENT_TIMEOUT_MS = 1000
    proposal = approved(team, connect_target(film_db), "CREATE INDEX film_title_idx ON film (title)")
    lost = ApplyAttempt.objects.create(
        proposal=proposal, status="running", started_at=timezone.now() - timedelta(minutes=10)
    )
    with psycopg.connect(film_db, autocommit=True) as conn:  # what the lost build left behind
        conn.execute("CREATE INDEX film_title_idx ON film (title)")
        conn.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'film_title_idx'::regclass")
    assert index_rows(film_db) == [("film_title_idx", False)]
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    run_pending_jobs()
    lost.refresh_from_db()
    proposal.refresh_from_db()
    assert lost.status == "failed" and "stopped answering" in lost.error
    assert proposal.state == "applied", proposal.apply_error
    assert index_rows(film_db) == [("film_title_idx", True)]
    assert "INVALID index public.film_title_idx" in proposal.attempts.get(status="succeeded").cleanup


def test_statement_timeout_stops_a_long_build_and_it_is_cleaned_up(team, connect_target, film_db, settings):
    """The build runs under statement_timeout: a build that takes too long is cancelled, and its INVALID
    leftover dropped, instead of holding the worker for ever."""
    settings.APPROVAL_APPLY_STATEMENT_TIMEOUT_MS = 400
    with psycopg.connect(film_db, autocommit=True) as conn:
        # 2,000 rows at 10 ms each: a build of about 20 seconds.
        conn.execute(
            "CREATE FUNCTION slow_key(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.01); RETURN t; END $$"
        )
    proposal = approved(team, connect_target(film_db), "CREATE INDEX film_slow_idx ON film (slow_key(title))")
    services.proposal_apply(proposal=proposal, actor=team["admin"])
    run_pending_jobs()
    proposal.refresh_from_db()
    assert proposal.state == "failed"
    assert "statement timeout" in proposal.apply_error
    assert index_rows(film_db) == []
