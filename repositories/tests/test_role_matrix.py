"""Role x endpoint x method for repositories and scans (GitHub answered by the fake on 127.0.0.1).

Reads need a viewer, starting scans and connecting repositories a member; another organization's
projects and scans are 404.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect
from repositories.models import ScanRun
from repositories.tests.conftest import GOOD_TOKEN, make_tarball

READ_ALL = expect(admin=200, member=200, viewer=200, other=200)
READ_OWN = expect(admin=200, member=200, viewer=200, other=404)
MEMBER_WRITES = expect(admin=202, member=202, viewer=403, other=404)

UPLOAD = "upload"  # the body marker of the multipart row

MATRIX = [
    # Each caller's own GitHub repositories, through their own token.
    Row("GET", "/repos", None, READ_ALL),
    Row("POST", "/repos/scan", {"repo_url": "https://github.com/acme/shop", "branch": "main", "project": "{project}"},
        MEMBER_WRITES),
    Row("POST", "/repos/scan/upload", UPLOAD, MEMBER_WRITES),
    Row("GET", "/repos/scans/{scan}", None, READ_OWN),
    Row("GET", "/projects/{project}/repositories", None, READ_OWN),
    Row("POST", "/projects/{project}/repositories", {"url": "https://github.com/acme/other"},
        expect(admin=201, member=201, viewer=403, other=404)),
    Row("GET", "/projects/{project}/scans", None, READ_OWN),
    Row("GET", "/projects/{project}/queries", None, READ_OWN),
]  # fmt: skip


@pytest.fixture
def targets(project, admin_user, member, viewer, other_org_user, fake_github, scan_dirs):
    for user in (admin_user, member, viewer, other_org_user):
        user.github_token = GOOD_TOKEN
        user.save(update_fields=["github_token"])
    scan = ScanRun.objects.create(project=project, source=ScanRun.Source.GIT, repo_url="https://example.com/x.git")
    return {"project": project.pk, "scan": scan.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_repositories_role_matrix(row, role, targets, callers):
    if row.body != UPLOAD:
        check_row(row, role, callers[role], targets)
        return
    archive = SimpleUploadedFile("code.tar.gz", make_tarball({"a.py": "q = 'SELECT 1'\n"}), "application/gzip")
    response = callers[role].post(row.path, {"file": archive, "project": targets["project"]}, format="multipart")
    assert response.status_code == row.expected[role], response.content
    if response.status_code >= 400:
        assert set(response.json()) <= {"detail", "code", "errors"}
