"""Optimization runs (a query's analyses, kept as project history) and their suggestions."""

from django.conf import settings
from django.db import models
from django.db.models import F


class OptimizationRun(models.Model):
    class PlanStatus(models.TextChoices):
        PLANNED = "planned", "Planned on the target"
        NO_CONNECTION = "no_connection", "No connection: lint and rewrites only"
        FAILED = "failed", "The target could not be planned"

    # No index of its own: `optrun_project_fp_latest` leads with it (a project's runs, its cascade on delete).
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="optimizations",
        db_index=False,
    )
    # Without a project (lint only) a run still belongs to the organization that asked.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="optimizations"
    )
    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="optimizations",
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    query = models.TextField()
    normalized = models.TextField(blank=True, default="")
    # Read only with its project (`optrun_project_fp_latest`): no index of its own, nor its LIKE twin, to keep up
    # on every run.
    fingerprint = models.CharField(max_length=32, blank=True, default="")
    findings = models.JSONField(default=list)
    plan_status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.NO_CONNECTION)
    plan_error = models.TextField(blank=True, default="")
    plan_before = models.JSONField(null=True, blank=True)
    plan_after = models.JSONField(null=True, blank=True)
    cost_before = models.FloatField(null=True, blank=True)
    measurement = models.CharField(max_length=16, blank=True, default="")  # hypopg | sandbox | estimate-only
    # AI: "used", "off" (not asked), or "failed"/"unavailable" with the reason.
    ai_status = models.CharField(max_length=16, blank=True, default="off")
    ai_reason = models.TextField(blank=True, default="")
    ai_model = models.CharField(max_length=200, blank=True, default="")
    notes = models.JSONField(default=list)
    rejected = models.JSONField(default=list)  # index candidates not kept, with why
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "optimization_runs"
        ordering = ["-created_at", "-id"]
        # A run's history (the same query's latest runs in its project, on every answer) reads the first rows of
        # this index: its cost does not grow with the number of runs kept.
        indexes = [
            models.Index(fields=["project", "fingerprint", "-created_at", "-id"], name="optrun_project_fp_latest")
        ]

    def __str__(self):
        return f"optimization {self.pk}"


class Suggestion(models.Model):
    class Kind(models.TextChoices):
        INDEX = "index"
        REWRITE = "rewrite"
        SETTING = "setting"

    class Verification(models.TextChoices):
        HYPOPG = "hypopg"
        SANDBOX = "sandbox"
        RESULT_EQUIVALENCE = "result-equivalence"
        ESTIMATE_ONLY = "estimate-only"
        UNVERIFIED = "unverified"

    class Source(models.TextChoices):
        RULES = "rules"
        AI = "ai"

    run = models.ForeignKey(OptimizationRun, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sql = models.TextField()
    rationale = models.TextField(blank=True, default="")
    rule_id = models.CharField(max_length=64, blank=True, default="")
    cost_before = models.FloatField(null=True, blank=True)
    cost_after = models.FloatField(null=True, blank=True)
    time_before_ms = models.FloatField(null=True, blank=True)
    time_after_ms = models.FloatField(null=True, blank=True)
    speedup = models.FloatField(null=True, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    planner_used = models.CharField(max_length=200, blank=True, default="")
    verification = models.CharField(max_length=24, choices=Verification.choices, default=Verification.UNVERIFIED)
    verified = models.BooleanField(default=False)
    unverified_reason = models.TextField(blank=True, default="")
    advice_only = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.RULES)
    model_name = models.CharField(max_length=200, blank=True, default="")
    dropped = models.BooleanField(default=False)
    drop_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "optimization_suggestions"
        ordering = ["dropped", F("speedup").desc(nulls_last=True), "id"]

    def __str__(self):
        return f"{self.kind} suggestion {self.pk}"

    @property
    def connection(self):
        return self.run.connection

    @property
    def organization(self):
        return self.run.organization


class AICache(models.Model):
    """The model's answer for a query fingerprint and schema version: the same question is asked once."""

    fingerprint = models.CharField(max_length=32)
    schema_version = models.CharField(max_length=64)
    model_name = models.CharField(max_length=200)
    answer = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "optimizer_ai_cache"
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint", "schema_version", "model_name"], name="unique_ai_answer_per_schema"
            )
        ]

    def __str__(self):
        return f"AI answer for {self.fingerprint}"


class WorkloadImport(models.Model):
    """One import of pg_stat_statements from a connection."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="workload_imports")
    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection", on_delete=models.CASCADE, related_name="workload_imports"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    total_time_ms = models.FloatField(default=0)  # the database's whole time in pg_stat_statements
    advice = models.JSONField(null=True, blank=True)  # the workload index set, once advised
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workload_imports"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"workload {self.pk}"


class WorkloadQuery(models.Model):
    workload = models.ForeignKey(WorkloadImport, on_delete=models.CASCADE, related_name="queries")
    query = models.TextField()
    fingerprint = models.CharField(max_length=32, blank=True, default="")
    calls = models.BigIntegerField(default=0)
    total_time_ms = models.FloatField(default=0)
    mean_time_ms = models.FloatField(default=0)
    rows = models.BigIntegerField(default=0)
    share = models.FloatField(default=0)  # of the database's total time
    saving_ms = models.FloatField(null=True, blank=True)  # estimated time the advised indexes save
    extracted_query = models.ForeignKey(
        "repositories.ExtractedQuery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locations = models.JSONField(default=list)  # [{"file_path", "line"}]

    class Meta:
        db_table = "workload_queries"
        ordering = ["-total_time_ms", "id"]

    def __str__(self):
        return self.query[:80]
