"""Reads of the repositories app."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q

from dbooster.errors import NotFound
from repositories.models import ExtractedQuery, QueryOccurrence, Repository, ScanRun


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
