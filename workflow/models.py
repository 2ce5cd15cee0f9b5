from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Someone tried to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only: events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only: events cannot be deleted.")


class AuditEvent(models.Model):
    """One thing someone did that changed something or touched a user's database.

    Append-only: the model refuses updates and deletes, and a PostgreSQL trigger
    (migration 0002) refuses them for anything else that talks to the table. Never
    holds a secret (workflow.audit scrubs metadata before writing).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success"
        FAILURE = "failure"
        DENIED = "denied"

    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True, default="")
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_repr = models.CharField(max_length=300, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "audit_log"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only: events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only: events cannot be deleted.")


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


class Notification(models.Model):
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


class Proposal(models.Model):
    """A change someone wants made to a database or to code, and where it stands."""

    class Kind(models.TextChoices):
        INDEX = "index", "Index"
        REWRITE = "rewrite", "Query rewrite"
        DDL = "ddl", "Schema change (DDL)"

    class State(models.TextChoices):
        PROPOSED = "proposed"
        APPROVED = "approved"
        REJECTED = "rejected"
        APPLIED = "applied"
        FAILED = "failed"
        WITHDRAWN = "withdrawn"

    OPEN_STATES = (State.PROPOSED, State.APPROVED)

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    sql = models.TextField()
    reason = models.TextField(blank=True, default="")
    # What argues for the change: costs and times before/after, verification, the query it speeds up.
    evidence = models.JSONField(default=dict, blank=True)
    source_suggestion = models.ForeignKey(
        "optimizer.Suggestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    # Where the query was found by a scan (rewrites are exported as a patch against it).
    source_occurrence = models.ForeignKey(
        "repositories.QueryOccurrence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_file = models.CharField(max_length=1000, blank=True, default="")
    source_line = models.PositiveIntegerField(null=True, blank=True)
    source_context = models.TextField(blank=True, default="")  # the code lines around source_line
    source_context_start = models.PositiveIntegerField(null=True, blank=True)  # line number of its first line
    original_query = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROPOSED)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    apply_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "proposals"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "state", "-created_at"], name="proposal_inbox")]
        constraints = [
            # One open proposal per suggestion: submitting it twice would ask admins twice.
            models.UniqueConstraint(
                fields=["source_suggestion"],
                condition=models.Q(state__in=["proposed", "approved"]),
                name="one_open_proposal_per_suggestion",
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"


class ProposalEvent(models.Model):
    """One change of state: who, when, from what to what, and why."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True, default="")
    from_state = models.CharField(max_length=16, blank=True, default="")
    to_state = models.CharField(max_length=16)
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "proposal_events"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.proposal_id}: {self.from_state or '-'} → {self.to_state}"


class ApplyAttempt(models.Model):
    """One run of an approved change on its target, by the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    LIVE = (Status.QUEUED, Status.RUNNING, Status.SUCCEEDED)

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attempts")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    statement = models.TextField(blank=True, default="")  # what was sent to the database
    error = models.TextField(blank=True, default="")
    cleanup = models.TextField(blank=True, default="")  # what was undone after a failure
    job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "proposal_apply_attempts"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Never twice: at most one queued, running or successful attempt per proposal.
            models.UniqueConstraint(
                fields=["proposal"],
                condition=models.Q(status__in=["queued", "running", "succeeded"]),
                name="one_live_apply_per_proposal",
            )
        ]

    def __str__(self):
        return f"apply {self.pk} of proposal {self.proposal_id} ({self.status})"
