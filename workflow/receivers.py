"""Notifications for what other apps report through signals: scans, schema syncs, invitations.

Connected in WorkflowConfig.ready(). The signals live in other apps; while one does not
exist yet the matching receiver is simply not connected.
"""

from __future__ import annotations

import importlib
import logging

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from workflow.models import NotificationKind
from workflow.notifications import notify

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
        url=_invitation_url(instance),
        target=instance,
    )


def _invitation_url(invitation) -> str:
    try:
        from organizations.services import invitation_link

        return invitation_link(invitation)
    except ImportError:
        return "/app/organization/"


def _connect_signal(module_path: str, signal_name: str, receiver, uid: str) -> bool:
    try:
        module = importlib.import_module(module_path)
    except ImportError:
        logger.debug("%s does not exist yet; %s is not connected.", module_path, uid)
        return False
    signal = getattr(module, signal_name, None)
    if signal is None:
        return False
    signal.connect(receiver, dispatch_uid=uid)
    return True


def connect_all() -> None:
    from organizations.models import Invitation

    _connect_signal("repositories.signals", "scan_finished", on_scan_finished, "workflow.scan_finished")
    _connect_signal(
        "schema_metadata.signals", "schema_sync_finished", on_schema_sync_finished, "workflow.schema_sync_finished"
    )
    post_save.connect(on_invitation_saved, sender=Invitation, dispatch_uid="workflow.invitation_saved")
