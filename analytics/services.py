"""Writes of the analytics app: take a connection's snapshot, roll old snapshots up, drop expired ones."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics import collector
from analytics.models import CollectorState, QueryStat, QueryText, RelationSize, Resolution, Snapshot
from dbooster import jobs
from dbooster.errors import Conflict, DomainError
from schema_metadata import target
from schema_metadata.models import DatabaseConnection

SNAPSHOT_TASK = "analytics.take_snapshot"
TICK_TASK = "analytics.snapshot_tick"
SNAPSHOT_COUNTERS = ("xact_commit", "xact_rollback", "blks_hit", "blks_read", "calls", "total_ms")
QUERY_COUNTERS = collector.STATEMENT_COUNTERS
BUCKET_S = {Resolution.HOUR: 3600, Resolution.DAY: 86400}


def _pack(counters: dict, fp: str) -> list:
    """A statement's cumulative counters as kept between snapshots: compact, up to 5,000 of them."""
    return [fp, *(counters[k] for k in QUERY_COUNTERS)]


def _unpack(packed: list) -> tuple[str, dict]:
    return packed[0], dict(zip(QUERY_COUNTERS, packed[1:], strict=True))


def snapshot_take(*, connection: DatabaseConnection, now: datetime | None = None) -> Snapshot | None:
    """Read `connection`'s statistics through the project's guarded session (read only, deadlines) and store
    them as a raw snapshot. A database that cannot be read leaves its error on the collector state."""
    now = now or timezone.now()
    state, _ = CollectorState.objects.get_or_create(connection=connection)
    CollectorState.objects.filter(pk=state.pk).update(last_attempt_at=now)
    try:
        with target.session(
            connection.url, read_only=True, statement_timeout_ms=settings.ANALYTICS_STATEMENT_TIMEOUT_MS
        ) as conn:
            reading = collector.read(conn, max_relations=settings.ANALYTICS_MAX_RELATIONS)
            texts = collector.read_texts(conn, _queryids_needing_text(connection, state, reading))
    except DomainError as exc:
        CollectorState.objects.filter(pk=state.pk).update(last_error=exc.detail)
        raise
    return snapshot_record(connection=connection, reading=reading, texts=texts, at=now)


def _queryids_needing_text(connection, state: CollectorState, reading: collector.Reading) -> list[str]:
    """Statements new since the last snapshot (their fingerprint is parsed from the text), and those that ran
    again and whose text is not stored yet: texts are read once, not every snapshot."""
    previous = state.statement_counters or {}
    stored = set(QueryText.objects.filter(connection=connection).values_list("fingerprint", flat=True))
    needed = []
    for queryid, counters in (reading.statements or {}).items():
        if queryid not in previous:
            needed.append(queryid)
            continue
        fp, before = _unpack(previous[queryid])
        if fp and fp not in stored and counters["calls"] != before["calls"]:
            needed.append(queryid)
    return sorted(needed)


def _fingerprints(previous: dict, texts: dict[str, str], queryids) -> dict[str, str]:
    """queryid -> fingerprint: kept from before, else parsed from the text read now."""
    fingerprints = {}
    for queryid in queryids:
        if queryid in previous:
            fingerprints[queryid] = previous[queryid][0]
        else:
            fingerprints[queryid] = collector.statement_fingerprint(texts.get(queryid, ""))
    return fingerprints


def _query_stats(snapshot: Snapshot, summed: dict[str, dict]) -> list[QueryStat]:
    """The statements with the most time in this interval (ANALYTICS_MAX_QUERIES of them)."""
    ranked = sorted(summed.items(), key=lambda item: (-item[1]["total_ms"], item[0]))
    return [QueryStat(snapshot=snapshot, fingerprint=fp, **counters) for fp, counters in ranked[: _max_queries()]]


def _max_queries() -> int:
    return int(settings.ANALYTICS_MAX_QUERIES)


