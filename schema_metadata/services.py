"""Writes of the target-databases app: connections, schema syncs, explain history.

Keyword-only, transactional where they only touch our database. Anything that reaches a
user's database goes through `target` (guarded, timed, rolled back).
"""

from __future__ import annotations

import gc
import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from dbooster import jobs
from dbooster.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from plans.quotas import enforce_quota
from schema_metadata import catalog as catalog_reader
from schema_metadata import demo_shop, snapshot, sql_guard, target
from schema_metadata import explain as explain_engine
from schema_metadata.models import (
    DatabaseConnection,
    DbForeignKey,
    DbTable,
    QueryAnalysis,
    SchemaSync,
)
from schema_metadata.signals import schema_sync_finished

logger = logging.getLogger(__name__)

RUN_SYNC_TASK = "schema_metadata.run_schema_sync"  # schema_metadata/tasks.py

Environment = DatabaseConnection.Environment
CONNECTION_FIELDS = ("name", "url", "environment", "allow_analyze", "allow_dml_analyze", "read_only", "is_default")
HELPFUL_EXTENSIONS = ("pg_stat_statements", "hypopg", "pg_trgm")
# A sync still "queued"/"running" after this long died with its worker: a new one may start.
STALE_SYNC_AFTER = timedelta(minutes=30)


# --- connections -------------------------------------------------------------------


def _check_switches(*, environment: str, allow_dml_analyze: bool) -> None:
    if allow_dml_analyze and environment == Environment.PRODUCTION:
        raise InvalidInput(
            "Analyzing data-changing statements (even rolled back) is refused on production connections: "
            "it takes locks and fires triggers. Use a staging or development connection.",
            code="dml_analyze_on_production",
        )


def _name_taken(name: str) -> Conflict:
    return Conflict(f"A connection named {name!r} already exists in this project.", code="name_taken")


def _clear_other_defaults(connection: DatabaseConnection) -> None:
    DatabaseConnection.objects.filter(project_id=connection.project_id, is_default=True).exclude(
        pk=connection.pk
    ).update(is_default=False)


