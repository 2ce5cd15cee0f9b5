"""Reads of the analytics app: which connections are due, and time series over a range, one point per step.

Within a step, sizes and gauges are the last seen (sessions: the peak per state), counters are summed.
A step with no snapshot is a null point, so every series of a range has the same times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db.models import Count, Sum
from django.utils import timezone

from analytics.models import CollectorState, QueryStat, QueryText, RelationSize, Snapshot
from analytics.timerange import TimeRange
from dbooster.errors import NotFound
from repositories.models import ExtractedQuery
from schema_metadata.models import DatabaseConnection
from schema_metadata.selectors import metadata_connection

# A tick runs every minute: a connection is due this much before a whole interval, so it does not slip a minute.
DUE_SLACK = timedelta(seconds=30)
QUERY_COUNTERS = ("calls", "total_ms", "rows", "shared_blks_hit", "shared_blks_read")
TOP_QUERY_ORDER = {"total_ms", "mean_ms", "calls", "rows", "shared_blks_read"}


def connections_due(*, now: datetime | None = None) -> list[int]:
    """Connections never snapshotted, or whose last attempt is an interval old (none when the interval is 0)."""
    if settings.ANALYTICS_SNAPSHOT_INTERVAL_MINUTES <= 0:
        return []
    now = now or timezone.now()
    threshold = now - timedelta(minutes=settings.ANALYTICS_SNAPSHOT_INTERVAL_MINUTES) + DUE_SLACK
    recent = CollectorState.objects.filter(last_attempt_at__gt=threshold).values("connection_id")
    return list(DatabaseConnection.objects.exclude(pk__in=recent).order_by("pk").values_list("pk", flat=True))


def analytics_connection(*, project, connection_id=None) -> DatabaseConnection:
    """`?connection=` or the project's default; a clear 404 when it has none."""
    connection = metadata_connection(project=project, connection_id=connection_id)
    if connection is None:
        raise NotFound("This project has no database connection: add one to follow it over time.")
    return connection


def collector_state(*, connection) -> CollectorState | None:
    return CollectorState.objects.filter(connection=connection).first()


def _snapshots(connection, rng: TimeRange) -> list[Snapshot]:
    return list(
        Snapshot.objects.filter(connection=connection, taken_at__gte=rng.start, taken_at__lte=rng.end).order_by(
            "taken_at", "id"
        )
    )


def _by_point(rng: TimeRange, items, at=lambda item: item.taken_at) -> list[list]:
    points: list[list] = [[] for _ in range(rng.points)]
    for item in items:
        index = rng.index(at(item))
        if index is not None:
            points[index].append(item)
    return points


def _total(values):
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _ratio(part, whole):
    return None if not whole or part is None else part / whole


def _times(rng: TimeRange) -> list[str]:
    return [t.isoformat() for t in rng.times()]


def storage_series(*, connection, rng: TimeRange, relations: int = 10) -> dict:
    """The database's size per point, and the largest tables' and indexes' sizes (at the range's end) per point."""
    snapshots = _snapshots(connection, rng)
    groups = _by_point(rng, snapshots)
    last_of_point = [group[-1] if group else None for group in groups]
    latest = snapshots[-1] if snapshots else None
    top = list(latest.relations.order_by("-bytes", "name")[:relations]) if latest else []
    sizes = RelationSize.objects.filter(
        snapshot__in=[s for s in last_of_point if s], name__in=[r.name for r in top]
    ).values_list("snapshot_id", "name", "bytes")
    by_snapshot: dict[tuple, int] = {(sid, name): b for sid, name, b in sizes}
    first = snapshots[0] if snapshots else None
    first_sizes = dict(first.relations.values_list("name", "bytes")) if first else {}
    return {
        "times": _times(rng),
        "database_bytes": [s.database_bytes if s else None for s in last_of_point],
        "relations": [
            {
                "name": r.name,
                "kind": r.kind,
                "table": r.parent or r.name,
                "bytes": r.bytes,
                "rows": r.rows,
                "growth_bytes": r.bytes - first_sizes[r.name] if r.name in first_sizes else None,
                "series": [by_snapshot.get((s.pk, r.name)) if s else None for s in last_of_point],
            }
            for r in top
        ],
        "snapshots": len(snapshots),
        "last_taken_at": latest.taken_at if latest else None,
    }


