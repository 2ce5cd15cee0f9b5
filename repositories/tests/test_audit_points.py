"""Points of the repositories issue that an audit found untested or wrong: rescans, the per-scan
query list, an oversized GitHub tarball, links in a cloned repository, Python's query APIs."""

import os
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from dbooster.testing import run_pending_jobs
from repositories import sources
from repositories.extraction import extract_source
from repositories.models import ScanRun
from repositories.tests.conftest import GOOD_TOKEN, SAMPLE_FILES, git, make_tarball
from repositories.tests.test_scans import leftovers, start


@pytest.fixture
def github_member(member):
    member.github_token = GOOD_TOKEN
    member.save()
    return member


@pytest.mark.django_db(transaction=True)
def test_rescanning_does_not_double_the_occurrences(fake_github, scan_dirs, client_for, github_member, project):
    client = client_for(github_member)
    url = f"{fake_github.url}/acme/shop"
    first = start(client, project, url).json()["id"]
    run_pending_jobs()
    second = start(client, project, url).json()["id"]
    assert second != first
    run_pending_jobs()
    assert ScanRun.objects.get(pk=second).status == "succeeded"

    # The project's list shows the code as it is now: the latest scan of each source.
    listed = client.get(f"/projects/{project.pk}/queries").json()
    assert listed["count"] == 4
    shared = listed["results"][0]
    assert sorted((o["file_path"], o["scan"]) for o in shared["occurrences"]) == [
        ("app/db.py", second),
        ("cmd/main.go", second),
    ]
    # Each scan keeps its own results, and can be listed alone.
    old = client.get(f"/projects/{project.pk}/queries", {"scan": first}).json()
    assert old["count"] == 4 and {o["scan"] for q in old["results"] for o in q["occurrences"]} == {first}
    assert client.get(f"/projects/{project.pk}/queries", {"scan": 999999}).status_code == 404
    assert client.get(f"/projects/{project.pk}/queries", {"scan": "x"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_queries_gone_from_the_code_leave_the_list(fake_github, scan_dirs, client_for, github_member, project):
    client = client_for(github_member)
    url = f"{fake_github.url}/acme/shop"
    start(client, project, url)
    run_pending_jobs()
    fewer = {k: v for k, v in SAMPLE_FILES.items() if k != "db/report.sql"}
    fake_github.tarballs[("acme/shop", "main")] = make_tarball(fewer)
    start(client, project, url)
    run_pending_jobs()
    listed = client.get(f"/projects/{project.pk}/queries").json()
    assert listed["count"] == 3
    assert all(o["file_path"] != "db/report.sql" for q in listed["results"] for o in q["occurrences"])


@pytest.mark.django_db(transaction=True)
def test_a_scan_abandoned_by_its_worker_is_not_joined_forever(scan_dirs, member_client, project):
    url = "https://example.com/acme/shop.git"
    stale = ScanRun.objects.create(project=project, source="git", repo_url=url, branch="main", status="running")
    ScanRun.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=1))
    response = start(member_client, project, url)
    assert response.status_code == 202
    assert response.json()["joined"] is False and response.json()["id"] != stale.pk
    stale.refresh_from_db()
    assert stale.status == "failed" and "abandoned" in stale.error


@pytest.mark.django_db(transaction=True)
def test_oversized_github_tarball_fails_and_leaves_nothing(
    fake_github, scan_dirs, client_for, github_member, project, settings
):
    settings.SCAN_MAX_ARCHIVE_BYTES = 200  # the sample tarball is larger
    client = client_for(github_member)
    scan_id = start(client, project, f"{fake_github.url}/acme/shop").json()["id"]
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=scan_id)
    assert scan.status == "failed" and "larger than 200 bytes" in scan.error
    assert scan.occurrences.count() == 0
    assert leftovers(scan_dirs) == []


def test_links_in_a_cloned_repository_are_never_created(settings, tmp_path):
    settings.SCAN_ALLOW_LOCAL_REPOSITORIES = True
    origin = tmp_path / "origin"
    origin.mkdir()
    git("init", "-q", cwd=origin)
    (origin / "q.py").write_text('Q = "SELECT 1"\n')
    os.symlink("/etc/passwd", origin / "passwd.sql")
    os.symlink("..", origin / "up")
    git("add", "-A", cwd=origin)
    git("commit", "-q", "-m", "links", cwd=origin)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    tree = sources.clone(url=f"file://{origin}", branch="main", scratch=str(scratch))
    assert (scratch / "tree" / "q.py").is_file() and tree == str(scratch / "tree")
    for name in ("passwd.sql", "up"):
        assert not os.path.islink(os.path.join(tree, name))
    # The link arrives as a small file holding its target, never the target's content.
    assert (scratch / "tree" / "passwd.sql").read_text() == "/etc/passwd"


