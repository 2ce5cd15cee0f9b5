"""Writes of the workbench: running SQL (kept as history), snippets, row edits, schema-change proposals."""

from __future__ import annotations

import hashlib

import psycopg
from django.conf import settings
from django.db import IntegrityError, transaction

from approvals import services as approvals_services
from approvals.models import Proposal
from audit.services import record
from dbooster.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from schema_metadata import target
from schema_metadata.models import DatabaseConnection
from schema_metadata.services import resolve_connection
from workbench import runner, selectors, tables
from workbench.models import SensitiveColumn, Snippet, SqlRun

DEFAULT_ROW_CAP = 1000


def row_cap_limit() -> int:
    return int(getattr(settings, "WORKBENCH_ROW_CAP", DEFAULT_ROW_CAP))


def write_refusal(connection: DatabaseConnection) -> str | None:
    """Why nothing may be written through `connection`, naming the setting; None when writes are allowed."""
    if connection.environment == DatabaseConnection.Environment.PRODUCTION:
        return (
            f"The connection {connection.name!r} is a production connection (setting environment=production): "
            "only read-only statements run on it."
        )
    if connection.read_only:
        return (
            f"The connection {connection.name!r} is marked read-only (setting read_only=true): only read-only "
            "statements run on it. An admin can allow writes on a development or staging connection."
        )
    return None


def _bounded(value, *, name: str, limit: int, unit: str) -> int:
    if value is None:
        return limit
    if not 1 <= int(value) <= limit:
        raise InvalidInput(f"{name}: between 1 and {limit} {unit}.", code=f"invalid_{name}")
    return int(value)


def _refuse_by_kind(statement: runner.Statement, connection: DatabaseConnection, project) -> None:
    if statement.node_name == "ExplainStmt":
        raise InvalidInput(
            "Send the statement without EXPLAIN and use the Explain button (POST /query/explain).",
            code="use_explain",
        )
    if statement.kind == "utility":
        raise Conflict(
            f"Schema changes and other utility statements ({statement.node_name}) are not run from the editor: "
            f"propose them with POST /projects/{project.pk}/schema-changes, where they are reviewed and approved.",
            code="ddl_needs_proposal",
        )
    refusal = write_refusal(connection)
    if statement.kind in ("insert", "update", "delete", "merge") and refusal:
        raise PermissionDenied(refusal, code="read_only_connection")


def _plan(*, project, connection, sql: str, commit: bool) -> tuple[runner.Statement, bool]:
    """The parsed statement and whether it runs read-only; refusals raised before anything is sent."""
    statement = runner.parse(sql)
    _refuse_by_kind(statement, connection, project)
    read_only = statement.kind == "select"
    if commit and read_only:
        commit = False  # nothing to commit
    return statement, read_only


def _record_run(*, project, connection, actor, sql, statement, result=None, error=None) -> SqlRun:
    fields = {
        "project": project,
        "connection": connection,
        "user": actor if getattr(actor, "is_authenticated", False) else None,
        "sql": sql,
        "fingerprint": statement.fingerprint if statement else "",
        "statement_kind": statement.kind if statement else "",
    }
    if error is not None:
        fields.update(
            status=SqlRun.Status.ERROR,
            error_code=error.code,
            error_message=error.detail,
            error_position=error.extra.get("position"),
        )
    else:
        fields.update(
            status=SqlRun.Status.SUCCESS,
            row_count=result["row_count"],
            truncated=result["truncated"],
            committed=result["committed"],
            duration_ms=result["duration_ms"],
        )
    return SqlRun.objects.create(**fields)


def sql_run(
    *,
    project,
    actor,
    sql: str,
    connection_id: int | None = None,
    commit: bool = False,
    row_cap: int | None = None,
    timeout_ms: int | None = None,
    page: runner.Page | None = None,
    request=None,
) -> tuple[SqlRun, dict]:
    """Run one statement from the editor; every run, failed or not, is history and audited."""
    connection = resolve_connection(project=project, connection_id=connection_id)
    cap = _bounded(row_cap, name="row_cap", limit=row_cap_limit(), unit="rows")
    limit_ms = _bounded(timeout_ms, name="timeout_ms", limit=settings.TARGET_STATEMENT_TIMEOUT_MS, unit="ms")
    statement = None
    try:
        statement, read_only = _plan(project=project, connection=connection, sql=sql, commit=commit)
        _sortable(statement, page)
        result = runner.execute(
            connection.url,
            statement,
            read_only=read_only,
            commit=commit and not read_only,
            row_cap=cap,
            statement_timeout_ms=limit_ms,
            page=page,
            sensitive=selectors.masked_for(actor, connection=connection),
        )
    except DomainError as exc:
        if exc.code == "read_only":  # a write hidden in a SELECT met the READ ONLY transaction
            exc = PermissionDenied(
                write_refusal(connection) or "Read-only statements only: this statement writes.",
                code="read_only_connection",
                extra=exc.extra,
            )
        run = _record_run(project=project, connection=connection, actor=actor, sql=sql, statement=statement, error=exc)
        _audit_run(run, actor=actor, request=request, outcome="failure")
        exc.extra["run_id"] = run.pk
        raise exc from None
    if statement.kind != "select" and not result["committed"]:
        result["notices"].append("The transaction was rolled back: send commit=true to keep the changes.")
    run = _record_run(project=project, connection=connection, actor=actor, sql=sql, statement=statement, result=result)
    _audit_run(run, actor=actor, request=request, outcome="success")
    return run, {**result, "row_cap": cap}


