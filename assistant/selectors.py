"""Reads of the assistant: conversations, and the project's synced schema as grounding input."""

from __future__ import annotations

from django.db.models import Count

from assistant import grounding
from assistant.models import AssistantSettings, Conversation
from dbooster.errors import NotFound
from repositories.models import ExtractedQuery
from schema_metadata.models import DbForeignKey, DbTable, SchemaMetadata
from schema_metadata.selectors import metadata_connection

SCANNED_EXAMPLES = 500  # scanned queries offered to the grounding as examples


def conversation_list(*, project):
    found = Conversation.objects.filter(project=project).annotate(message_count=Count("messages"))
    return found.order_by("-updated_at", "-id")


def conversation_get(*, project, pk) -> Conversation:
    conversation = Conversation.objects.filter(project=project, pk=pk).first()
    if conversation is None:
        raise NotFound("Conversation not found.")
    return conversation


def settings_for(*, project) -> AssistantSettings:
    found = AssistantSettings.objects.filter(project=project).first()
    return found or AssistantSettings(project=project)


def assistant_connection(*, project, connection_id=None):
    """The connection the assistant works on: the given one, else the project's default (None: there is none)."""
    return metadata_connection(project=project, connection_id=connection_id)


def schema_tables(*, connection) -> list[grounding.Table]:
    """The synced schema of `connection` as grounding tables (empty before its first sync)."""
    if connection is None:
        return []
    tables = DbTable.objects.filter(connection=connection).values(
        "schema_name", "name", "comment", "parent_schema", "parent_table"
    )
    columns = SchemaMetadata.objects.filter(connection=connection).values(
        "schema_name", "table_name", "column_name", "column_type", "ordinal_position"
    )
    keys = DbForeignKey.objects.filter(connection=connection).values(
        "schema_name", "table_name", "columns", "referred_schema", "referred_table", "referred_columns"
    )
    return grounding.tables_from_catalog(list(tables), list(columns), list(keys))


def schema_columns(tables: list[grounding.Table]) -> dict[str, set[str]]:
    return {t.qualified: {c.name for c in t.columns} for t in tables}


def scanned_queries(*, project) -> list[grounding.ScannedQuery]:
    rows = ExtractedQuery.objects.filter(project=project).order_by("-id")[:SCANNED_EXAMPLES]
    found = []
    for row in rows.values("sql", "normalized_text", "tables_read", "tables_written"):
        names = [n if "." in n else f"public.{n}" for n in (row["tables_read"] or []) + (row["tables_written"] or [])]
        found.append(grounding.ScannedQuery(sql=row["sql"] or row["normalized_text"], tables=tuple(names)))
    return found