def execution_series(*, connection, rng: TimeRange) -> dict:
    """Every statement's calls, total and mean time per point (pg_stat_statements deltas)."""
    groups = _by_point(rng, _snapshots(connection, rng))
    calls = [_total(s.calls for s in g) for g in groups]
    total = [_total(s.total_ms for s in g) for g in groups]
    return {
        "times": _times(rng),
        "calls": calls,
        "total_ms": total,
        "mean_ms": [_ratio(t, c) for t, c in zip(total, calls, strict=True)],
        "snapshots": sum(len(g) for g in groups),
    }


def usage_series(*, connection, rng: TimeRange) -> dict:
    """Sessions by state (the peak), the cache hit ratio, and transactions committed and rolled back per point."""
    groups = _by_point(rng, _snapshots(connection, rng))
    states = sorted({state for g in groups for s in g for state in s.connections})
    hits = [_total(s.blks_hit for s in g) for g in groups]
    reads = [_total(s.blks_read for s in g) for g in groups]
    return {
        "times": _times(rng),
        "connections": {
            state: [max((s.connections.get(state, 0) for s in g), default=None) for g in groups] for state in states
        },
        "cache_hit_ratio": [
            _ratio(h, (h or 0) + (r or 0)) if h is not None or r is not None else None
            for h, r in zip(hits, reads, strict=True)
        ],
        "xact_commit": [_total(s.xact_commit for s in g) for g in groups],
        "xact_rollback": [_total(s.xact_rollback for s in g) for g in groups],
        "stats_resets": [any(s.stats_reset for s in g) for g in groups],
        "snapshots": sum(len(g) for g in groups),
    }


def _texts(connection, fingerprints) -> dict[str, str]:
    return dict(
        QueryText.objects.filter(connection=connection, fingerprint__in=list(fingerprints)).values_list(
            "fingerprint", "query"
        )
    )


def _extracted(project, fingerprints) -> dict[str, int]:
    """fingerprint -> the scanned code's query of the same fingerprint (the scans' link)."""
    return dict(
        ExtractedQuery.objects.filter(project=project, fingerprint__in=list(fingerprints)).values_list(
            "fingerprint", "pk"
        )
    )


def top_queries(*, connection, rng: TimeRange, order: str = "total_ms", limit: int = 50) -> list[dict]:
    """The statements of the range with their totals and a series (calls, total and mean time) per point."""
    in_range = QueryStat.objects.filter(
        snapshot__connection=connection, snapshot__taken_at__gte=rng.start, snapshot__taken_at__lte=rng.end
    )
    totals = list(in_range.values("fingerprint").annotate(**{k: Sum(k) for k in QUERY_COUNTERS}))
    for row in totals:
        row["mean_ms"] = _ratio(row["total_ms"], row["calls"]) or 0.0
    totals.sort(key=lambda r: (-(r[order] or 0), r["fingerprint"]))
    totals = totals[:limit]
    fingerprints = [r["fingerprint"] for r in totals]
    series = _query_series(rng, in_range.filter(fingerprint__in=fingerprints))
    texts = _texts(connection, fingerprints)
    extracted = _extracted(connection.project, fingerprints)
    return [
        {
            **row,
            "query": texts.get(row["fingerprint"], ""),
            "extracted_query_id": extracted.get(row["fingerprint"]),
            "series": series.get(row["fingerprint"], _empty_series(rng)),
        }
        for row in totals
    ]


def _empty_series(rng: TimeRange) -> dict:
    return {"calls": [None] * rng.points, "total_ms": [None] * rng.points, "mean_ms": [None] * rng.points}


