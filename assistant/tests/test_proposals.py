"""The agent's changes: a draft until accepted (submitted, or approved and queued where allowed), or cancelled."""

import psycopg
import pytest

from approvals import services
from approvals.models import ApplyAttempt, Proposal
from approvals.tests.test_data_change import create_accounts
from schema_metadata import services as metadata_services
from schema_metadata.models import DatabaseConnection

pytestmark = pytest.mark.django_db

INDEX = "CREATE INDEX rental_return_date_idx ON rental (return_date)"


@pytest.fixture
def draft_by(pagila, fake_openai, client_for):
    def make(user):
        fake_openai.tool_calls(("propose_change", {"kind": "index", "sql": INDEX, "reason": "late returns"}))
        fake_openai.text("Proposed.")
        response = client_for(user).post(
            f"/projects/{pagila.project_id}/assistant/messages", {"question": "speed up late returns"}, format="json"
        )
        b"".join(response.streaming_content)
        return Proposal.objects.latest("id")

    return make


def test_a_draft_asks_nobody_until_accepted(member, admin_user, project, draft_by, client_for):
    proposal = draft_by(member)
    assert proposal.state == "draft"
    assert admin_user.notifications.count() == 0  # nobody is asked about a draft
    response = client_for(member).post(f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["proposal"]["state"] == "proposed" and body["applying"] is None
    assert "Only admins" in body["note"]
    assert admin_user.notifications.filter(kind="approval_requested").count() == 1


def test_an_admin_accepting_on_a_writable_connection_approves_and_queues_the_apply(
    admin_user, project, draft_by, client_for
):
    proposal = draft_by(admin_user)
    body = client_for(admin_user).post(f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/accept").json()
    assert body["proposal"]["state"] == "approved", body
    assert body["applying"] == ApplyAttempt.objects.get().pk


def test_on_a_read_only_connection_accept_stops_at_approved_and_says_why(
    admin_user, project, pagila, draft_by, client_for
):
    pagila.read_only = True
    pagila.save()
    proposal = draft_by(admin_user)
    body = client_for(admin_user).post(f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/accept").json()
    assert body["applying"] is None and "read-only" in body["note"] and ApplyAttempt.objects.count() == 0


def test_cancel_withdraws_and_a_second_accept_is_a_409(member, project, draft_by, client_for):
    proposal = draft_by(member)
    client = client_for(member)
    cancelled = client.post(f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "withdrawn"
    again = client.post(f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/accept")
    assert again.status_code == 409 and again.json()["code"] == "not_a_draft"


def test_only_the_assistants_proposals_are_reachable_here(member, project, pagila, client_for):
    other = services.proposal_submit_sql(
        actor=member, kind="index", sql=INDEX, reason="by hand", connection_id=pagila.pk, project_id=project.pk
    )
    response = client_for(member).post(f"/projects/{project.pk}/assistant/proposals/{other.pk}/accept")
    assert response.status_code == 404


# --- data changes: proposed by the SQL answer, accepted, applied --------------------------------------------

DELETE_CLOSED = "DELETE FROM account WHERE status = 'closed'"


@pytest.fixture
def accounts(project, scratch_database, settings):
    """A writable development database of its own (pagila is shared by the session): 1,000 accounts, 100 closed."""
    settings.TARGET_ALLOW_LOCAL = True
    create_accounts(scratch_database)
    connection = DatabaseConnection.objects.create(
        project=project,
        name="accounts",
        url=scratch_database,
        is_default=True,
        environment="development",
        read_only=False,
    )
    sync = metadata_services.sync_request(project=project, connection_id=connection.pk, defer=False)
    assert metadata_services.sync_execute(sync_id=sync.pk).status == "succeeded"
    return connection


def closed_accounts(connection) -> int:
    with psycopg.connect(connection.url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM account WHERE status = 'closed'").fetchone()[0]


def ask_sql(client, project, question):
    response = client.post(f"/projects/{project.pk}/assistant/sql", {"question": question, "run": True}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_data_change_answer_is_a_draft_the_admin_accepts_and_the_worker_applies(
    admin_user, project, accounts, fake_openai, client_for
):
    fake_openai.json({"sql": DELETE_CLOSED, "explanation": "Deletes the closed accounts."})
    client = client_for(admin_user)
    body = ask_sql(client, project, "delete the closed accounts")
    draft = body["proposal"]
    assert draft["kind"] == "data" and draft["state"] == "draft" and draft["estimated_rows"] == 100
    assert body["result"] is None and closed_accounts(accounts) == 100  # never run by the answer
    accepted = client.post(f"/projects/{project.pk}/assistant/proposals/{draft['id']}/accept").json()
    assert accepted["proposal"]["state"] == "approved" and accepted["applying"] is not None, accepted
    assert services.run_apply_attempt(attempt_id=accepted["applying"]) == "applied"
    assert Proposal.objects.get().state == "applied" and closed_accounts(accounts) == 0


def test_a_data_change_draft_is_cancelled(member, project, accounts, fake_openai, client_for):
    fake_openai.json({"sql": DELETE_CLOSED, "explanation": "Deletes the closed accounts."})
    client = client_for(member)
    draft = ask_sql(client, project, "delete the closed accounts")["proposal"]
    cancelled = client.post(f"/projects/{project.pk}/assistant/proposals/{draft['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "withdrawn"
    assert closed_accounts(accounts) == 100


def test_on_production_accepting_a_data_change_stops_at_approved_and_says_why(
    admin_user, project, accounts, fake_openai, client_for
):
    accounts.environment = "production"
    accounts.save()
    fake_openai.json({"sql": DELETE_CLOSED, "explanation": "Deletes the closed accounts."})
    client = client_for(admin_user)
    draft = ask_sql(client, project, "delete the closed accounts")["proposal"]
    body = client.post(f"/projects/{project.pk}/assistant/proposals/{draft['id']}/accept").json()
    assert body["applying"] is None and "production" in body["note"] and ApplyAttempt.objects.count() == 0
    assert closed_accounts(accounts) == 100


# --- a draft is its author's until accepted -----------------------------------------------------------------


def test_a_draft_is_invisible_to_everyone_else_until_its_author_accepts_it(
    member, admin_user, second_admin, project, draft_by, client_for, browser_for
):
    proposal = draft_by(member)
    mine, admin = client_for(member), client_for(admin_user)
    # Its author sees it; an admin of the same organization does not: not in the list, not by id, not approvable.
    assert [p["id"] for p in mine.get("/approvals").json()["results"]] == [proposal.pk]
    assert admin.get("/approvals").json()["results"] == []
    assert admin.get(f"/approvals?state=draft&project={project.pk}").json()["results"] == []
    assert admin.get(f"/approvals/{proposal.pk}").status_code == 404
    approve = admin.post(f"/approvals/{proposal.pk}/approve", {}, format="json")
    assert approve.status_code == 404
    for path in (f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/accept",
                 f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/cancel"):  # fmt: skip
        assert admin.post(path).status_code == 404
    pages = browser_for(admin_user)
    assert f"/app/approvals/{proposal.pk}/" not in pages.get("/app/approvals/").content.decode()
    assert pages.get(f"/app/approvals/{proposal.pk}/").status_code == 404
    assert Proposal.objects.get(pk=proposal.pk).state == "draft"

    # Accepted, it is submitted: now the organization sees it and another admin approves it.
    assert mine.post(f"/projects/{project.pk}/assistant/proposals/{proposal.pk}/accept").status_code == 200
    assert [p["id"] for p in admin.get("/approvals").json()["results"]] == [proposal.pk]
    assert f"/app/approvals/{proposal.pk}/" in pages.get("/app/approvals/").content.decode()
    approved = admin.post(f"/approvals/{proposal.pk}/approve", {}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"


def test_the_chat_proposes_a_data_change_as_a_draft_with_its_estimate(
    member, project, accounts, fake_openai, client_for
):
    fake_openai.tool_calls(("propose_change", {"kind": "data", "sql": DELETE_CLOSED, "reason": "closed for a year"}))
    fake_openai.text("I proposed deleting the closed accounts.")
    response = client_for(member).post(
        f"/projects/{project.pk}/assistant/messages", {"question": "clean up closed accounts"}, format="json"
    )
    text = b"".join(response.streaming_content).decode()
    proposal = Proposal.objects.get()
    assert proposal.kind == "data" and proposal.state == "draft" and proposal.evidence["estimated_rows"] == 100
    assert "event: proposal" in text and '"estimated_rows": 100' in text
    assert closed_accounts(accounts) == 100
