from django.conf import settings
from django.db import models

from dbooster.rows import LoadedWithoutInit


class Project(LoadedWithoutInit, models.Model):
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "projects"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_project_name_per_org")]

    def __str__(self):
        return self.name


class CurrentProject(models.Model):
    """The project a user works in: where the seed's bodies without a project run, and what /app/ shows."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="current_project")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "projects_current"

    def __str__(self):
        return f"{self.user_id} works in {self.project_id}"
