from django.conf import settings
from django.db import models


class HealthRun(models.Model):
    """One run of the health checks over one connection: what was found, what could not run, and when."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="health_runs")
    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection", on_delete=models.CASCADE, related_name="health_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    findings = models.JSONField(default=list)
    ran = models.JSONField(default=list)
    skipped = models.JSONField(default=dict)
    errors = models.JSONField(default=dict)
    elapsed_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "health_runs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "-created_at"], name="health_run_conn_recent")]

    def __str__(self):
        return f"health run {self.pk} of connection {self.connection_id}"

    def counts(self) -> dict[str, int]:
        counts = {"critical": 0, "warning": 0, "info": 0}
        for finding in self.findings:
            counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
        return counts