def _query_series(rng: TimeRange, stats) -> dict[str, dict]:
    """fingerprint -> calls, total_ms and mean_ms per point."""
    series: dict[str, dict] = {}
    for fp, at, calls, total in stats.values_list("fingerprint", "snapshot__taken_at", "calls", "total_ms"):
        index = rng.index(at)
        if index is None:
            continue
        one = series.setdefault(fp, _empty_series(rng))
        one["calls"][index] = (one["calls"][index] or 0) + calls
        one["total_ms"][index] = (one["total_ms"][index] or 0) + total
    for one in series.values():
        one["mean_ms"] = [_ratio(t, c) for t, c in zip(one["total_ms"], one["calls"], strict=True)]
    return series


def fingerprint_history(*, project, fingerprint: str, rng: TimeRange, connection_id=None) -> dict:
    """One statement's own series over the range on the project's connection(s), and the scanned code's query."""
    connections = DatabaseConnection.objects.filter(project=project)
    if connection_id not in (None, ""):
        connections = [analytics_connection(project=project, connection_id=connection_id)]
    connections = list(connections)
    texts = QueryText.objects.filter(connection__in=connections, fingerprint=fingerprint).order_by("first_seen_at")
    text = texts.values_list("query", flat=True).first()
    extracted = ExtractedQuery.objects.filter(project=project, fingerprint=fingerprint).first()
    seen = QueryStat.objects.filter(snapshot__connection__in=connections, fingerprint=fingerprint)
    if text is None and extracted is None and not seen.exists():
        raise NotFound(
            f"No statistics of the query with fingerprint {fingerprint} in this project: no snapshot saw it run "
            "and no scan found it in the code."
        )
    in_range = seen.filter(snapshot__taken_at__gte=rng.start, snapshot__taken_at__lte=rng.end)
    series = _query_series(rng, in_range).get(fingerprint, _empty_series(rng))
    rows = in_range.aggregate(**{k: Sum(k) for k in QUERY_COUNTERS})
    rows = {k: v or 0 for k, v in rows.items()}
    return {
        "fingerprint": fingerprint,
        "project": project.pk,
        "connections": [c.pk for c in connections],
        "query": text or (extracted.normalized_text if extracted else ""),
        "extracted_query_id": extracted.pk if extracted else None,
        "extracted_query_text": extracted.normalized_text if extracted else "",
        "first_seen_scan": extracted.first_seen_scan_id if extracted else None,
        "times": _times(rng),
        **series,
        "totals": {**rows, "mean_ms": _ratio(rows["total_ms"], rows["calls"]) or 0.0},
    }


STORAGE_TABLES = {
    "snapshots": "SELECT coalesce(sum(pg_column_size(s.*)), 0) FROM analytics_snapshots s WHERE s.connection_id = %s",
    "relation_sizes": "SELECT coalesce(sum(pg_column_size(r.*)), 0) FROM analytics_relation_sizes r "
    "JOIN analytics_snapshots s ON s.id = r.snapshot_id WHERE s.connection_id = %s",
    "query_stats": "SELECT coalesce(sum(pg_column_size(q.*)), 0) FROM analytics_query_stats q "
    "JOIN analytics_snapshots s ON s.id = q.snapshot_id WHERE s.connection_id = %s",
    "query_texts": "SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM analytics_query_texts t WHERE t.connection_id = %s",
    "collector_state": "SELECT coalesce(sum(pg_column_size(c.*)), 0) FROM analytics_collector_states c "
    "WHERE c.connection_id = %s",
}


def storage_bytes(*, connection) -> dict[str, int]:
    """The bytes of the rows a connection's analytics hold, per table and in total (row data, without the
    indexes' and pages' overhead)."""
    sizes = {}
    with db_connection.cursor() as cur:
        for name, query in STORAGE_TABLES.items():
            cur.execute(query, [connection.pk])
            sizes[name] = int(cur.fetchone()[0])
    sizes["total"] = sum(sizes.values())
    return sizes


def snapshot_counts(*, connection) -> dict[str, int]:
    counts = dict.fromkeys(("raw", "hour", "day"), 0)
    for resolution, n in (
        Snapshot.objects.filter(connection=connection).values_list("resolution").annotate(n=Count("id"))
    ):
        counts[resolution] = n
    return counts
