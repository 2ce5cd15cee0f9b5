"""Reads: a project's optimization history, one run, the workload imports."""

from __future__ import annotations

import copy

from django.db.models import F, FilteredRelation, Prefetch, Q

from dbooster.composed import ComposedQuery
from dbooster.errors import NotFound
from dbooster.page_cache import LeastRecentlyUsed
from optimizer.models import OptimizationRun, Suggestion, WorkloadImport
from projects.models import Project
from projects.selectors import chosen_projects, sole_project
from schema_metadata.models import DatabaseConnection
from schema_metadata.selectors import default_connection

# A run's suggestions as every answer lists them: kept ones first, the fastest measured first, then as stored.
_DISPLAY_ORDER = ("dropped", F("speedup").desc(nulls_last=True), "id")


def in_display_order(suggestions) -> list[Suggestion]:
    """Stored suggestions (with their ids) sorted in memory as `_DISPLAY_ORDER` sorts them in SQL."""
    return sorted(suggestions, key=lambda s: (s.dropped, s.speedup is None, -(s.speedup or 0), s.pk))


def _runs(org):
    return (
        OptimizationRun.objects.filter(organization=org)
        .select_related("project", "connection")
        .prefetch_related(Prefetch("suggestions", queryset=Suggestion.objects.order_by(*_DISPLAY_ORDER)))
    )


def run_get(*, org, pk) -> OptimizationRun:
    run = _runs(org).filter(pk=pk).first()
    if run is None:
        raise NotFound("Optimization not found.")
    return run


def project_runs(*, org, project, fingerprint: str | None = None):
    qs = _runs(org).filter(project=project)
    if fingerprint:
        qs = qs.filter(fingerprint=fingerprint)
    return qs.order_by("-created_at", "-id")


# What a history line shows (not the runs' plans, findings and notes: JSON to decode for nothing).
HISTORY_FIELDS = ("id", "created_at", "cost_before", "plan_status", "ai_status")
HISTORY_LENGTH = 20


def _past_runs(*, project_id, fingerprint: str, run_id, limit: int):
    return (
        OptimizationRun.objects.filter(project_id=project_id, fingerprint=fingerprint)
        .exclude(pk=run_id)
        .order_by("-created_at", "-id")
        .only(*HISTORY_FIELDS)[:limit]
    )


def past_runs(*, run: OptimizationRun, limit: int = HISTORY_LENGTH):
    """Other analyses of the same query (by fingerprint) in the same project, newest first."""
    if run.project_id is None or not run.fingerprint:
        return OptimizationRun.objects.none()
    return _past_runs(project_id=run.project_id, fingerprint=run.fingerprint, run_id=run.pk, limit=limit)


# Every optimization answer carries its history: the read is composed once (dbooster.composed).
_HISTORY_ROWS = ComposedQuery(
    lambda project_id, fingerprint, run_id: _past_runs(
        project_id=project_id, fingerprint=fingerprint, run_id=run_id, limit=HISTORY_LENGTH
    ).values_list(*HISTORY_FIELDS),
    project_id=-7_301_002,
    fingerprint="stand-in fingerprint of a composed query",
    run_id=-7_301_003,
)


def past_run_rows(*, run: OptimizationRun) -> list[tuple]:
    """`past_runs(run=run)` as rows of HISTORY_FIELDS."""
    if run.project_id is None or not run.fingerprint:
        return []
    return _HISTORY_ROWS.rows(project_id=run.project_id, fingerprint=run.fingerprint, run_id=run.pk)


def workload_get(*, org, pk) -> WorkloadImport:
    item = WorkloadImport.objects.filter(project__organization=org, pk=pk).select_related("project").first()
    if item is None:
        raise NotFound("Workload not found.")
    return item


def recent_runs(*, org, limit: int = 20):
    return (
        OptimizationRun.objects.filter(organization=org)
        .select_related("project")
        .order_by("-created_at", "-id")[:limit]
    )


def recent_workloads(*, org, limit: int = 20):
    return (
        WorkloadImport.objects.filter(project__organization=org)
        .select_related("project", "connection")
        .order_by("-created_at", "-id")[:limit]
    )


# POST /query/optimize without a project named runs on the user's current project and its default connection: read
# together, in one statement composed once per process (dbooster.composed), when the user chose the project.
_PROJECT_COLUMNS = tuple(f.attname for f in Project._meta.concrete_fields)
_CONNECTION_COLUMNS = tuple(f.attname for f in DatabaseConnection._meta.concrete_fields)
_CHOSEN_PROJECT_AND_CONNECTION = ComposedQuery(
    lambda org_id, user_id: (
        Project.objects.filter(organization_id=org_id, pk__in=chosen_projects(user_id=user_id))
        .annotate(default_connection=FilteredRelation("connections", condition=Q(connections__is_default=True)))
        .order_by()
        .values_list(*_PROJECT_COLUMNS, *(f"default_connection__{name}" for name in _CONNECTION_COLUMNS))
    ),
    org_id=-7_301_201,
    user_id=-7_301_202,
)


# A worker keeps the columns it read of a user's current project and its default connection under the user's data
# version (`accounts.selectors.user_signing_in`, bearer-token requests), as `dbooster.page_cache` keeps pages: every
# row they come from raises that version in the transaction that changes it (projects: the organization's; the
# user's choice: projects 0006, the user's; connections: schema_metadata 0006, the organization's), so a kept answer
# is never older than the version the request signed in with. Kept as values, each request gets instances of its
# own. The connection's address is kept as the ORM gives it, decrypted: the process holds the keys anyway.
_targets = LeastRecentlyUsed(256)


def current_project_and_connection(*, user) -> tuple[Project | None, DatabaseConnection | None]:
    """The user's current project (`projects.selectors.current_project`) and its default connection, if any."""
    version = getattr(user, "data_version", None)
    if version is None:
        return _read_current_project_and_connection(user)
    key = (user.pk, user.organization_id, version)
    kept = _targets.get(key)
    if kept is None:
        project, connection = _read_current_project_and_connection(user)
        kept = (_column_values(project, _PROJECT_COLUMNS), _column_values(connection, _CONNECTION_COLUMNS))
        _targets.put(key, kept)
    project_values, connection_values = kept
    project = _from_values(Project, _PROJECT_COLUMNS, project_values)
    return project, _from_values(DatabaseConnection, _CONNECTION_COLUMNS, connection_values)


def _column_values(instance, columns: tuple[str, ...]) -> tuple | None:
    return None if instance is None else tuple(getattr(instance, name) for name in columns)


def _from_values(model, columns: tuple[str, ...], values: tuple | None):
    if values is None:
        return None
    # A JSON column's list or dict is copied: what a request does with its instance stays out of what is kept.
    values = [copy.deepcopy(value) if isinstance(value, (list, dict)) else value for value in values]
    return model.from_db("default", columns, values)


def _read_current_project_and_connection(user) -> tuple[Project | None, DatabaseConnection | None]:
    rows = _CHOSEN_PROJECT_AND_CONNECTION.rows(org_id=user.organization_id, user_id=user.pk)
    if not rows:
        project = sole_project(org=user.organization)
        return project, default_connection(project=project) if project is not None else None
    (row,) = rows  # a user chooses one project, and a project has one default connection (their constraints)
    split = len(_PROJECT_COLUMNS)
    project = Project.from_db("default", _PROJECT_COLUMNS, row[:split])
    if row[split] is None:
        return project, None
    return project, DatabaseConnection.from_db("default", _CONNECTION_COLUMNS, row[split:])