@transaction.atomic
def snapshot_record(*, connection: DatabaseConnection, reading: collector.Reading, texts: dict[str, str],
                    at: datetime) -> Snapshot:  # fmt: skip
    """Store one reading taken at `at` as a raw snapshot: gauges as read, counters as deltas since the last."""
    state = CollectorState.objects.select_for_update().get_or_create(connection=connection)[0]
    if state.last_taken_at and at <= state.last_taken_at:
        # Two snapshots at once (the schedule and a user's "now"): the one read first would give negative deltas.
        raise Conflict("A newer snapshot of this database was recorded meanwhile.", code="snapshot_superseded")
    database_delta, database_reset = collector.database_deltas(state.database_counters, reading.database)
    previous = state.statement_counters or {}
    statements = reading.statements or {}
    fingerprints = _fingerprints(previous, texts, statements)
    deltas, statements_reset = collector.statement_deltas(
        None if state.statement_counters is None else {q: _unpack(p)[1] for q, p in previous.items()},
        statements,
        previous_reset=state.statements_reset,
        current_reset=reading.statements_reset,
    )
    snapshot = Snapshot.objects.create(
        project_id=connection.project_id,
        connection=connection,
        resolution=Resolution.RAW,
        taken_at=at,
        period_s=max(0, int((at - state.last_taken_at).total_seconds())) if state.last_taken_at else 0,
        database_bytes=reading.database_bytes,
        connections=reading.connections,
        **(database_delta or {}),
        calls=None if deltas is None else sum(d["calls"] for d in deltas.values()),
        total_ms=None if deltas is None else sum(d["total_ms"] for d in deltas.values()),
        stats_reset=database_reset or statements_reset,
    )
    RelationSize.objects.bulk_create([RelationSize(snapshot=snapshot, **r) for r in reading.relations])
    stats = QueryStat.objects.bulk_create(_query_stats(snapshot, collector.by_fingerprint(deltas or {}, fingerprints)))
    _remember_texts(connection=connection, stats=stats, texts=texts, fingerprints=fingerprints, at=at)
    state.database_counters = reading.database
    state.statement_counters = (
        None if reading.statements is None else {q: _pack(c, fingerprints[q]) for q, c in statements.items()}
    )
    state.statements_reset = reading.statements_reset
    state.last_taken_at = at
    state.last_error = ""
    state.save()
    return snapshot


def _remember_texts(*, connection, stats: list[QueryStat], texts: dict[str, str], fingerprints, at) -> None:
    """Keep the text of every statement a snapshot kept (once per fingerprint)."""
    text_of = {fingerprints[q]: text for q, text in texts.items() if fingerprints.get(q)}
    new = [
        QueryText(connection=connection, fingerprint=s.fingerprint, query=text_of[s.fingerprint], first_seen_at=at)
        for s in stats
        if s.fingerprint in text_of
    ]
    QueryText.objects.bulk_create(new, ignore_conflicts=True)


def snapshot_and_roll_up(*, connection_id: int, now: datetime | None = None) -> dict:
    """The job of one connection: a new snapshot, then the roll-up; what happened, for the job's result."""
    connection = DatabaseConnection.objects.filter(pk=connection_id).select_related("project").first()
    if connection is None:
        return {"skipped": "the connection was deleted"}
    now = now or timezone.now()
    try:
        outcome = {"snapshot": snapshot_take(connection=connection, now=now).pk}
    except DomainError as exc:
        # Recorded on the collector state; the next interval tries again.
        outcome = {"error": exc.detail}
    # Expired snapshots go even while the database cannot be reached.
    return {**outcome, **snapshots_roll_up(connection=connection, now=now)}


def snapshot_lost(lost: jobs.LostJob) -> str:
    """A snapshot whose worker died is not retried: the next interval takes a new one."""
    return jobs.FAIL


def _floor(at: datetime, seconds: int) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=at.tzinfo or timezone.utc)


