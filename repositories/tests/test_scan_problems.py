"""A file's content never fails a scan: hostile or unreadable files become per-file problems or rejected
candidates, shown by the API and the scan page; the scan fails only for our side, and says which part."""

import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError

from dbooster.testing import run_pending_jobs
from repositories import services
from repositories.extraction.engine import MAX_FILE_BYTES
from repositories.models import FileProblem, RejectedCandidate, ScanRun
from repositories.tests.conftest import make_tarball

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = "SELECT " + "+".join(["1"] * 26_000)  # 52 KB: deep enough to exhaust the parser's stack
FILES = {
    "db/hostile.sql": HOSTILE + ";\nSELECT id FROM users;\n",
    "app/deep.py": 'def f(cur):\n    cur.execute("SELECT count(' + "(" * 5000 + "1" + ")" * 5001 + '")\n',
    "app/big.js": "// generated\n" + secrets.token_hex(MAX_FILE_BYTES // 2 + 10) + "\n",  # does not compress
    "app/ok.py": 'def g(cur):\n    cur.execute("SELECT email FROM users WHERE id = %s", (1,))\n',
}


def upload(client, project, files):
    archive = SimpleUploadedFile("code.tar.gz", make_tarball(files), content_type="application/gzip")
    response = client.post("/repos/scan/upload", {"file": archive, "project": project.pk}, format="multipart")
    assert response.status_code == 202, response.json()
    run_pending_jobs()
    return ScanRun.objects.get(pk=response.json()["id"])


def test_hostile_files_do_not_end_the_scan_and_are_shown(scan_dirs, member_client, client, member, project):
    scan = upload(member_client, project, FILES)
    assert scan.status == "succeeded", scan.error
    assert scan.occurrences_found == 2  # the plain statements beside the hostile ones
    reasons = dict(RejectedCandidate.objects.filter(scan=scan).values_list("file_path", "reason"))
    assert reasons["db/hostile.sql"].startswith("too large to analyse: 52000 tokens")
    assert reasons["app/deep.py"].startswith("too deeply nested to analyse: 5001 levels")
    problems = list(FileProblem.objects.filter(scan=scan).values_list("file_path", "reason"))
    assert problems == [("app/big.js", "skipped: larger than 2 MiB")]

    body = member_client.get(f"/repos/scans/{scan.pk}").json()
    assert body["counts"]["problems"] == 1
    assert body["problems"] == [{"file_path": "app/big.js", "reason": "skipped: larger than 2 MiB"}]
    assert {"reason": "too large to analyse", "count": 1} in body["rejected_by_reason"]

    client.force_login(member)
    page = client.get(f"/app/scans/{scan.pk}/").content.decode()
    assert "Files we could not analyse (1)" in page and "app/big.js" in page
    only = client.get(f"/app/scans/{scan.pk}/", {"reason": "too deeply nested to analyse"}).content.decode()
    assert "app/deep.py" in only and "db/hostile.sql" not in only


def test_a_failure_on_our_side_fails_the_scan_and_names_it(scan_dirs, member_client, project, monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(services._ResultWriter, "flush", database_down)
    scan = upload(member_client, project, {"app/ok.py": FILES["app/ok.py"]})
    assert scan.status == "failed"
    assert scan.error == "The scan failed on our side, in our database; it has been logged. Start the scan again."
