"""The writes that change the dashboard's counts replace the organization's cache version (dashboard.cache).

Saves and deletes of the counted rows, and a scan's end (its queries are inserted in bulk, which sends no
signal per row). Rows deleted with their project or connection are covered by that delete.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from approvals.models import Proposal
from dashboard.cache import bump
from health.models import HealthRun
from optimizer.models import OptimizationRun, Suggestion
from projects.models import Project
from repositories.models import ExtractedQuery, ScanRun
from repositories.signals import scan_finished
from schema_metadata.models import DatabaseConnection


def _org_of_project(project_id) -> int | None:
    if project_id is None:
        return None
    return Project.objects.filter(pk=project_id).values_list("organization_id", flat=True).first()


def _org_of(instance) -> int | None:
    if isinstance(instance, Project):
        return instance.organization_id
    if isinstance(instance, (Proposal, OptimizationRun)):
        return instance.organization_id
    if isinstance(instance, Suggestion):
        return OptimizationRun.objects.filter(pk=instance.run_id).values_list("organization_id", flat=True).first()
    return _org_of_project(instance.project_id)


def on_counted_write(sender, instance, **kwargs) -> None:
    bump(_org_of(instance))


def on_scan_finished(sender, scan, **kwargs) -> None:
    bump(_org_of_project(scan.project_id))


SAVED = (Project, DatabaseConnection, ExtractedQuery, ScanRun, HealthRun, OptimizationRun, Suggestion, Proposal)
# Not HealthRun: runs go with their connection, or are pruned when older than the latest (counts read only that).
DELETED = (Project, DatabaseConnection, Proposal)


def connect_all() -> None:
    for model in SAVED:
        post_save.connect(on_counted_write, sender=model, dispatch_uid=f"dashboard.saved.{model.__name__}")
    for model in DELETED:
        post_delete.connect(on_counted_write, sender=model, dispatch_uid=f"dashboard.deleted.{model.__name__}")
    scan_finished.connect(on_scan_finished, dispatch_uid="dashboard.scan_finished")