def _sum(values):
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _merge(snapshots: list[Snapshot], *, resolution: str, at: datetime) -> Snapshot:
    """Replace `snapshots` by one of the bucket at `at`: the last sizes, each state's peak of sessions,
    the counters summed."""
    last = max(snapshots, key=lambda s: s.taken_at)
    connections: dict[str, int] = {}
    for s in snapshots:
        for state, n in s.connections.items():
            connections[state] = max(connections.get(state, 0), n)
    relations = list(last.relations.all())
    summed: dict[str, dict] = defaultdict(lambda: dict.fromkeys(QUERY_COUNTERS, 0))
    for stat in QueryStat.objects.filter(snapshot__in=snapshots):
        for k in QUERY_COUNTERS:
            summed[stat.fingerprint][k] += getattr(stat, k)
    fields = {k: _sum(getattr(s, k) for s in snapshots) for k in SNAPSHOT_COUNTERS}
    Snapshot.objects.filter(pk__in=[s.pk for s in snapshots]).delete()
    merged = Snapshot.objects.create(
        project_id=last.project_id,
        connection_id=last.connection_id,
        resolution=resolution,
        taken_at=at,
        period_s=sum(s.period_s for s in snapshots),
        database_bytes=last.database_bytes,
        connections=connections,
        stats_reset=any(s.stats_reset for s in snapshots),
        **fields,
    )
    RelationSize.objects.bulk_create(
        [RelationSize(snapshot=merged, name=r.name, kind=r.kind, parent=r.parent, bytes=r.bytes, rows=r.rows)
         for r in relations]
    )  # fmt: skip
    QueryStat.objects.bulk_create(_query_stats(merged, summed))
    return merged


def _roll(connection, *, source: str, into: str, older_than: datetime) -> int:
    """Merge the `source` snapshots of whole buckets before `older_than` into one `into` snapshot per bucket."""
    seconds = BUCKET_S[into]
    cutoff = _floor(older_than, seconds)
    old = Snapshot.objects.filter(connection=connection, resolution=source, taken_at__lt=cutoff)
    buckets: dict[datetime, list[Snapshot]] = defaultdict(list)
    for snapshot in old:
        buckets[_floor(snapshot.taken_at, seconds)].append(snapshot)
    for at, members in buckets.items():
        # A bucket rolled before (a snapshot that arrived late) is merged again with the newcomers.
        members += list(Snapshot.objects.filter(connection=connection, resolution=into, taken_at=at))
        _merge(members, resolution=into, at=at)
    return len(buckets)


@transaction.atomic
def snapshots_roll_up(*, connection: DatabaseConnection, now: datetime | None = None) -> dict:
    """Raw snapshots into hours past ANALYTICS_RAW_RETENTION_HOURS, hours into days past
    ANALYTICS_HOURLY_RETENTION_DAYS; everything past ANALYTICS_RETENTION_DAYS deleted, and the texts of
    statements no snapshot keeps any more."""
    now = now or timezone.now()
    hours = _roll(
        connection, source=Resolution.RAW, into=Resolution.HOUR,
        older_than=now - timedelta(hours=settings.ANALYTICS_RAW_RETENTION_HOURS),
    )  # fmt: skip
    days = _roll(
        connection, source=Resolution.HOUR, into=Resolution.DAY,
        older_than=now - timedelta(days=settings.ANALYTICS_HOURLY_RETENTION_DAYS),
    )  # fmt: skip
    expired, _ = Snapshot.objects.filter(
        connection=connection, taken_at__lt=now - timedelta(days=settings.ANALYTICS_RETENTION_DAYS)
    ).delete()
    kept = QueryStat.objects.filter(snapshot__connection=connection).values("fingerprint")
    QueryText.objects.filter(connection=connection).exclude(fingerprint__in=kept).delete()
    return {"hours_rolled": hours, "days_rolled": days, "deleted": expired}
