"""Writes of the repositories app: connecting repositories, starting and running scans."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import shutil
import tempfile
import uuid
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import services as audit
from dbooster import jobs
from dbooster.errors import Conflict, DomainError, InvalidInput, PayloadTooLarge
from plans.quotas import enforce_quota
from repositories import github, sources
from repositories.archives import ArchiveRefused
from repositories.extraction import count_source_files, scan_tree
from repositories.models import ExtractedQuery, FileProblem, QueryOccurrence, RejectedCandidate, Repository, ScanRun
from repositories.signals import scan_finished

logger = logging.getLogger(__name__)

RUN_SCAN_TASK = "repositories.run_scan"  # repositories/tasks.py

UPLOAD_SUFFIXES = (".zip", ".tar.gz", ".tgz")
WRITE_BATCH = 1000


# --- repositories -------------------------------------------------------------


def repository_connect(
    *, project, url: str, full_name: str = "", default_branch: str = "", private: bool = False, actor=None, request=None
) -> Repository:
    kind, name = sources.classify(url)
    if kind == "github":
        # GitHub's own answer, with the user's token: the repository exists and they can see it; its default
        # branch and visibility are what GitHub says, not what the request claims.
        info = github.repository_info(token=getattr(actor, "github_token", None) or None, full_name=name)
        full_name, private = info["full_name"], info["private"]
        default_branch = default_branch or info["default_branch"]
    return _repository_create(
        project=project, url=url, kind=kind, name=name, full_name=full_name, default_branch=default_branch,
        private=private, actor=actor, request=request,
    )  # fmt: skip


@transaction.atomic
def _repository_create(*, project, url, kind, name, full_name, default_branch, private, actor, request) -> Repository:
    provider = Repository.Provider.GITHUB if kind == "github" else Repository.Provider.GIT
    full_name = full_name or (name if kind == "github" else url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))
    if Repository.objects.filter(project=project, url=url).exists():
        raise Conflict(f"{full_name} is already connected to this project.", code="already_connected")
    repository = Repository.objects.create(
        project=project,
        provider=provider,
        full_name=full_name[:300],
        url=url,
        default_branch=default_branch or "main",
        private=private,
        connected_by=actor,
    )
    audit.record(
        action="repository.connect",
        actor=actor,
        organization=project.organization,
        target=repository,
        request=request,
        metadata={"full_name": repository.full_name, "provider": provider},
    )
    return repository


# --- starting scans -----------------------------------------------------------


def _scans_this_month(organization) -> int:
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return ScanRun.objects.filter(project__organization=organization, created_at__gte=start).count()


def _lock_key(project_id: int, url: str, branch: str) -> int:
    digest = hashlib.sha256(f"{project_id}\0{url}\0{branch}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _defer(scan_id: int) -> None:
    jobs.defer(RUN_SCAN_TASK, scan_id=scan_id)


def _record_start(scan: ScanRun, actor, request) -> None:
    audit.record(
        action="scan.start",
        actor=actor,
        organization=scan.project.organization,
        target=scan,
        request=request,
        metadata={"source": scan.source, "branch": scan.branch, "repository": scan.repository_id},
    )
    transaction.on_commit(lambda: _defer(scan.pk))


def _fail_abandoned(active) -> None:
    """A scan still queued or running long after any scan could take is one whose worker died: fail it, so the
    next request starts a new scan instead of joining a dead one forever."""
    cutoff = timezone.now() - timedelta(seconds=settings.SCAN_ABANDONED_AFTER)
    active.filter(created_at__lt=cutoff).update(
        status=ScanRun.Status.FAILED,
        finished_at=timezone.now(),
        error="The scan was abandoned: its worker stopped before finishing. Start the scan again.",
    )


@transaction.atomic
def scan_start(*, project, repo_url: str, branch: str = "", actor=None, request=None) -> tuple[ScanRun, bool]:
    """Queue a scan of `repo_url` at `branch`; returns (scan, joined).

    The same repository and branch already queued or running in this project is joined:
    the running scan is returned instead of starting a second one.
    """
    repo_url = (repo_url or "").strip()
    kind, _ = sources.classify(repo_url)
    repository = Repository.objects.filter(project=project, url=repo_url).first()
    branch = sources.validate_branch(branch or (repository.default_branch if repository else "main"))
    with connection.cursor() as cursor:
        # Two requests for the same repository and branch serialize here, so only one scan starts.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(project.pk, repo_url, branch)])
    active = ScanRun.objects.filter(project=project, repo_url=repo_url, branch=branch, status__in=ScanRun.ACTIVE)
    _fail_abandoned(active)
    running = active.first()
    if running:
        return running, True
    enforce_quota(
        organization=project.organization, resource="scans_per_month", used=_scans_this_month(project.organization)
    )
    scan = ScanRun.objects.create(
        project=project,
        repository=repository,
        source=ScanRun.Source.GITHUB if kind == "github" else ScanRun.Source.GIT,
        repo_url=repo_url,
        branch=branch,
        created_by=actor,
    )
    _record_start(scan, actor, request)
    return scan, False


def _upload_suffix(name: str) -> str:
    lowered = (name or "").lower()
    for suffix in UPLOAD_SUFFIXES:
        if lowered.endswith(suffix):
            return suffix
    raise InvalidInput("Upload a .zip or .tar.gz archive of your code.", code="invalid_archive")


@transaction.atomic
def scan_start_upload(*, project, uploaded, actor=None, request=None) -> ScanRun:
    """Keep the uploaded archive until the worker unpacks it, and queue its scan."""
    suffix = _upload_suffix(uploaded.name)
    if uploaded.size > settings.SCAN_MAX_ARCHIVE_BYTES:
        raise PayloadTooLarge(
            f"The archive is {uploaded.size} bytes; the limit is {settings.SCAN_MAX_ARCHIVE_BYTES}.",
            code="archive_too_large",
        )
    enforce_quota(
        organization=project.organization, resource="scans_per_month", used=_scans_this_month(project.organization)
    )
    os.makedirs(settings.SCAN_UPLOAD_DIR, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{suffix}"
    with open(os.path.join(settings.SCAN_UPLOAD_DIR, stored), "xb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    scan = ScanRun.objects.create(
        project=project,
        source=ScanRun.Source.UPLOAD,
        upload_path=stored,
        upload_name=os.path.basename(uploaded.name)[:255],
        created_by=actor,
    )
    _record_start(scan, actor, request)
    return scan


# --- running scans (the worker) -------------------------------------------------


class _ResultWriter:
    """Stores extraction results in batches: one ExtractedQuery per fingerprint, occurrences per place."""

    def __init__(self, scan: ScanRun):
        self.scan = scan
        self.occurrences = []
        self.rejected = []
        self.problems = []
        self.files = 0
        self.bytes = 0

    def __call__(self, chunk) -> None:
        self.files += chunk.files
        self.bytes += chunk.bytes
        for result in chunk.results:
            self.occurrences.extend(result.occurrences)
            self.rejected.extend(result.rejected)
            if result.error:
                self.problems.append(result)
        if len(self.occurrences) + len(self.rejected) + len(self.problems) >= WRITE_BATCH:
            self.flush()
        ScanRun.objects.filter(pk=self.scan.pk).update(files_done=self.files, bytes_scanned=self.bytes)

    def flush(self) -> None:
        if self.occurrences:
            self._write_occurrences(self.occurrences)
            self.occurrences = []
        if self.rejected:
            RejectedCandidate.objects.bulk_create(
                [
                    RejectedCandidate(
                        scan=self.scan,
                        file_path=r.file[:1000],
                        line=r.line,
                        column=r.column,
                        language=r.language,
                        text=r.text[:10_000],
                        reason=r.reason[:2000],
                    )
                    for r in self.rejected
                ]
            )
            self.rejected = []
        if self.problems:
            FileProblem.objects.bulk_create(
                [FileProblem(scan=self.scan, file_path=r.path[:1000], reason=r.error[:2000]) for r in self.problems]
            )
            self.problems = []

    def _write_occurrences(self, occurrences) -> None:
        project = self.scan.project
        first = {}
        for occ in occurrences:
            first.setdefault(occ.fingerprint, occ)
        ExtractedQuery.objects.bulk_create(
            [
                ExtractedQuery(
                    project=project,
                    fingerprint=fp,
                    normalized_text=occ.normalized,
                    sql=occ.sql,
                    statement_type=occ.statement_type,
                    tables_read=list(occ.tables_read),
                    tables_written=list(occ.tables_written),
                    first_seen_scan=self.scan,
                )
                for fp, occ in first.items()
            ],
            ignore_conflicts=True,
        )
        ids = dict(
            ExtractedQuery.objects.filter(project=project, fingerprint__in=list(first)).values_list("fingerprint", "id")
        )
        QueryOccurrence.objects.bulk_create(
            [
                QueryOccurrence(
                    query_id=ids[occ.fingerprint],
                    scan=self.scan,
                    file_path=occ.file[:1000],
                    line=occ.line,
                    column=occ.column,
                    language=occ.language,
                    context=occ.context[:4000],
                    interpolations=min(occ.interpolations, 32767),
                )
                for occ in occurrences
            ]
        )


def _fetch(scan: ScanRun, scratch: str) -> str:
    if scan.source == ScanRun.Source.UPLOAD:
        path = os.path.join(settings.SCAN_UPLOAD_DIR, scan.upload_path)
        return sources.unpack_upload(path=path, name=scan.upload_name, scratch=scratch)
    if scan.source == ScanRun.Source.GITHUB:
        _, full_name = sources.classify(scan.repo_url)
        token = getattr(scan.created_by, "github_token", None) if scan.created_by else None
        return sources.download_github(token=token, full_name=full_name, branch=scan.branch, scratch=scratch)
    sources.classify(scan.repo_url)  # settings may have changed since the scan was queued
    return sources.clone(url=scan.repo_url, branch=scan.branch, scratch=scratch)


def _finish(scan: ScanRun, *, status: str, error: str = "") -> None:
    scan.status = status
    scan.error = error
    scan.finished_at = timezone.now()
    scan.occurrences_found = scan.occurrences.count()
    scan.queries_found = scan.occurrences.values("query").distinct().count()
    scan.rejected_found = scan.rejected.count()
    scan.problems_found = scan.problems.count()
    scan.save(
        update_fields=[
            "status", "error", "finished_at", "occurrences_found", "queries_found", "rejected_found", "problems_found"
        ]
    )  # fmt: skip
    if status == ScanRun.Status.SUCCEEDED and scan.repository_id:
        Repository.objects.filter(pk=scan.repository_id).update(last_scan=scan)
    audit.record(
        action="scan.finish",
        actor=scan.created_by,
        organization=scan.project.organization,
        target=scan,
        outcome="success" if status == ScanRun.Status.SUCCEEDED else "failure",
        metadata={"status": status, "files": scan.files_done, "queries": scan.queries_found, "error": error[:300]},
    )


def scan_lost(lost: jobs.LostJob) -> str:
    """The worker died mid-scan: fail the scan with the reason and remove its scratch files.

    Not retried: a file that killed one worker would kill the next.
    """
    scan = (
        ScanRun.objects.select_related("project__organization", "created_by")
        .filter(pk=lost.args.get("scan_id"))
        .first()
    )
    if scan is None:
        return jobs.FAIL
    for leftover in glob.glob(os.path.join(glob.escape(str(settings.SCAN_SCRATCH_DIR)), f"scan-{scan.pk}-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    if scan.upload_path:
        with contextlib.suppress(OSError):
            os.remove(os.path.join(settings.SCAN_UPLOAD_DIR, scan.upload_path))
    if scan.is_active:
        _finish(scan, status=ScanRun.Status.FAILED, error=f"The scan was stopped: {lost.reason}. Start it again.")
    return jobs.FAIL


def infrastructure_failure(exc: BaseException) -> str:
    """What failed on our side, for the scan's error: the database, the disk, or a worker process."""
    if isinstance(exc, DatabaseError):
        part = "our database"
    elif isinstance(exc, OSError):
        part = f"the scan's disk space ({exc.strerror or type(exc).__name__})"
    elif isinstance(exc, BrokenProcessPool):
        part = "an extraction worker process (it stopped)"
    else:
        part = f"the scan worker ({type(exc).__name__})"
    return f"The scan failed on our side, in {part}; it has been logged. Start the scan again."


