"""In-app notifications and each user's choice per kind."""

from django.conf import settings
from django.db import models

from dbooster.rows import LoadedWithoutInit


class NotificationKind(models.TextChoices):
    APPROVAL_REQUESTED = "approval_requested", "Approval requested"
    PROPOSAL_APPROVED = "proposal_approved", "Proposal approved"
    PROPOSAL_REJECTED = "proposal_rejected", "Proposal rejected"
    PROPOSAL_APPLIED = "proposal_applied", "Proposal applied"
    PROPOSAL_FAILED = "proposal_failed", "Proposal failed to apply"
    SCAN_FINISHED = "scan_finished", "Scan finished"
    SCAN_FAILED = "scan_failed", "Scan failed"
    SCHEMA_SYNC_FINISHED = "schema_sync_finished", "Schema sync finished"
    SCHEMA_SYNC_FAILED = "schema_sync_failed", "Schema sync failed"
    INVITATION = "invitation", "Invitation to an organization"


# Kinds that ask the recipient to do something: these are e-mailed unless turned off. An invitation
# is not among them: the organizations app already e-mails the accept link to the invited address.
ACTION_KINDS = frozenset({NotificationKind.APPROVAL_REQUESTED, NotificationKind.PROPOSAL_FAILED})


class Notification(LoadedWithoutInit, models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self):
        return f"{self.recipient_id}: {self.title}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; no row means the default (in-app on, e-mail for action kinds)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        db_table = "notification_preferences"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_user_kind")]

    def __str__(self):
        return f"{self.user_id} {self.kind}: in_app={self.in_app} email={self.email}"