def _sortable(statement: runner.Statement, page: runner.Page | None) -> None:
    if page is not None and page.sort_column is not None and statement.kind != "select":
        raise InvalidInput(
            "sort_column: only a read-only statement's result is sorted (it is re-run ordered).", code="invalid_sort"
        )


def sql_page(*, run: SqlRun, actor, page: runner.Page, row_cap: int | None = None) -> dict:
    """Another page (or another order) of a read-only run's result: the statement runs again through the same
    guard, read-only, and only that page comes back. Not a new run: nothing is added to the history."""
    if run.connection_id is None:
        raise Conflict("The connection this statement ran on was removed.", code="connection_gone")
    if run.statement_kind != "select" or run.status != SqlRun.Status.SUCCESS:
        raise Conflict(
            "Only a read-only statement that ran successfully is paged again; re-run this one.", code="not_pageable"
        )
    statement = runner.parse(run.sql)
    cap = _bounded(row_cap, name="row_cap", limit=row_cap_limit(), unit="rows")
    _refuse_by_kind(statement, run.connection, run.project)
    _sortable(statement, page)
    result = runner.execute(
        run.connection.url,
        statement,
        read_only=True,
        commit=False,
        row_cap=cap,
        statement_timeout_ms=settings.TARGET_STATEMENT_TIMEOUT_MS,
        page=page,
        sensitive=selectors.masked_for(actor, connection=run.connection),
    )
    return {**result, "row_cap": cap}


def _audit_run(run: SqlRun, *, actor, request, outcome: str) -> None:
    # The fingerprint, never the text: literals in it may be personal data.
    record(
        action="sql.run",
        actor=actor,
        organization=run.project.organization,
        target=run,
        outcome=outcome,
        request=request,
        metadata={
            "fingerprint": run.fingerprint,
            "kind": run.statement_kind,
            "connection": run.connection_id,
            "committed": run.committed,
            "error": run.error_code,
        },
    )


def sql_rerun(*, run: SqlRun, actor, commit: bool = False, row_cap=None, timeout_ms=None, page=None, request=None):
    if run.connection_id is None:
        raise Conflict("The connection this statement ran on was removed.", code="connection_gone")
    return sql_run(
        project=run.project,
        actor=actor,
        sql=run.sql,
        connection_id=run.connection_id,
        commit=commit,
        row_cap=row_cap,
        timeout_ms=timeout_ms,
        page=page,
        request=request,
    )


def sql_export_rows(*, project, actor, sql: str, connection_id=None, row_cap=None, request=None) -> dict:
    """A read-only statement's result for export (never a write: an export runs read-only whatever it is)."""
    connection = resolve_connection(project=project, connection_id=connection_id)
    statement = runner.parse(sql)
    if statement.kind != "select":
        raise InvalidInput("Only read-only statements (SELECT, WITH) are exported.", code="export_read_only")
    result = runner.execute(
        connection.url,
        statement,
        read_only=True,
        commit=False,
        row_cap=_bounded(row_cap, name="row_cap", limit=row_cap_limit(), unit="rows"),
        statement_timeout_ms=settings.TARGET_STATEMENT_TIMEOUT_MS,
        sensitive=selectors.masked_for(actor, connection=connection),
    )
    record(
        action="sql.export",
        actor=actor,
        organization=project.organization,
        target=connection,
        request=request,
        metadata={"fingerprint": statement.fingerprint, "rows": len(result["rows"])},
    )
    return result


# --- snippets ------------------------------------------------------------------------------


def _snippet_fields(name=None, sql=None) -> None:
    if name is not None and not name.strip():
        raise InvalidInput("name: cannot be blank.", code="invalid_name")
    if sql is not None and not sql.strip():
        raise InvalidInput("sql: cannot be blank.", code="invalid_sql")


def _name_taken(name: str) -> Conflict:
    return Conflict(f"A snippet named {name!r} already exists in this project.", code="snippet_name_taken")


def snippet_create(*, project, actor, name: str, sql: str, description: str = "", request=None) -> Snippet:
    _snippet_fields(name, sql)
    try:
        with transaction.atomic():
            snippet = Snippet.objects.create(
                project=project, name=name.strip(), sql=sql, description=description, created_by=actor
            )
    except IntegrityError:
        raise _name_taken(name) from None
    record(action="snippet.create", actor=actor, organization=project.organization, target=snippet, request=request)
    return snippet


