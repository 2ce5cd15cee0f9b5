"""Target databases: connections, synced schema snapshots, and query history.

A snapshot is the rows of SchemaMetadata / DbTable / DbIndex / DbForeignKey that
belong to one connection; each sync replaces them in one transaction.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models

from dbooster.fields import EncryptedTextField


def mask_url(url: str) -> str:
    """`postgresql://app:***@db.example.com:5432/shop`: the URL without its password or query."""
    try:
        parts = urlsplit(url or "")
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "postgresql://***"
    if ":" in host:
        host = f"[{host}]"
    user = parts.username or ""
    auth = f"{user}:***@" if parts.password is not None else (f"{user}@" if user else "")
    netloc = f"{auth}{host}" + (f":{port}" if port else "")
    return f"{parts.scheme or 'postgresql'}://{netloc}{parts.path}"


class DatabaseConnection(models.Model):
    class Engine(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"

    class Environment(models.TextChoices):
        PRODUCTION = "production"
        STAGING = "staging"
        DEVELOPMENT = "development"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=200)
    engine = models.CharField(max_length=32, choices=Engine.choices, default=Engine.POSTGRESQL)
    url = EncryptedTextField()
    environment = models.CharField(max_length=16, choices=Environment.choices, default=Environment.DEVELOPMENT)
    # EXPLAIN ANALYZE executes the query (read-only, rolled back).
    allow_analyze = models.BooleanField(default=True)
    # INSERT/UPDATE/DELETE/MERGE analyzed inside a transaction that is rolled back. Never on production.
    allow_dml_analyze = models.BooleanField(default=False)
    # DBooster never writes to a read-only connection (no index is applied through it).
    read_only = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    # What the last test found risky about the role DBooster connects as (a superuser, a member of
    # pg_signal_backend): shown on the connection's page and in the API.
    role_warnings = models.JSONField(default=list, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "database_connections"
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_connection_name_per_project"),
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(is_default=True), name="one_default_connection_per_project"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def organization(self):
        return self.project.organization

    @property
    def organization_id(self):
        return self.project.organization_id

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)


class SchemaSync(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="schema_syncs")
    connection = models.ForeignKey(DatabaseConnection, on_delete=models.CASCADE, related_name="syncs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    stage = models.CharField(max_length=64, blank=True, default="")
    error = models.TextField(blank=True, default="")
    # {"tables": {"added": [...], "removed": [...], "changed": [...]}, "columns": ..., "indexes": ...}
    diff = models.JSONField(default=dict, blank=True)
    # Counts of what the snapshot holds, and how many catalog statements it took.
    stats = models.JSONField(default=dict, blank=True)
    server_version = models.CharField(max_length=64, blank=True, default="")
    job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "schema_syncs"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"sync {self.pk} of {self.connection_id} ({self.status})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class SchemaMetadata(models.Model):
    """One column of one table: the seed's `db_schema_metadata` row, plus what a real tool needs."""

    # A snapshot row lives and dies with its connection (Django cascades the delete). The database-level
    # foreign key check and a separate connection_id index (the composite index below serves it) cost about
    # a third of a first sync's time on a large schema, for rows only the sync itself writes.
    connection = models.ForeignKey(
        DatabaseConnection, on_delete=models.CASCADE, related_name="columns", db_index=False, db_constraint=False
    )
    schema_name = models.TextField(default="public")
    # The seed's columns.
    table_name = models.TextField()
    column_name = models.TextField()
    column_type = models.TextField()
    is_indexed = models.BooleanField(default=False)
    is_foreign_key = models.BooleanField(default=False)
    referred_table = models.TextField(null=True, blank=True)
    referred_column = models.TextField(null=True, blank=True)
    # Beside them.
    ordinal_position = models.IntegerField(default=0)
    is_nullable = models.BooleanField(default=True)
    column_default = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "db_schema_metadata"
        ordering = ["schema_name", "table_name", "ordinal_position"]
        indexes = [models.Index(fields=["connection", "table_name"], name="schema_meta_conn_table")]

    def __str__(self):
        return f"{self.schema_name}.{self.table_name}.{self.column_name}"