def test_python_query_apis_and_names():
    source = (
        "from django.db.models.expressions import RawSQL\n"
        "def f(cur, conn, rows, uid):\n"
        '    cur.executemany("INSERT INTO audit (user_id, action) VALUES (%s, %s)", rows)\n'
        '    qs = User.objects.annotate(n=RawSQL("SELECT count(*) FROM orders WHERE orders.user_id = users.id", ()))\n'
        '    df = pd.read_sql("SELECT * FROM payments WHERE amount > %(min)s", conn, params={"min": 5})\n'
        '    people = Person.objects.raw("SELECT * FROM people WHERE last_name = %s", [uid])\n'
        '    stmt = text("SELECT * FROM invoices WHERE id = :id")\n'
        '    QUERY = "DELETE FROM sessions WHERE expires_at < now()"\n'
        "    cur.execute(QUERY)\n"
        '    qs = M.objects.extra(select={"n": "SELECT count(*) FROM refunds WHERE refunds.uid = users.id"})\n'
    )
    result = extract_source(source, "m.py", "python")
    found = [(o.line, o.statement_type, o.tables_read + o.tables_written) for o in result.occurrences]
    assert found == [
        (3, "INSERT", ("audit",)),
        (4, "SELECT", ("orders",)),
        (5, "SELECT", ("payments",)),
        (6, "SELECT", ("people",)),
        (7, "SELECT", ("invoices",)),
        (8, "DELETE", ("sessions",)),
        (10, "SELECT", ("refunds",)),
    ]
    assert result.occurrences[2].sql == "SELECT * FROM payments WHERE amount > %(min)s"  # as written
    assert result.occurrences[2].normalized == "SELECT * FROM payments WHERE amount > $1"


@pytest.mark.django_db(transaction=True)
def test_scan_page_links_to_its_own_queries(fake_github, scan_dirs, client, github_member, project, other_org_user):
    client.force_login(github_member)
    first = start_scan_and_run(client, project, fake_github)
    second = start_scan_and_run(client, project, fake_github)
    page = client.get(f"/app/scans/{second}/").content.decode()
    assert f"/app/projects/{project.pk}/queries/?scan={second}" in page
    own = client.get(f"/app/projects/{project.pk}/queries/", {"scan": first, "table": "users"}).content.decode()
    assert own.count('class="card query"') == 2 and f'name="scan" value="{first}"' in own
    assert client.get(f"/app/projects/{project.pk}/queries/", {"scan": "999999"}).status_code == 404
    # Without a scan, the occurrences of the two scans are not listed twice.
    every = client.get(f"/app/projects/{project.pk}/queries/", {"table": "users"}).content.decode()
    assert every.count("app/db.py:2:17") == 1


def start_scan_and_run(client, project, fake_github) -> int:
    response = client.post(
        "/app/repositories/scan/", {"project": project.pk, "repo_url": f"{fake_github.url}/acme/shop", "branch": "main"}
    )
    run_pending_jobs()
    return int(response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.django_db
def test_connecting_a_github_repository_asks_github(fake_github, client_for, github_member, member, project):
    fake_github.repos.append({"name": "legacy", "full_name": "acme/legacy", "private": True, "default_branch": "trunk"})
    client = client_for(github_member)
    path = f"/projects/{project.pk}/repositories"
    # The request claims a public repository on main; GitHub knows better.
    body = client.post(path, {"url": f"{fake_github.url}/acme/legacy", "private": False}, format="json").json()
    assert (body["full_name"], body["default_branch"], body["private"]) == ("acme/legacy", "trunk", True)
    assert ("/repos/acme/legacy", f"token {GOOD_TOKEN}") in fake_github.requests
    missing = client.post(path, {"url": f"{fake_github.url}/acme/nope"}, format="json")
    assert missing.status_code == 404 and "not found on GitHub" in missing.json()["detail"]
    # Without a token a private repository cannot be seen: nothing is connected.
    member.github_token = ""
    member.save()
    hidden = client_for(member).post(path, {"url": f"{fake_github.url}/acme/shop"}, format="json")
    assert hidden.status_code == 404
    assert [r["full_name"] for r in client.get(path).json()["results"]] == ["acme/legacy"]


def test_clone_is_shallow_and_of_the_asked_branch(settings, tmp_path, local_git_repo):
    settings.SCAN_ALLOW_LOCAL_REPOSITORIES = True
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    tree = sources.clone(url=f"file://{local_git_repo}", branch="feature", scratch=str(scratch))
    log = subprocess.run(["git", "-C", tree, "log", "--format=%s"], capture_output=True, text=True, check=True)
    assert log.stdout.split() == ["feature"]  # one commit: --depth 1, not the history
    assert os.path.exists(os.path.join(tree, "app", "feature.py"))


@pytest.mark.django_db(transaction=True)
def test_github_repository_that_does_not_exist_fails_with_reason(
    fake_github, scan_dirs, client_for, github_member, project
):
    scan_id = start(client_for(github_member), project, f"{fake_github.url}/acme/nope").json()["id"]
    run_pending_jobs()
    scan = ScanRun.objects.get(pk=scan_id)
    assert scan.status == "failed" and "acme/nope was not found on GitHub" in scan.error
    assert leftovers(scan_dirs) == []
