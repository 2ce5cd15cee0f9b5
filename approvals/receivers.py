"""Notifications for what other apps report through signals: scans, schema syncs, invitations.

Connected in ApprovalsConfig.ready(). They live here, at the top, because they read the models of
the apps below (scans, syncs, invitations); notifications itself imports none of those apps.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from notifications.models import NotificationKind
from notifications.services import notify
from organizations.models import Invitation
from organizations.services import invitation_link
from repositories.signals import scan_finished
from schema_metadata.signals import schema_sync_finished

logger = logging.getLogger(__name__)

_FAILED_STATUSES = {"failed", "failure", "error", "errored"}


def _first_attr(obj, *names):
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _short(text: str, limit: int = 500) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def on_scan_finished(sender, scan=None, **kwargs):
    if scan is None:
        return
    user = _first_attr(scan, "created_by")
    if user is None:
        return
    failed = str(scan.status).lower() in _FAILED_STATUSES
    where = getattr(scan, "repo_url", "") or getattr(scan, "upload_name", "") or f"scan #{scan.pk}"
    if failed:
        title, body = f"Scan of {where} failed", _short(getattr(scan, "error", ""))
    else:
        found = getattr(scan, "queries_found", None)
        title = f"Scan of {where} finished"
        body = f"{found} queries found." if found is not None else ""
    notify(
        recipients=[user],
        kind=NotificationKind.SCAN_FAILED if failed else NotificationKind.SCAN_FINISHED,
        title=title,
        body=body,
        url=f"/app/projects/{scan.project_id}/" if getattr(scan, "project_id", None) else "",
        target=scan,
    )


def on_schema_sync_finished(sender, sync=None, **kwargs):
    if sync is None:
        return
    user = _first_attr(sync, "triggered_by", "created_by", "requested_by", "started_by", "user")
    if user is None:
        return
    failed = str(sync.status).lower() in _FAILED_STATUSES
    connection = getattr(sync, "connection", None)
    name = getattr(connection, "name", "") or "your database"
    notify(
        recipients=[user],
        kind=NotificationKind.SCHEMA_SYNC_FAILED if failed else NotificationKind.SCHEMA_SYNC_FINISHED,
        title=f"Schema sync of {name} {'failed' if failed else 'finished'}",
        body=_short(getattr(sync, "error", "")) if failed else "",
        url=f"/app/connections/{connection.pk}/" if connection is not None else "",
        target=sync,
    )


def on_invitation_saved(sender, instance=None, created=False, **kwargs):
    """Someone invited an address that already has an account: tell them in the app too."""
    if not created or instance is None or instance.status != "pending":
        return
    invitee = get_user_model().objects.filter(email__iexact=instance.email, is_active=True).first()
    if invitee is None or invitee.organization_id == instance.organization_id:
        return
    inviter = instance.invited_by.get_full_name() if instance.invited_by_id else "An admin"
    notify(
        recipients=[invitee],
        kind=NotificationKind.INVITATION,
        title=f"You are invited to join {instance.organization.name}",
        body=f"{inviter} invited you as {instance.role}. Accepting moves you into that organization.",
        url=invitation_link(instance),
        target=instance,
    )


def connect_all() -> None:
    scan_finished.connect(on_scan_finished, dispatch_uid="approvals.scan_finished")
    schema_sync_finished.connect(on_schema_sync_finished, dispatch_uid="approvals.schema_sync_finished")
    post_save.connect(on_invitation_saved, sender=Invitation, dispatch_uid="approvals.invitation_saved")
