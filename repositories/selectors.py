"""Reads of the repositories app."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q

from dbooster.errors import NotFound
from repositories.models import ExtractedQuery, QueryOccurrence, Repository, ScanRun

PROBLEMS_SHOWN = 500


def repository_list(*, project):
    return Repository.objects.filter(project=project).select_related("last_scan", "connected_by")


def scan_get(*, org, pk) -> ScanRun:
    try:
        return ScanRun.objects.select_related("project").get(pk=pk, project__organization=org)
    except (ScanRun.DoesNotExist, ValueError, TypeError):
        raise NotFound("Scan not found.") from None


def scan_list(*, project):
    return ScanRun.objects.filter(project=project).order_by("-created_at", "-id")


def current_scan_ids(*, project) -> list[int]:
    """The latest succeeded scan of each source (repository URL and branch, or upload name): the code as it is
    now. Older scans keep their results, but the project's list does not count them again."""
    latest = (
        ScanRun.objects.filter(project=project, status=ScanRun.Status.SUCCEEDED)
        .values("source", "repo_url", "branch", "upload_name")
        .annotate(last=Max("id"))
    )
    return [row["last"] for row in latest]


def query_list(*, project, table: str = "", file: str = "", q: str = "", scan=None):
    """The project's queries, each with its occurrences in the current scans (or in `scan` alone), filtered by
    table, file and text when asked."""
    if scan not in (None, ""):
        scan_ids = [scan_for_project(project=project, pk=scan).pk]
    else:
        scan_ids = current_scan_ids(project=project)
    occurrences = QueryOccurrence.objects.filter(scan_id__in=scan_ids).order_by("file_path", "line")
    where = {"occurrences__scan_id__in": scan_ids}
    table = (table or "").strip()
    file = (file or "").strip()
    if file:
        where["occurrences__file_path__icontains"] = file
        occurrences = occurrences.filter(file_path__icontains=file)
    # One filter() call: the scan and the file apply to the same occurrence.
    queries = ExtractedQuery.objects.filter(project=project, **where)
    if table:
        queries = queries.filter(Q(tables_read__contains=[table]) | Q(tables_written__contains=[table]))
    if q and q.strip():
        queries = queries.filter(normalized_text__icontains=q.strip())
    return (
        queries.distinct()
        .annotate(occurrence_count=Count("occurrences", filter=Q(occurrences__scan_id__in=scan_ids), distinct=True))
        .prefetch_related(Prefetch("occurrences", queryset=occurrences))
        .order_by("-occurrence_count", "id")
    )


def scan_for_project(*, project, pk) -> ScanRun:
    try:
        return ScanRun.objects.get(pk=int(pk), project=project)
    except (ScanRun.DoesNotExist, ValueError, TypeError):
        raise NotFound("Scan not found in this project.") from None


def scan_problems(*, scan, limit: int = PROBLEMS_SHOWN):
    """The files the scan could not read or analyse, with the reason (the first `limit`)."""
    return scan.problems.order_by("file_path", "id")[:limit]


def rejected_by_reason(*, scan) -> list[dict]:
    """The scan's rejected candidates counted by reason (the reason's general part, before any parser
    detail after a colon), most frequent first."""
    counts: dict[str, int] = {}
    for reason, count in scan.rejected.values_list("reason").annotate(n=Count("id")).values_list("reason", "n"):
        general = reason.split(":", 1)[0]
        counts[general] = counts.get(general, 0) + count
    return [{"reason": r, "count": n} for r, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def rejected_list(*, scan, reason: str = ""):
    """The scan's rejected candidates, those whose reason starts with `reason` when given."""
    rejected = scan.rejected.order_by("file_path", "line", "id")
    return rejected.filter(reason__startswith=reason) if reason else rejected