class DbTable(models.Model):
    class Kind(models.TextChoices):
        TABLE = "table"
        VIEW = "view"
        MATERIALIZED_VIEW = "materialized_view"
        PARTITIONED = "partitioned"
        PARTITION = "partition"
        FOREIGN = "foreign"

    # A snapshot row lives and dies with its connection (Django cascades the delete). The database-level
    # foreign key check and a separate connection_id index (the composite index below serves it) cost about
    # a third of a first sync's time on a large schema, for rows only the sync itself writes.
    connection = models.ForeignKey(
        DatabaseConnection, on_delete=models.CASCADE, related_name="tables", db_index=False, db_constraint=False
    )
    schema_name = models.TextField()
    name = models.TextField()
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.TABLE)
    row_estimate = models.BigIntegerField(null=True, blank=True)  # pg_class.reltuples; -1 = never analyzed
    size_bytes = models.BigIntegerField(null=True, blank=True)  # table + indexes + toast
    last_analyze = models.DateTimeField(null=True, blank=True)
    # Partitioning: the key of a partitioned table, the parent and bound of a partition.
    partition_key = models.TextField(blank=True, default="")
    parent_schema = models.TextField(blank=True, default="")
    parent_table = models.TextField(blank=True, default="")
    partition_bound = models.TextField(blank=True, default="")
    comment = models.TextField(blank=True, default="")

    class Meta:
        db_table = "db_schema_tables"
        ordering = ["schema_name", "name"]
        indexes = [models.Index(fields=["connection", "name"], name="schema_tables_conn_name")]

    def __str__(self):
        return f"{self.schema_name}.{self.name}"


class DbIndex(models.Model):
    # A snapshot row lives and dies with its connection (Django cascades the delete). The database-level
    # foreign key check and a separate connection_id index (the composite index below serves it) cost about
    # a third of a first sync's time on a large schema, for rows only the sync itself writes.
    connection = models.ForeignKey(
        DatabaseConnection, on_delete=models.CASCADE, related_name="indexes", db_index=False, db_constraint=False
    )
    schema_name = models.TextField()
    table_name = models.TextField()
    name = models.TextField()
    definition = models.TextField()
    method = models.CharField(max_length=32)
    is_unique = models.BooleanField(default=False)
    is_primary = models.BooleanField(default=False)
    is_valid = models.BooleanField(default=True)
    predicate = models.TextField(blank=True, default="")  # partial index WHERE
    expressions = models.TextField(blank=True, default="")  # expression index parts
    # Key columns in order; an expression appears as its text. INCLUDE columns apart.
    columns = models.JSONField(default=list)
    include_columns = models.JSONField(default=list)
    size_bytes = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "db_schema_indexes"
        ordering = ["schema_name", "table_name", "name"]
        indexes = [models.Index(fields=["connection", "table_name"], name="schema_idx_conn_table")]

    def __str__(self):
        return self.name


class DbForeignKey(models.Model):
    # No database-level check, as for the other snapshot rows (see SchemaMetadata.connection).
    connection = models.ForeignKey(
        DatabaseConnection, on_delete=models.CASCADE, related_name="foreign_keys", db_constraint=False
    )
    schema_name = models.TextField()
    table_name = models.TextField()
    name = models.TextField()
    columns = models.JSONField(default=list)
    referred_schema = models.TextField()
    referred_table = models.TextField()
    referred_columns = models.JSONField(default=list)
    on_delete = models.CharField(max_length=16, blank=True, default="")
    on_update = models.CharField(max_length=16, blank=True, default="")
    # Some index on the referencing table starts with exactly these columns (joins and cascades need one).
    has_index = models.BooleanField(default=False)

    class Meta:
        db_table = "db_schema_foreign_keys"
        ordering = ["schema_name", "table_name", "name"]

    def __str__(self):
        return self.name


class QueryAnalysis(models.Model):
    """One EXPLAIN run: query history for a project."""

    class Kind(models.TextChoices):
        EXPLAIN = "explain"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="query_analyses")
    connection = models.ForeignKey(
        DatabaseConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="analyses"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    query = models.TextField()
    fingerprint = models.CharField(max_length=32, blank=True, default="", db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EXPLAIN)
    statement_kind = models.CharField(max_length=16, blank=True, default="")  # select, insert, ...
    analyzed = models.BooleanField(default=False)
    generic_plan = models.BooleanField(default=False)
    plan = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    total_cost = models.FloatField(null=True, blank=True)
    execution_ms = models.FloatField(null=True, blank=True)
    planning_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "query_analyses"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "query analyses"

    def __str__(self):
        return f"{self.kind} {self.pk}"

    @property
    def organization(self):
        return self.project.organization
