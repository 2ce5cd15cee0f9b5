"""The SQL editor's history and the project's shared snippets."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SqlRun(models.Model):
    """One statement run from the editor: kept whether it succeeded or not."""

    class Status(models.TextChoices):
        SUCCESS = "success"
        ERROR = "error"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="sql_runs")
    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection", null=True, on_delete=models.SET_NULL, related_name="sql_runs"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sql = models.TextField()
    fingerprint = models.CharField(max_length=32, blank=True, default="")
    statement_kind = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    error_position = models.IntegerField(null=True, blank=True)  # 1-based character in `sql`
    row_count = models.BigIntegerField(null=True, blank=True)
    truncated = models.BooleanField(default=False)
    committed = models.BooleanField(default=False)
    duration_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workbench_sql_runs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="sql_runs_project_recent")]

    def __str__(self):
        return f"sql run {self.pk} ({self.status})"

    @property
    def organization(self):
        return self.project.organization


class Snippet(models.Model):
    """A named statement shared by everyone in the project."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="sql_snippets")
    name = models.CharField(max_length=200)
    sql = models.TextField()
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "workbench_snippets"
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_snippet_name_per_project")]

    def __str__(self):
        return self.name

    @property
    def organization(self):
        return self.project.organization


class SensitiveColumn(models.Model):
    """A column an admin marked sensitive: masked below admin, never in the audit log, kept from the assistant."""

    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection", on_delete=models.CASCADE, related_name="sensitive_columns"
    )
    schema_name = models.CharField(max_length=63)
    table_name = models.CharField(max_length=63)
    column_name = models.CharField(max_length=63)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workbench_sensitive_columns"
        ordering = ["schema_name", "table_name", "column_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "schema_name", "table_name", "column_name"], name="unique_sensitive_column"
            )
        ]

    def __str__(self):
        return f"{self.schema_name}.{self.table_name}.{self.column_name}"
