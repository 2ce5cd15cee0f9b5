"""Moving workflow's models into audit, notifications and approvals keeps every row (and the audit trigger).

Migrates this test database back to where workflow last held the models, stores rows the old way, migrates
forward, then reads them through the new apps. The whole schema moves, so the test is transactional (its
own committed work, on this worker's own database) and always migrates forward again, even when it fails.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from approvals.models import ApplyAttempt, Proposal, ProposalEvent
from audit.models import AuditEvent
from notifications.models import Notification, NotificationPreference
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory

OLD_STATE = [("workflow", "0003_proposals"), ("audit", None), ("notifications", None), ("approvals", None)]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _store_the_old_way(old_apps, *, org, user, project) -> dict:
    """One row of each moved model, written through workflow's models as they were before the move."""
    model = lambda name: old_apps.get_model("workflow", name)  # noqa: E731
    event = model("AuditEvent").objects.create(
        organization_id=org.pk,
        actor_id=user.pk,
        actor_email=user.email,
        action="project.create",
        target_type="projects.project",
        target_id=str(project.pk),
        target_repr="shop",
        ip_address="10.0.0.7",
        metadata={"name": "shop"},
    )
    note = model("Notification").objects.create(
        recipient_id=user.pk, kind="approval_requested", title="Approve index on orders(status)", url="/app/approvals/"
    )
    pref = model("NotificationPreference").objects.create(user_id=user.pk, kind="scan_finished", email=False)
    proposal = model("Proposal").objects.create(
        organization_id=org.pk,
        project_id=project.pk,
        kind="index",
        title="Index on orders(status)",
        sql="CREATE INDEX ON orders (status)",
        evidence={"cost_before": 1000.0, "cost_after": 8.3},
        state="approved",
        proposer_id=user.pk,
    )
    change = model("ProposalEvent").objects.create(
        proposal_id=proposal.pk, actor_id=user.pk, actor_email=user.email, from_state="proposed", to_state="approved"
    )
    attempt = model("ApplyAttempt").objects.create(
        proposal_id=proposal.pk, requested_by_id=user.pk, status="failed", error="lock timeout"
    )
    return {
        AuditEvent: event.pk,
        Notification: note.pk,
        NotificationPreference: pref.pk,
        Proposal: proposal.pk,
        ProposalEvent: change.pk,
        ApplyAttempt: attempt.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_moving_the_models_out_of_workflow_keeps_every_row():
    org = OrganizationFactory()
    user = UserFactory(organization=org, role="admin")
    project = ProjectFactory(organization=org, created_by=user)
    audit_type = ContentType.objects.get_for_model(AuditEvent)
    leaves = _leaf_nodes()
    try:
        old = _migrate(OLD_STATE).loader.project_state(("workflow", "0003_proposals")).apps
        assert ContentType.objects.get(pk=audit_type.pk).app_label == "workflow"
        stored = _store_the_old_way(old, org=org, user=user, project=project)
    finally:
        _migrate(leaves)
    ContentType.objects.clear_cache()

    for new_model, pk in stored.items():
        assert new_model.objects.filter(pk=pk).exists(), f"{new_model.__name__} {pk} was lost"
    event = AuditEvent.objects.get(pk=stored[AuditEvent])
    assert (event.action, event.actor_email, event.organization_id, event.metadata) == (
        "project.create",
        user.email,
        org.pk,
        {"name": "shop"},
    )
    assert str(event.ip_address) == "10.0.0.7"
    proposal = Proposal.objects.get(pk=stored[Proposal])
    assert (proposal.state, proposal.project_id, proposal.evidence["cost_after"]) == ("approved", project.pk, 8.3)
    assert [e.to_state for e in proposal.events.all()] == ["approved"]
    assert [a.error for a in proposal.attempts.all()] == ["lock timeout"]
    assert Notification.objects.get(pk=stored[Notification]).recipient_id == user.pk
    assert NotificationPreference.objects.get(pk=stored[NotificationPreference]).email is False
    # Permissions and admin history keep pointing at the model: its content type moved with it.
    assert ContentType.objects.get(pk=audit_type.pk).app_label == "audit"
    # The audit log is still append-only for anything that talks to the table.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM audit_log WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()