@transaction.atomic
def connection_create(
    *,
    project,
    name: str,
    url: str,
    environment: str = Environment.DEVELOPMENT,
    allow_analyze: bool = True,
    allow_dml_analyze: bool = False,
    read_only: bool = True,
    is_default: bool | None = None,
    actor=None,
    request=None,
    check_network: bool = True,
) -> DatabaseConnection:
    org = project.organization
    enforce_quota(
        organization=org,
        resource="connections",
        used=DatabaseConnection.objects.filter(project__organization=org).count(),
    )
    _check_switches(environment=environment, allow_dml_analyze=allow_dml_analyze)
    if check_network:
        target.check_url(url)
    has_default = DatabaseConnection.objects.filter(project=project, is_default=True).exists()
    make_default = bool(is_default) or not has_default
    if make_default:
        DatabaseConnection.objects.filter(project=project, is_default=True).update(is_default=False)
    try:
        with transaction.atomic():
            connection = DatabaseConnection.objects.create(
                project=project,
                name=name.strip(),
                url=url.strip(),
                environment=environment,
                allow_analyze=allow_analyze,
                allow_dml_analyze=allow_dml_analyze,
                read_only=read_only,
                is_default=make_default,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise _name_taken(name) from None
    audit.record(
        action="connection.create",
        actor=actor,
        organization=org,
        target=connection,
        request=request,
        metadata={"environment": environment, "host": connection.masked_url},
    )
    return connection


@transaction.atomic
def connection_update(*, connection: DatabaseConnection, actor=None, request=None, **fields) -> DatabaseConnection:
    changed = []
    for field in CONNECTION_FIELDS:
        if field in fields and fields[field] is not None:
            value = fields[field].strip() if isinstance(fields[field], str) else fields[field]
            if getattr(connection, field) != value or field == "url":
                setattr(connection, field, value)
                changed.append(field)
    if not changed:
        return connection
    _check_switches(environment=connection.environment, allow_dml_analyze=connection.allow_dml_analyze)
    if "url" in changed:
        target.check_url(connection.url)
    if "is_default" in changed and not connection.is_default:
        # The project's state, not the input, forbids it (another connection may take the default): 409.
        raise Conflict(
            "A project always has a default connection: make another one the default instead.",
            code="default_required",
        )
    if connection.is_default:
        _clear_other_defaults(connection)
    try:
        with transaction.atomic():
            connection.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise _name_taken(connection.name) from None
    audit.record(
        action="connection.update",
        actor=actor,
        organization=connection.project.organization,
        target=connection,
        request=request,
        # Field names only: the URL itself never goes into the audit trail.
        metadata={"fields": changed},
    )
    return connection


@transaction.atomic
def connection_delete(*, connection: DatabaseConnection, actor=None, request=None) -> None:
    project = connection.project
    was_default = connection.is_default
    audit.record(action="connection.delete", actor=actor, organization=project.organization, target=connection,
                 request=request)  # fmt: skip
    connection.delete()
    if was_default:
        successor = DatabaseConnection.objects.filter(project=project).order_by("created_at", "id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])


_TEST_SQL = """
SELECT version(),
       current_setting('server_version'),
       current_setting('server_version_num')::int,
       current_database(),
       current_user,
       pg_database_size(current_database()),
       current_setting('default_transaction_read_only') = 'on',
       pg_is_in_recovery(),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
       has_database_privilege(current_database(), 'CREATE'),
       (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'),  -- hidden from plain roles
       pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')
"""

_EXTENSIONS_SQL = """
SELECT e.name, e.default_version, i.extversion,
       coalesce((SELECT bool_or(v.trusted) FROM pg_available_extension_versions v WHERE v.name = e.name), false)
FROM pg_available_extensions e
LEFT JOIN pg_extension i ON i.extname = e.name
WHERE e.name = ANY(%s)
"""


def _read_server_facts(url: str) -> dict:
    # The session itself is READ ONLY: the facts describe the server and the role.
    with target.session(url, read_only=True) as conn:
        (full_version, version, version_num, database, user, size, default_ro, in_recovery, superuser, can_create,
         preload, can_signal) = conn.execute(_TEST_SQL).fetchone()  # fmt: skip
        available = {row[0]: row for row in conn.execute(_EXTENSIONS_SQL, [list(HELPFUL_EXTENSIONS)]).fetchall()}
    extensions = {}
    for name in HELPFUL_EXTENSIONS:
        row = available.get(name)
        installed = bool(row and row[2])
        trusted = bool(row and row[3])
        extensions[name] = {
            "installed": installed,
            "installed_version": row[2] if row else None,
            "available": row is not None,
            "default_version": row[1] if row else None,
            # CREATE EXTENSION needs a superuser, or a trusted extension and CREATE on the database.
            "creatable": bool(row) and not installed and bool(superuser or (trusted and can_create)),
        }
    extensions["pg_stat_statements"]["preloaded"] = "pg_stat_statements" in (preload or "")
    return {
        "ok": True,
        "server_version": version,
        "server_version_num": version_num,
        "server_version_full": full_version,
        "database": database,
        "user": user,
        "database_size_bytes": size,
        "read_only": bool(default_ro or in_recovery),
        "default_transaction_read_only": bool(default_ro),
        "in_recovery": bool(in_recovery),
        "superuser": bool(superuser),
        "can_signal_backends": bool(superuser or can_signal),
        "role_warnings": role_warnings(user=user, superuser=bool(superuser), can_signal=bool(can_signal)),
        "extensions": extensions,
    }


def role_warnings(*, user: str, superuser: bool, can_signal: bool) -> list[str]:
    """What makes the role DBooster connects as riskier than it needs to be."""
    warnings = []
    if superuser:
        warnings.append(
            f"The role {user} is a superuser: it can read server files (pg_read_file), run programs and end "
            "other sessions. Connect DBooster with a role that owns or can only read the application's tables."
        )
    elif can_signal:
        warnings.append(
            f"The role {user} is a member of pg_signal_backend: it can cancel or terminate other sessions. "
            "DBooster does not need that; connect with a role that is not."
        )
    return warnings


def connection_test(*, connection: DatabaseConnection, actor=None, request=None) -> dict:
    """Connect and report what DBooster can do there; DomainError (recorded) when it cannot."""
    org = connection.project.organization
    now = timezone.now()
    try:
        facts = _read_server_facts(connection.url)
    except DomainError as exc:
        DatabaseConnection.objects.filter(pk=connection.pk).update(last_tested_at=now, last_test_ok=False)
        audit.record(
            action="connection.test",
            actor=actor,
            organization=org,
            target=connection,
            outcome="failure",
            request=request,
            metadata={"error": exc.code},
        )
        raise
    DatabaseConnection.objects.filter(pk=connection.pk).update(
        last_tested_at=now, last_test_ok=True, role_warnings=facts["role_warnings"]
    )
    audit.record(action="connection.test", actor=actor, organization=org, target=connection, request=request)
    return facts


def resolve_connection(*, project, connection_id=None) -> DatabaseConnection:
    """The named connection of `project`, or its default; clear errors when there is none."""
    qs = DatabaseConnection.objects.filter(project=project).select_related("project__organization")
    if connection_id is not None:
        connection = qs.filter(pk=connection_id).first()
        if connection is None:
            raise NotFound("Connection not found in this project.")
        return connection
    connection = qs.filter(is_default=True).first() or qs.order_by("created_at", "id").first()
    if connection is None:
        raise InvalidInput(
            f"The project {project.name!r} has no database connection yet: add one under "
            f"/projects/{project.pk}/connections first.",
            code="no_connection",
        )
    return connection


# --- schema sync ------------------------------------------------------------------


def _in_progress(connection) -> SchemaSync | None:
    return (
        SchemaSync.objects.filter(
            connection=connection,
            status__in=[SchemaSync.Status.QUEUED, SchemaSync.Status.RUNNING],
            created_at__gte=timezone.now() - STALE_SYNC_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def sync_request(*, project, connection_id=None, actor=None, request=None, defer: bool = True) -> SchemaSync:
    """Queue a sync of the connection's schema; the worker runs it (`tasks.run_schema_sync`)."""
    connection = resolve_connection(project=project, connection_id=connection_id)
    # One sync at a time per connection: lock the connection row while deciding.
    DatabaseConnection.objects.select_for_update().filter(pk=connection.pk).first()
    running = _in_progress(connection)
    if running is not None:
        raise Conflict(
            f"A sync of this connection is already {running.status} (sync {running.pk}).",
            code="sync_in_progress",
            extra={"sync": running.pk},
        )
    sync = SchemaSync.objects.create(
        project=project,
        connection=connection,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        action="schema.sync.request", actor=actor, organization=project.organization, target=sync, request=request
    )
    if defer:
        transaction.on_commit(lambda: _defer_sync(sync.pk))
    return sync


def _defer_sync(sync_id: int) -> None:
    job_id = jobs.defer(RUN_SYNC_TASK, sync_id=sync_id)
    SchemaSync.objects.filter(pk=sync_id).update(job_id=job_id)


def _progress(sync: SchemaSync, progress: int, stage: str) -> None:
    # Outside the snapshot transaction, so GET /metadata/syncs/{id} sees it move.
    sync.progress, sync.stage = progress, stage
    SchemaSync.objects.filter(pk=sync.pk).update(progress=progress, stage=stage)


@contextmanager
def _target_catalog(connection):
    """The target's catalog, over two sessions that share one snapshot (one consistent view).

    Yields (reader, server version) once both sessions are open. The caller reads the columns
    on the first (and stores them) while the second reads relations, indexes and foreign keys,
    which reader.finish() waits for. Both sessions are closed on exit.
    """
    timeouts = {
        "statement_timeout_ms": settings.TARGET_SYNC_STATEMENT_TIMEOUT_MS,
        "lock_timeout_ms": settings.TARGET_SYNC_LOCK_TIMEOUT_MS,
    }
    with target.session(connection.url, read_only=True, repeatable_read=True, **timeouts) as conn:
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]

        def second_session():
            with target.session(connection.url, read_only=True, snapshot=snapshot_id, **timeouts) as second:
                return [second.execute(sql).fetchall() for sql in catalog_reader.SECOND_SESSION_STATEMENTS]

        pending = catalog_reader.in_background(second_session)
        try:
            reader = catalog_reader.CatalogReader(conn, second_session=pending)
            yield reader, conn.info.parameter_status("server_version") or ""
        finally:
            try:
                pending()  # never leave the second session running behind an error
            except Exception:  # noqa: BLE001, S110 - the first error is the one reported
                pass


def _last_success(connection) -> SchemaSync | None:
    # The snapshot stored now is the one this sync wrote: failed syncs roll theirs back.
    return (
        SchemaSync.objects.filter(connection=connection, status=SchemaSync.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .only("stats")
        .first()
    )


def _fail(sync: SchemaSync, message: str) -> None:
    sync.status, sync.error, sync.finished_at = SchemaSync.Status.FAILED, message[:5000], timezone.now()
    SchemaSync.objects.filter(pk=sync.pk).update(status=sync.status, error=sync.error, finished_at=sync.finished_at)


@contextmanager
def _without_gc_pauses():
    """A sync allocates some ten objects per catalog row and frees none of them until it is done:
    the cyclic collector would walk every live object of the process again and again (tens of ms
    per full pass in a Django process) to find nothing. Reference counting still frees memory."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sync_snapshot(sync: SchemaSync, connection) -> None:
    """Read the catalog and replace the snapshot in one transaction of our own database; the
    columns are read and written while the target's second session reads the rest.

    Timings: read_ms is opening the sessions plus waiting for the second one; write_ms the rest
    of the transaction, the columns' read included."""
    clock = time.monotonic()
    with _target_catalog(connection) as (reader, version):
        read_ms = time.monotonic() - clock
        _progress(sync, 30, "reading catalog, writing snapshot")
        with transaction.atomic():
            clock = time.monotonic()
            DatabaseConnection.objects.select_for_update().filter(pk=connection.pk).first()
            last = _last_success(connection)
            writer = snapshot.SnapshotWriter(
                connection, previous_fingerprints=(last.stats or {}).get("fingerprints") if last else None
            )
            # Complete on their own: stored while the second session still reads the rest.
            reader.read_columns()
            writer.write_part("columns", reader.catalog)
            waited = time.monotonic()
            catalog = reader.finish()
            waited = time.monotonic() - waited
            for part in snapshot.PARTS:
                if part != "columns":
                    writer.write_part(part, catalog)
            diff, written, fingerprints = writer.finish()
            timings = {"read_ms": round((read_ms + waited) * 1000),
                       "write_ms": round((time.monotonic() - clock - waited) * 1000)}  # fmt: skip
            _record_success(sync, connection, catalog, version, diff, written, fingerprints, timings)


def _record_success(sync, connection, catalog, version, diff, written, fingerprints, timings) -> None:
    finished = timezone.now()
    sync.status, sync.progress, sync.stage, sync.finished_at = SchemaSync.Status.SUCCEEDED, 100, "done", finished
    sync.diff, sync.server_version = diff, version
    sync.stats = {
        "tables": len(catalog.tables),
        "columns": len(catalog.column_rows),
        "indexes": len(catalog.indexes),
        "foreign_keys": len(catalog.foreign_keys),
        "catalog_statements": catalog.statements,
        **timings,
        "rows_written": written,
        "fingerprints": fingerprints,
    }
    sync.save(update_fields=["status", "progress", "stage", "finished_at", "diff", "server_version", "stats"])
    DatabaseConnection.objects.filter(pk=connection.pk).update(last_synced_at=finished)
    audit.record(
        action="schema.sync",
        actor=sync.requested_by,
        organization=connection.project.organization,
        target=sync,
        metadata={"stats": {k: sync.stats[k] for k in ("tables", "columns", "indexes", "foreign_keys")}},
    )


def sync_execute(*, sync_id: int) -> SchemaSync:
    """Read the target's catalog, then swap the snapshot in ONE transaction.

    Readers see the previous snapshot until the new one is committed; a failure at any
    point leaves it untouched and records why on the sync.
    """
    sync = SchemaSync.objects.select_related("connection__project__organization").filter(pk=sync_id).first()
    if sync is None or sync.status not in (SchemaSync.Status.QUEUED, SchemaSync.Status.RUNNING):
        return sync
    connection = sync.connection
    sync.status, sync.started_at = SchemaSync.Status.RUNNING, timezone.now()
    SchemaSync.objects.filter(pk=sync.pk).update(status=sync.status, started_at=sync.started_at)
    try:
        _progress(sync, 10, "reading catalog")
        with _without_gc_pauses():
            _sync_snapshot(sync, connection)
    except DomainError as exc:
        _fail(sync, exc.detail)
        _record_failure(sync, exc.code)
    except Exception as exc:  # noqa: BLE001 - any failure must be recorded, never leave "running"
        logger.exception("schema sync %s failed", sync.pk)
        _fail(sync, f"Unexpected error while syncing: {exc.__class__.__name__}: {exc}")
        _record_failure(sync, "unexpected")
    schema_sync_finished.send(sender=SchemaSync, sync=sync)
    return sync


# A sync whose worker died is run again once (it only reads the target); a second loss fails it.
SYNC_RETRIES_AFTER_LOST_WORKER = 1


def sync_lost(lost: jobs.LostJob) -> str:
    """The worker died mid-sync: retry it once, then fail it with the reason (never left `running`)."""
    sync = SchemaSync.objects.filter(pk=lost.args.get("sync_id")).first()
    if sync is None or sync.status not in (SchemaSync.Status.QUEUED, SchemaSync.Status.RUNNING):
        return jobs.FAIL
    if lost.attempts < SYNC_RETRIES_AFTER_LOST_WORKER:
        SchemaSync.objects.filter(pk=sync.pk).update(
            status=SchemaSync.Status.QUEUED, stage=f"queued again: {lost.reason}"[:64]
        )
        return jobs.RETRY
    _fail(sync, f"The sync was stopped: {lost.reason}.")
    _record_failure(sync, "worker_lost")
    return jobs.FAIL


def _record_failure(sync: SchemaSync, code: str) -> None:
    audit.record(
        action="schema.sync",
        actor=sync.requested_by,
        organization=sync.connection.project.organization,
        target=sync,
        outcome="failure",
        metadata={"error": code},
    )


# --- explain ----------------------------------------------------------------------------


def _schema_hints(connection) -> tuple[list[dict], dict[str, float]]:
    """What the plan analyser needs from the last snapshot: foreign keys and table sizes."""
    foreign_keys = [
        {
            "table": fk.table_name,
            "columns": fk.columns,
            "referred_table": fk.referred_table,
            "has_index": fk.has_index,
        }
        for fk in DbForeignKey.objects.filter(connection=connection)
    ]
    table_rows = {
        name: float(rows)
        for name, rows in DbTable.objects.filter(connection=connection, row_estimate__gt=0).values_list(
            "name", "row_estimate"
        )
    }
    return foreign_keys, table_rows


def explain_query(
    *,
    project,
    query: str,
    connection_id=None,
    analyze: bool | None = None,
    buffers: bool = True,
    actor=None,
    request=None,
) -> QueryAnalysis:
    """EXPLAIN `query` on the project's connection and keep it as query history."""
    connection = resolve_connection(project=project, connection_id=connection_id)
    if analyze is None:
        analyze = connection.allow_analyze
    elif analyze and not connection.allow_analyze:
        raise PermissionDenied(
            f"The connection {connection.name!r} does not allow EXPLAIN ANALYZE (it would execute the query). "
            "Send analyze=false, or allow analyze on the connection.",
            code="analyze_not_allowed",
        )
    foreign_keys, table_rows = _schema_hints(connection)
    allow_dml = connection.allow_dml_analyze and connection.environment != Environment.PRODUCTION
    org = project.organization
    try:
        result = explain_engine.explain(
            connection.url,
            query,
            analyze=analyze,
            buffers=buffers,
            allow_dml_analyze=allow_dml,
            foreign_keys=foreign_keys,
            table_rows=table_rows,
        )
    except DomainError as exc:
        audit.record(
            action="query.explain",
            actor=actor,
            organization=org,
            target=connection,
            outcome="failure",
            request=request,
            # A query that does not parse has no fingerprint (""); the error code says why.
            metadata={"error": exc.code, "fingerprint": sql_guard.fingerprint(query)},
        )
        raise
    summary = result["summary"]
    summary["notes"] = result["notes"]
    analysis = QueryAnalysis.objects.create(
        project=project,
        connection=connection,
        user=actor if getattr(actor, "is_authenticated", False) else None,
        query=query,
        fingerprint=result["fingerprint"],
        statement_kind=result["statement_kind"],
        analyzed=result["analyzed"],
        generic_plan=result["generic_plan"],
        plan=result["plan"],
        summary=summary,
        total_cost=summary["total_cost"],
        execution_ms=summary["execution_ms"],
        planning_ms=summary["planning_ms"],
    )
    audit.record(
        action="query.explain",
        actor=actor,
        organization=org,
        target=analysis,
        request=request,
        metadata={
            "fingerprint": analysis.fingerprint,
            "analyzed": result["analyzed"],
            "kind": result["statement_kind"],
            "connection": connection.pk,
        },
    )
    return analysis


DEMO_CONNECTION_NAME = "Demo shop database"


def demo_connection_create(*, project, actor=None, request=None) -> DatabaseConnection:
    """The project's connection to the demo shop on this server (the existing one if it has it already).

    Development environment, analyze allowed, writable so approved indexes can be applied to it; the
    project's default unless it has another one.
    """
    existing = DatabaseConnection.objects.filter(project=project, name=DEMO_CONNECTION_NAME).first()
    if existing is not None:
        return existing
    if not demo_shop.is_ready():
        raise Conflict("The demo shop database is not set up on this server yet.", code="demo_unavailable")
    return connection_create(
        project=project,
        name=DEMO_CONNECTION_NAME,
        url=demo_shop.connection_url(),
        environment=DatabaseConnection.Environment.DEVELOPMENT,
        allow_analyze=True,
        allow_dml_analyze=True,
        read_only=False,
        actor=actor,
        request=request,
    )
