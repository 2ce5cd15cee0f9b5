import re

import pytest
from django.core import mail

from dbooster.testing import job_status, run_pending_jobs
from organizations import services
from organizations.models import Invitation


@pytest.mark.django_db(transaction=True)
def test_invitation_email_is_sent_by_a_real_worker(admin_client, org):
    response = admin_client.post(
        "/organizations/current/invitations", {"email": "New.Person@Example.com", "role": "viewer"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert mail.outbox == []  # queued, not sent inline

    outcome = run_pending_jobs()

    assert outcome.get("succeeded", 0) >= 1, outcome
    invitation_id = response.json()["id"]
    assert job_status("organizations.send_invitation_email", invitation_id=invitation_id) == ["succeeded"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert org.name in message.subject
    invitation = Invitation.objects.get(email="new.person@example.com")
    link = services.invitation_link(invitation)
    assert link in message.body
    assert re.search(r"/app/invitations/accept/\?token=[\w-]+", message.body)


@pytest.mark.django_db(transaction=True)
def test_revoked_before_the_job_runs_sends_nothing(admin_client):
    created = admin_client.post("/organizations/current/invitations", {"email": "gone@example.com"}, format="json")
    assert created.status_code == 201
    assert admin_client.delete(f"/organizations/current/invitations/{created.json()['id']}").status_code == 204

    outcome = run_pending_jobs(queues=["email"])

    assert outcome.get("succeeded", 0) >= 1, outcome
    assert job_status("organizations.send_invitation_email", invitation_id=created.json()["id"]) == ["succeeded"]
    assert [m for m in mail.outbox if "gone@example.com" in m.to] == []
