"""Snapshots of a target database over time: sizes, gauges, and counters' deltas per interval.

A raw snapshot holds what happened since the previous one (every ANALYTICS_SNAPSHOT_INTERVAL_MINUTES);
older snapshots are rolled up into one per hour, then one per day, and dropped past the retention, so the
storage a connection takes stays bounded (see services.snapshots_roll_up).
"""

from django.db import models


class Resolution(models.TextChoices):
    RAW = "raw", "raw"
    HOUR = "hour", "hour"
    DAY = "day", "day"


class Snapshot(models.Model):
    """One connection's database at one time (raw) or over one hour or day (rolled up).

    Sizes and gauges are the last ones seen (connections: the peak per state); the counters are deltas over
    `period_s` seconds ending at `taken_at` (raw) or over the bucket starting at `taken_at` (hour, day), NULL
    when unknown (the first snapshot only sets the baseline).
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="analytics_snapshots")
    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection", on_delete=models.CASCADE, related_name="analytics_snapshots"
    )
    resolution = models.CharField(max_length=4, choices=Resolution.choices, default=Resolution.RAW)
    taken_at = models.DateTimeField()
    period_s = models.PositiveIntegerField(default=0)
    database_bytes = models.BigIntegerField()
    connections = models.JSONField(default=dict)  # state -> sessions
    xact_commit = models.BigIntegerField(null=True)
    xact_rollback = models.BigIntegerField(null=True)
    blks_hit = models.BigIntegerField(null=True)
    blks_read = models.BigIntegerField(null=True)
    calls = models.BigIntegerField(null=True)  # every statement of pg_stat_statements, not only those kept
    total_ms = models.FloatField(null=True)
    stats_reset = models.BooleanField(default=False)  # a statistics reset happened in this interval

    class Meta:
        db_table = "analytics_snapshots"
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "resolution", "taken_at"], name="analytics_snapshot_once")
        ]
        indexes = [models.Index(fields=["connection", "taken_at"], name="analytics_snapshot_time")]

    def __str__(self):
        return f"{self.resolution} snapshot of connection {self.connection_id} at {self.taken_at:%Y-%m-%d %H:%M}"

    @property
    def cache_hit_ratio(self) -> float | None:
        if self.blks_hit is None or self.blks_read is None or self.blks_hit + self.blks_read == 0:
            return None
        return self.blks_hit / (self.blks_hit + self.blks_read)


class RelationSize(models.Model):
    """A table's (heap + TOAST) or an index's size and rows in one snapshot: the largest ones only."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="relations")
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=5)  # table or index
    parent = models.CharField(max_length=300, blank=True, default="")  # an index's table
    bytes = models.BigIntegerField()
    rows = models.BigIntegerField(null=True)

    class Meta:
        db_table = "analytics_relation_sizes"
        ordering = ["snapshot", "-bytes", "name"]

    def __str__(self):
        return f"{self.kind} {self.name}: {self.bytes} bytes"


class QueryStat(models.Model):
    """One statement's (by the scan's fingerprint) pg_stat_statements deltas over one snapshot's interval."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="queries")
    fingerprint = models.CharField(max_length=64)
    calls = models.BigIntegerField()
    total_ms = models.FloatField()
    rows = models.BigIntegerField()
    shared_blks_hit = models.BigIntegerField()
    shared_blks_read = models.BigIntegerField()

    class Meta:
        db_table = "analytics_query_stats"
        ordering = ["snapshot", "-total_ms"]
        indexes = [models.Index(fields=["fingerprint", "snapshot"], name="analytics_query_fp")]

    def __str__(self):
        return f"{self.fingerprint}: {self.calls} calls, {self.total_ms:.1f} ms"

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0


class QueryText(models.Model):
    """A statement's text (pg_stat_statements' normalized form), stored once per connection and fingerprint."""

    connection = models.ForeignKey(
        "schema_metadata.DatabaseConnection", on_delete=models.CASCADE, related_name="analytics_query_texts"
    )
    fingerprint = models.CharField(max_length=64)
    query = models.TextField()
    first_seen_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_query_texts"
        constraints = [models.UniqueConstraint(fields=["connection", "fingerprint"], name="analytics_query_text_once")]

    def __str__(self):
        return self.query[:80]


class CollectorState(models.Model):
    """What the next snapshot of a connection needs: the previous cumulative counters, and how the last went."""

    connection = models.OneToOneField(
        "schema_metadata.DatabaseConnection", on_delete=models.CASCADE, primary_key=True,
        related_name="analytics_state",
    )  # fmt: skip
    database_counters = models.JSONField(null=True)
    # queryid -> {"fp": fingerprint, counters...}: the fingerprint is kept so a text is parsed only once.
    statement_counters = models.JSONField(null=True)
    statements_reset = models.CharField(max_length=64, null=True)
    last_taken_at = models.DateTimeField(null=True)
    last_attempt_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "analytics_collector_states"

    def __str__(self):
        return f"analytics of connection {self.connection_id}"
