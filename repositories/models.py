"""Connected repositories, scan runs, and the SQL found in code."""

from django.conf import settings
from django.db import models


class Repository(models.Model):
    """The seed's later `repositories` table: a code repository connected to a project."""

    class Provider(models.TextChoices):
        GITHUB = "github", "GitHub"
        GIT = "git", "Git"
        UPLOAD = "upload", "Upload"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="repositories")
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.GITHUB)
    full_name = models.CharField(max_length=300)
    url = models.CharField(max_length=1000)
    default_branch = models.CharField(max_length=255, default="main")
    private = models.BooleanField(default=False)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_scan = models.ForeignKey(
        "repositories.ScanRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "repositories"
        ordering = ["full_name", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "url"], name="unique_repository_url_per_project")]

    def __str__(self):
        return self.full_name


class ScanRun(models.Model):
    class Source(models.TextChoices):
        GITHUB = "github", "GitHub tarball"
        GIT = "git", "Git clone"
        UPLOAD = "upload", "Uploaded archive"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="scans")
    repository = models.ForeignKey(Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans")
    source = models.CharField(max_length=16, choices=Source.choices)
    repo_url = models.CharField(max_length=1000, blank=True, default="")
    branch = models.CharField(max_length=255, blank=True, default="")
    # Uploaded archives wait here (relative to SCAN_UPLOAD_DIR) until the worker unpacks them.
    upload_path = models.CharField(max_length=500, blank=True, default="")
    upload_name = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    queries_found = models.PositiveIntegerField(default=0)
    occurrences_found = models.PositiveIntegerField(default=0)
    rejected_found = models.PositiveIntegerField(default=0)
    problems_found = models.PositiveIntegerField(default=0)
    bytes_scanned = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scan_runs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "repo_url", "branch", "status"], name="scan_active_lookup")]

    def __str__(self):
        return f"scan {self.pk} of {self.repo_url or self.upload_name}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class ExtractedQuery(models.Model):
    """One distinct SQL statement of a project (by pglast fingerprint), wherever it occurs."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="extracted_queries")
    fingerprint = models.CharField(max_length=64)
    normalized_text = models.TextField()
    # The first text seen, with parameters as written in the code (after placeholder normalization).
    sql = models.TextField(blank=True, default="")
    statement_type = models.CharField(max_length=32)
    tables_read = models.JSONField(default=list)
    tables_written = models.JSONField(default=list)
    first_seen_scan = models.ForeignKey(
        ScanRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="new_queries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "extracted_queries"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "fingerprint"], name="unique_query_fingerprint_per_project")
        ]

    def __str__(self):
        return self.normalized_text[:80]


class QueryOccurrence(models.Model):
    query = models.ForeignKey(ExtractedQuery, on_delete=models.CASCADE, related_name="occurrences")
    scan = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="occurrences")
    file_path = models.CharField(max_length=1000)
    line = models.PositiveIntegerField()
    column = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=32)
    context = models.TextField(blank=True, default="")
    # > 0: the code interpolates this many names, clauses or values into the text (a template).
    interpolations = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "query_occurrences"
        ordering = ["file_path", "line", "id"]
        indexes = [models.Index(fields=["scan", "file_path"], name="occurrence_scan_file")]

    def __str__(self):
        return f"{self.file_path}:{self.line}"


class RejectedCandidate(models.Model):
    """A string that looked like SQL but did not parse, kept so nothing silently disappears."""

    scan = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="rejected")
    file_path = models.CharField(max_length=1000)
    line = models.PositiveIntegerField()
    column = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=32, blank=True, default="")
    text = models.TextField()
    reason = models.TextField()

    class Meta:
        db_table = "rejected_candidates"
        ordering = ["file_path", "line", "id"]

    def __str__(self):
        return f"{self.file_path}:{self.line}: {self.reason}"


class FileProblem(models.Model):
    """A file the scan could not read or analyse, and why: the scan went on without it."""

    scan = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="problems")
    file_path = models.CharField(max_length=1000)
    reason = models.TextField()

    class Meta:
        db_table = "scan_file_problems"
        ordering = ["file_path", "id"]

    def __str__(self):
        return f"{self.file_path}: {self.reason}"
