"""The eight real repositories of shared/corpora, scanned end to end: from disk with the engine, and
uploaded through POST /repos/scan/upload to a real worker. Nobody here wrote these trees."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dbooster.testing import run_pending_jobs
from repositories.models import ExtractedQuery, FileProblem, QueryOccurrence, ScanRun
from repositories.tests.corpora import ARCHIVES, CORPORA, cut_short, sql_file_slice, words_in_order

# Per-file problems a tree may have that are not the scan's doing (none of these trees has any).
EXPECTED_PROBLEMS: dict[str, list[str]] = {}


@pytest.mark.parametrize("name", ARCHIVES)
def test_each_archive_scans_from_disk_with_no_problem(corpora_scans, name):
    scan = corpora_scans[name]
    assert scan.files > 50
    assert scan.problems == EXPECTED_PROBLEMS.get(name, [])
    assert len(scan.occurrences) >= 30, f"{name}: only {len(scan.occurrences)} statements found"


@pytest.mark.parametrize("name", ARCHIVES)
def test_stored_text_is_the_statement_as_written(corpora_scans, name):
    """Every occurrence: the stored text is the whole statement (read alone, one without
    interpolations fingerprints the same), its words are the code's in order from its line, and in a
    .sql file it is the exact slice of the file at its line and column."""
    scan = corpora_scans[name]
    sources: dict[str, str] = {}
    short, elsewhere, not_sliced = [], [], []
    for occurrence in scan.occurrences:
        source = sources.setdefault(occurrence.file, scan.source(occurrence.file))
        where = f"{occurrence.file}:{occurrence.line}"
        if occurrence.interpolations == 0 and cut_short(occurrence.sql, occurrence.fingerprint):
            short.append((where, occurrence.sql[:80]))
        if not words_in_order(occurrence.sql, source, occurrence.line):
            elsewhere.append((where, occurrence.sql[:80]))
        if occurrence.language == "sql":
            written = sql_file_slice(source, occurrence.line, occurrence.column, len(occurrence.sql))
            if written != occurrence.sql:
                not_sliced.append((where, occurrence.sql[:60], written[:60]))
    assert short == []
    assert elsewhere == []
    assert not_sliced == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ARCHIVES)
def test_each_archive_uploaded_scans_in_the_worker(corpora_scans, scan_dirs, member_client, project, name):
    upload = SimpleUploadedFile(
        f"{name}.tar.gz", (Path(CORPORA) / f"{name}.tar.gz").read_bytes(), content_type="application/gzip"
    )
    response = member_client.post("/repos/scan/upload", {"file": upload, "project": project.pk}, format="multipart")
    assert response.status_code == 202, response.json()
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=response.json()["id"])
    assert scan.status == "succeeded", scan.error
    assert scan.error == ""
    assert list(FileProblem.objects.filter(scan=scan).values_list("file_path", "reason")) == []
    # The worker found what the engine finds from disk, and stored every occurrence.
    from_disk = corpora_scans[name]
    assert scan.occurrences_found == len(from_disk.occurrences) == QueryOccurrence.objects.filter(scan=scan).count()
    assert scan.rejected_found == len(from_disk.rejected)
    short = [
        (query.fingerprint, query.sql[:80])
        for query in ExtractedQuery.objects.filter(first_seen_scan=scan)
        if not query.occurrences.filter(interpolations__gt=0).exists() and cut_short(query.sql, query.fingerprint)
    ]
    assert short == []
    body = member_client.get(f"/repos/scans/{scan.pk}").json()
    assert body["counts"]["problems"] == 0 and body["problems"] == []
    assert sum(item["count"] for item in body["rejected_by_reason"]) == scan.rejected_found
