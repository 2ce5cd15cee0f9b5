"""Reads of the health app."""

from __future__ import annotations

from django.db.models import Max, Q

from dbooster.errors import NotFound
from health.models import HealthRun
from schema_metadata.models import DatabaseConnection
from schema_metadata.selectors import metadata_connection


def health_connection(*, project, connection_id=None):
    """The connection to check: `?connection=` or the project's default; a clear 404 when it has none."""
    connection = metadata_connection(project=project, connection_id=connection_id)
    if connection is None:
        raise NotFound("This project has no database connection: add one to check its health.")
    return connection


def last_run(*, connection) -> HealthRun | None:
    return HealthRun.objects.filter(connection=connection).order_by("-created_at", "-id").first()


def run_get(*, project, pk) -> HealthRun:
    run = HealthRun.objects.filter(project=project, pk=pk).select_related("connection").first()
    if run is None:
        raise NotFound("Health run not found.")
    return run


def connections_due(*, older_than) -> list[int]:
    """Connections never checked, or last checked before `older_than`, oldest first."""
    return list(
        DatabaseConnection.objects.annotate(last=Max("health_runs__created_at"))
        .filter(Q(last__isnull=True) | Q(last__lt=older_than))
        .order_by("last", "id")
        .values_list("pk", flat=True)
    )


def connection_for_scheduled_run(*, pk) -> DatabaseConnection | None:
    return DatabaseConnection.objects.filter(pk=pk).select_related("project").first()


def latest_run_ids():
    """The id of each connection's latest run (a subquery)."""
    return HealthRun.objects.order_by("connection_id", "-created_at", "-id").distinct("connection_id").values("pk")


def runs_older_than(cutoff):
    return HealthRun.objects.filter(created_at__lt=cutoff)
