"""Proposals: changes someone wants made to a database or to code, their history and apply attempts."""

from django.conf import settings
from django.db import models


class Proposal(models.Model):
    """A change someone wants made to a database or to code, and where it stands."""

    class Kind(models.TextChoices):
        INDEX = "index", "Index"
        REWRITE = "rewrite", "Query rewrite"
        DDL = "ddl", "Schema change (DDL)"
        # One INSERT, UPDATE, DELETE or MERGE: applied in a transaction on a writable, non-production connection.
        DATA = "data", "Data change (DML)"

    class State(models.TextChoices):
        # A change the assistant suggested: nobody is asked until its user accepts it (then: proposed).
        DRAFT = "draft"
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
    # For schema changes and indexes: migration_safety's review (locks, what they block, findings).
    safety_review = models.JSONField(default=dict, blank=True)
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
    # A data change: the most rows the approvers agreed it may change (applying more rolls it back), and the
    # rows it really changed once applied.
    row_limit = models.PositiveBigIntegerField(null=True, blank=True)
    rows_changed = models.PositiveBigIntegerField(null=True, blank=True)
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
    rows_changed = models.PositiveBigIntegerField(
        null=True, blank=True
    )  # a data change's rowcount, even if rolled back
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
