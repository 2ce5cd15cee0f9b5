"""The agent's changes: a draft until accepted (submitted, or approved and queued where allowed), or cancelled."""

import pytest

from approvals import services
from approvals.models import ApplyAttempt, Proposal

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
