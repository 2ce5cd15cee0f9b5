"""Reads of the repositories app."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from dbooster.api import get_for_org
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


def query_list(*, project, table: str = "", file: str = "", q: str = ""):
    """The project's queries, each with its occurrences (filtered by file when asked)."""
    queries = ExtractedQuery.objects.filter(project=project)
    occurrences = QueryOccurrence.objects.order_by("file_path", "line")
    table = (table or "").strip()
    file = (file or "").strip()
    if table:
        queries = queries.filter(Q(tables_read__contains=[table]) | Q(tables_written__contains=[table]))
    if file:
        queries = queries.filter(occurrences__file_path__icontains=file)
        occurrences = occurrences.filter(file_path__icontains=file)
    if q and q.strip():
        queries = queries.filter(normalized_text__icontains=q.strip())
    return (
        queries.distinct()
        .annotate(occurrence_count=Count("occurrences", distinct=True))
        .prefetch_related(Prefetch("occurrences", queryset=occurrences))
        .order_by("-occurrence_count", "id")
    )


def project_for(*, org, pk):
    from projects.models import Project

    return get_for_org(Project.objects.all(), org, pk=pk)
