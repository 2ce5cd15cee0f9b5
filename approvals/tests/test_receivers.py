"""Notifications for scans, schema syncs and invitations, sent through the other apps' signals."""

import pytest

from approvals.receivers import on_invitation_saved
from notifications.models import Notification
from organizations.services import invitation_create
from repositories.models import ScanRun
from repositories.signals import scan_finished
from schema_metadata.models import SchemaSync
from schema_metadata.signals import schema_sync_finished
from tests.factories import OrganizationFactory, UserFactory


@pytest.fixture
def scan(project, member):
    return ScanRun.objects.create(
        project=project, source="github", repo_url="https://github.com/acme/shop", created_by=member, queries_found=12
    )


def test_scan_finished_and_failed(scan, member):
    scan.status = "succeeded"
    scan_finished.send(sender=type(scan), scan=scan)
    note = Notification.objects.get(recipient=member)
    assert note.kind == "scan_finished"
    assert note.title == "Scan of https://github.com/acme/shop finished" and "12 queries" in note.body
    scan.status, scan.error = "failed", "The archive is larger than 200 MB."
    scan_finished.send(sender=type(scan), scan=scan)
    failed = Notification.objects.get(recipient=member, kind="scan_failed")
    assert "200 MB" in failed.body


def test_schema_sync_finished_and_failed(project, member, make_connection):
    connection = make_connection("postgresql://app@db.example.com/shop", name="shop")
    sync = SchemaSync.objects.create(project=project, connection=connection, requested_by=member, status="succeeded")
    schema_sync_finished.send(sender=SchemaSync, sync=sync)
    sync.status, sync.error = "failed", "permission denied for schema private"
    schema_sync_finished.send(sender=SchemaSync, sync=sync)
    notes = {n.kind: n for n in Notification.objects.filter(recipient=member)}
    assert notes["schema_sync_finished"].title == "Schema sync of shop finished"
    assert notes["schema_sync_failed"].body == "permission denied for schema private"


def test_nobody_to_tell_when_nobody_started_it(project, make_connection):
    connection = make_connection("postgresql://app@db.example.com/shop")
    sync = SchemaSync.objects.create(project=project, connection=connection, status="succeeded")
    schema_sync_finished.send(sender=SchemaSync, sync=sync)
    assert Notification.objects.count() == 0


class TestInvitationNotification:
    def test_existing_account_is_notified_once(self, admin_user, org):
        outsider = UserFactory(organization=OrganizationFactory(), email="someone@example.org")
        invitation = invitation_create(org=org, email="Someone@Example.org", role="member", invited_by=admin_user)
        notes = Notification.objects.filter(recipient=outsider, kind="invitation")
        assert notes.count() == 1
        assert org.name in notes[0].title
        # A second call (e.g. the organizations service notifying as well) does not duplicate it.
        on_invitation_saved(sender=None, instance=invitation, created=True)
        assert notes.count() == 1

    def test_no_account_no_notification(self, admin_user, org):
        invitation_create(org=org, email="nobody@example.org", role="viewer", invited_by=admin_user)
        assert Notification.objects.filter(kind="invitation").count() == 0
