"""Scans end to end: API, a real procrastinate worker, real git, a fake GitHub on 127.0.0.1."""

import io
import os
import tarfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from dbooster.testing import run_pending_jobs
from repositories.models import ExtractedQuery, QueryOccurrence, RejectedCandidate, Repository, ScanRun
from repositories.signals import scan_finished
from repositories.tests.conftest import GOOD_TOKEN, SAMPLE_FILES, make_tarball

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def github_member(member):
    member.github_token = GOOD_TOKEN
    member.save()
    return member


@pytest.fixture
def finished():
    scans = []

    def receiver(sender, scan, **kwargs):
        scans.append((sender, scan.pk, scan.status))

    scan_finished.connect(receiver)
    yield scans
    scan_finished.disconnect(receiver)


def leftovers(scan_dirs):
    return [p for d in ("scratch", "uploads") if (scan_dirs / d).exists() for p in (scan_dirs / d).iterdir()]


def start(client, project, repo_url, branch="main"):
    return client.post("/repos/scan", {"repo_url": repo_url, "branch": branch, "project": project.pk}, format="json")


def test_github_scan_runs_in_the_worker_and_stores_queries(
    fake_github, scan_dirs, client_for, github_member, project, finished
):
    client = client_for(github_member)
    url = f"{fake_github.url}/acme/shop"
    repository = client.post(f"/projects/{project.pk}/repositories", {"url": url}, format="json").json()
    response = start(client, project, url)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["joined"] is False

    run_pending_jobs()

    scan = client.get(f"/repos/scans/{body['id']}").json()
    assert scan["status"] == "succeeded", scan["error"]
    # Four source files and README.md, sniffed for SQL (it has none).
    assert scan["progress"] == {"files_done": 5, "files_total": 5, "percent": 100.0}
    assert scan["counts"]["occurrences"] == 5
    assert scan["counts"]["queries"] == 4
    assert scan["counts"]["rejected"] == 1  # "Select a customer from the list" is kept apart, not counted

    # The same query in Python (%s) and Go ($1) is one query with two occurrences.
    shared = ExtractedQuery.objects.get(project=project, tables_read=["users"], statement_type="SELECT")
    places = sorted(shared.occurrences.values_list("file_path", "line", "language"))
    assert places == [("app/db.py", 2, "python"), ("cmd/main.go", 3, "go")]
    update = ExtractedQuery.objects.get(project=project, statement_type="UPDATE")
    assert update.tables_written == ["users"]
    assert "$1" in update.normalized_text
    assert RejectedCandidate.objects.get(scan_id=body["id"]).reason == "looks like prose, not a query"
    # The private repository's tarball was fetched with the user's token.
    tarball_requests = [auth for path, auth in fake_github.requests if "/tarball/" in path]
    assert tarball_requests == [f"token {GOOD_TOKEN}"]
    assert Repository.objects.get(pk=repository["id"]).last_scan_id == body["id"]
    assert finished == [(ScanRun, body["id"], "succeeded")]
    assert AuditEvent.objects.filter(action="scan.finish", target_id=str(body["id"]), outcome="success").exists()
    assert leftovers(scan_dirs) == []


def test_missing_github_branch_fails_with_reason(fake_github, scan_dirs, client_for, github_member, project, finished):
    client = client_for(github_member)
    scan_id = start(client, project, f"{fake_github.url}/acme/shop", "nope").json()["id"]
    run_pending_jobs()
    scan = client.get(f"/repos/scans/{scan_id}").json()
    assert scan["status"] == "failed"
    assert "Branch 'nope' does not exist" in scan["error"]
    assert finished == [(ScanRun, scan_id, "failed")]
    assert leftovers(scan_dirs) == []


def test_same_repository_and_branch_is_joined_not_run_twice(fake_github, scan_dirs, client_for, github_member, project):
    client = client_for(github_member)
    url = f"{fake_github.url}/acme/shop"
    first = start(client, project, url).json()
    second = start(client, project, url).json()
    assert second["id"] == first["id"]
    assert second["joined"] is True
    other_branch = start(client, project, url, "develop").json()
    assert other_branch["id"] != first["id"]
    assert ScanRun.objects.filter(project=project).count() == 2


def test_local_git_clone_of_a_branch(settings, scan_dirs, local_git_repo, member_client, project):
    settings.SCAN_ALLOW_LOCAL_REPOSITORIES = True
    response = start(member_client, project, f"file://{local_git_repo}", "feature")
    assert response.status_code == 202, response.json()
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=response.json()["id"])
    assert scan.status == "succeeded", scan.error
    assert scan.source == "git"
    files = set(QueryOccurrence.objects.filter(scan=scan).values_list("file_path", flat=True))
    assert "app/feature.py" in files  # only on the feature branch
    assert leftovers(scan_dirs) == []