def scan_execute(*, scan_id: int) -> ScanRun:
    """Fetch, extract and store one scan. Scratch space is removed whatever happens."""
    scan = ScanRun.objects.select_related("project__organization", "created_by").get(pk=scan_id)
    if scan.status != ScanRun.Status.QUEUED:
        return scan
    scan.status = ScanRun.Status.RUNNING
    scan.started_at = timezone.now()
    scan.save(update_fields=["status", "started_at"])
    os.makedirs(settings.SCAN_SCRATCH_DIR, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f"scan-{scan.pk}-", dir=settings.SCAN_SCRATCH_DIR)
    try:
        root = _fetch(scan, scratch)
        scan.files_total = count_source_files(root)
        scan.save(update_fields=["files_total"])
        writer = _ResultWriter(scan)
        scan_tree(root, on_results=writer, workers=settings.SCAN_WORKERS)
        writer.flush()
        scan.files_done, scan.bytes_scanned = writer.files, writer.bytes
        scan.save(update_fields=["files_done", "bytes_scanned"])
        _finish(scan, status=ScanRun.Status.SUCCEEDED)
    except (DomainError, ArchiveRefused) as exc:
        _finish(scan, status=ScanRun.Status.FAILED, error=getattr(exc, "detail", None) or str(exc))
    except Exception as exc:
        # The code scanned never gets here (its problems are per file): this is our infrastructure.
        logger.exception("scan %s failed", scan.pk)
        _finish(scan, status=ScanRun.Status.FAILED, error=infrastructure_failure(exc))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if scan.upload_path:
            try:
                os.remove(os.path.join(settings.SCAN_UPLOAD_DIR, scan.upload_path))
            except OSError:
                pass
        scan_finished.send(sender=ScanRun, scan=scan)
    return scan