def snippet_update(*, snippet: Snippet, actor, request=None, **fields) -> Snippet:
    _snippet_fields(fields.get("name"), fields.get("sql"))
    for key in ("name", "sql", "description"):
        if key in fields:
            setattr(snippet, key, fields[key].strip() if key == "name" else fields[key])
    try:
        with transaction.atomic():
            snippet.save()
    except IntegrityError:
        raise _name_taken(snippet.name) from None
    record(action="snippet.update", actor=actor, organization=snippet.organization, target=snippet, request=request)
    return snippet


def snippet_delete(*, snippet: Snippet, actor, request=None) -> None:
    record(action="snippet.delete", actor=actor, organization=snippet.organization, target=snippet, request=request)
    snippet.delete()


# --- schema changes ---------------------------------------------------------------------------


def schema_change_propose(
    *, project, actor, reason: str, sql: str | None = None, change: dict | None = None, connection_id=None, request=None
) -> Proposal:
    """DDL written in the editor or built from a structured change becomes an approvals proposal (reviewed,
    approved, applied); a built CREATE INDEX is an index proposal, built concurrently."""
    connection = resolve_connection(project=project, connection_id=connection_id)
    built = selectors.schema_change_sql(connection=connection, sql=sql, change=change)
    return approvals_services.proposal_submit_sql(
        actor=actor,
        kind=built.kind,
        sql=sql if change is None else built.sql,
        reason=reason,
        connection_id=connection.pk,
        project_id=project.pk,
        request=request,
    )


# --- rows ------------------------------------------------------------------------------------


def _writable_shape(connection, shape: tables.TableShape) -> None:
    refusal = write_refusal(connection)
    if refusal:
        raise PermissionDenied(refusal, code="read_only_connection")
    if not shape.primary_key:
        raise Conflict(
            f"The table {shape.schema}.{shape.name} has no primary key: its rows are read-only here.",
            code="no_primary_key",
        )


def _write_one_row(connection, query, params) -> list | None:
    """Run one row write and commit it only if it touched exactly one row."""
    with target.session(connection.url, read_only=False) as conn:
        try:
            cursor = conn.execute(query, params)
        except psycopg.Error as exc:
            raise runner.as_domain_error(exc, settings.TARGET_STATEMENT_TIMEOUT_MS) from None
        if cursor.rowcount != 1:
            raise NotFound("No row has that primary key.", code="row_not_found")  # rolled back by the session
        returned = cursor.fetchone() if cursor.description else None
        conn.execute("COMMIT")
    return [runner.jsonable(v) for v in returned] if returned else None


def _logged_key(connection, shape, key: dict) -> dict:
    """The key as the audit log keeps it: a sensitive key column's value only as its SHA-256."""
    sensitive = set(selectors.sensitive_in_table(connection=connection, shape=shape))
    return {
        k: "sha256:" + hashlib.sha256(str(v).encode()).hexdigest() if k in sensitive else str(v) for k, v in key.items()
    }


def _audit_row(action, *, connection, shape, key, actor, request) -> None:
    # The key only, never the values: a column may hold personal data.
    record(
        action=action,
        actor=actor,
        organization=connection.project.organization,
        target=connection,
        request=request,
        metadata={"table": f"{shape.schema}.{shape.name}", "key": _logged_key(connection, shape, key)},
    )


# --- sensitive columns ---------------------------------------------------------------------


def sensitive_columns_set(*, connection, shape: tables.TableShape, columns: list[str], actor, request=None) -> list:
    """Mark exactly `columns` of the table sensitive (an admin's decision; the others are unmarked)."""
    shape.require_columns(columns)
    with transaction.atomic():
        SensitiveColumn.objects.filter(connection=connection, schema_name=shape.schema, table_name=shape.name).exclude(
            column_name__in=columns
        ).delete()
        for column in columns:
            SensitiveColumn.objects.get_or_create(
                connection=connection,
                schema_name=shape.schema,
                table_name=shape.name,
                column_name=column,
                defaults={"marked_by": actor},
            )
    record(
        action="table.sensitive_columns",
        actor=actor,
        organization=connection.project.organization,
        target=connection,
        request=request,
        metadata={"table": f"{shape.schema}.{shape.name}", "columns": sorted(columns)},
    )
    return sorted(columns)


def row_insert(*, connection, shape, values: dict, actor, request=None) -> dict:
    _writable_shape(connection, shape)
    returned = _write_one_row(connection, *tables.insert_row(shape, values))
    key = dict(zip(shape.primary_key, returned or [], strict=False))
    _audit_row("table.row_insert", connection=connection, shape=shape, key=key, actor=actor, request=request)
    return key


def row_update(*, connection, shape, key: dict, values: dict, actor, request=None) -> dict:
    _writable_shape(connection, shape)
    _write_one_row(connection, *tables.update_row(shape, key, values))
    _audit_row("table.row_update", connection=connection, shape=shape, key=key, actor=actor, request=request)
    return key


def row_delete(*, connection, shape, key: dict, actor, request=None) -> dict:
    _writable_shape(connection, shape)
    _write_one_row(connection, *tables.delete_row(shape, key))
    _audit_row("table.row_delete", connection=connection, shape=shape, key=key, actor=actor, request=request)
    return key