def test_clone_failures_say_why(settings, scan_dirs, local_git_repo, tmp_path, member_client, project):
    settings.SCAN_ALLOW_LOCAL_REPOSITORIES = True
    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    missing_branch = start(member_client, project, str(local_git_repo), "does-not-exist").json()["id"]
    no_repo = start(member_client, project, str(not_a_repo), "main").json()["id"]
    run_pending_jobs()
    assert "Branch 'does-not-exist' does not exist" in ScanRun.objects.get(pk=missing_branch).error
    assert "is not a git repository" in ScanRun.objects.get(pk=no_repo).error
    assert ScanRun.objects.filter(status="failed").count() == 2
    assert leftovers(scan_dirs) == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc", "/etc", "ssh://git@example.com/acme/shop.git", "git@example.com:acme/shop.git", "http://x.io/a"],
)
def test_local_and_non_https_sources_are_refused_by_default(scan_dirs, member_client, project, url):
    response = start(member_client, project, url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_url"
    assert not ScanRun.objects.exists()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_uploaded_zip_is_scanned(scan_dirs, member_client, project):
    upload = SimpleUploadedFile("code.zip", _zip(SAMPLE_FILES), content_type="application/zip")
    response = member_client.post("/repos/scan/upload", {"file": upload, "project": project.pk}, format="multipart")
    assert response.status_code == 202, response.json()
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=response.json()["id"])
    assert scan.status == "succeeded", scan.error
    assert scan.occurrences_found == 5
    assert leftovers(scan_dirs) == []


def test_hostile_upload_fails_and_writes_nothing_outside(scan_dirs, member_client, project):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"owned"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    upload = SimpleUploadedFile("evil.tar.gz", buffer.getvalue())
    response = member_client.post("/repos/scan/upload", {"file": upload, "project": project.pk}, format="multipart")
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=response.json()["id"])
    assert scan.status == "failed"
    assert "climbs out" in scan.error
    assert not (scan_dirs / "escaped.txt").exists()
    assert not (scan_dirs.parent / "escaped.txt").exists()
    assert leftovers(scan_dirs) == []


def test_upload_refuses_other_formats_and_oversized_archives(settings, scan_dirs, member_client, project):
    rar = SimpleUploadedFile("code.rar", b"Rar!")
    response = member_client.post("/repos/scan/upload", {"file": rar, "project": project.pk}, format="multipart")
    assert response.status_code == 400
    settings.SCAN_MAX_ARCHIVE_BYTES = 100
    big = SimpleUploadedFile("code.tar.gz", make_tarball(SAMPLE_FILES))
    response = member_client.post("/repos/scan/upload", {"file": big, "project": project.pk}, format="multipart")
    assert response.status_code == 413
    assert not ScanRun.objects.exists()


def test_scans_count_against_the_monthly_quota(scan_dirs, member_client, project, org):
    org.plan = "free"
    org.save()
    for i in range(20):
        ScanRun.objects.create(project=project, source="git", repo_url=f"https://example.com/r{i}.git", status="failed")
    response = start(member_client, project, "https://example.com/acme/shop.git")
    assert response.status_code == 402
    assert response.json()["limit"]["resource"] == "scans_per_month"


def test_scans_of_other_tenants_are_404(scan_dirs, client_for, other_org_user, member_client, project):
    scan_id = start(member_client, project, "https://example.com/acme/shop.git").json()["id"]
    assert client_for(other_org_user).get(f"/repos/scans/{scan_id}").status_code == 404
    other_start = start(client_for(other_org_user), project, "https://example.com/acme/shop.git")
    assert other_start.status_code == 404


def test_project_query_list_filters_by_table_file_and_text(
    fake_github, scan_dirs, client_for, github_member, project, other_org_user
):
    client = client_for(github_member)
    start(client, project, f"{fake_github.url}/acme/shop")
    run_pending_jobs()
    everything = client.get(f"/projects/{project.pk}/queries").json()
    assert everything["count"] == 4
    first = everything["results"][0]
    assert first["tables_read"] == ["users"]
    assert {o["file_path"] for o in first["occurrences"]} == {"app/db.py", "cmd/main.go"}

    orders = client.get(f"/projects/{project.pk}/queries", {"table": "orders"}).json()
    assert orders["count"] == 2
    assert all("orders" in q["tables_read"] for q in orders["results"])

    go_only = client.get(f"/projects/{project.pk}/queries", {"file": "cmd/"}).json()
    assert go_only["count"] == 1
    assert [o["file_path"] for o in go_only["results"][0]["occurrences"]] == ["cmd/main.go"]

    text = client.get(f"/projects/{project.pk}/queries", {"q": "last_login_at"}).json()
    assert [q["statement_type"] for q in text["results"]] == ["UPDATE"]

    paged = client.get(f"/projects/{project.pk}/queries", {"page_size": 1, "page": 2}).json()
    assert len(paged["results"]) == 1 and paged["count"] == 4
    assert client_for(other_org_user).get(f"/projects/{project.pk}/queries").status_code == 404


def test_upload_dir_is_created_only_inside_settings(scan_dirs):
    assert not os.path.exists(scan_dirs / "uploads")


def test_clone_refuses_hosts_on_our_own_network(scan_dirs, member_client, project):
    # 127.0.0.1 is an https:// URL like any other at request time; the worker refuses it before cloning.
    response = start(member_client, project, "https://127.0.0.1:9/acme/shop.git")
    assert response.status_code == 202
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=response.json()["id"])
    assert scan.status == "failed"
    assert "private or local network" in scan.error
