"""The repositories pages, signed in with a session like a browser."""

import pytest
from django.test import Client

from dbooster.testing import run_pending_jobs
from repositories.models import Repository, ScanRun
from repositories.tests.conftest import GOOD_TOKEN


@pytest.fixture
def browser(member):
    client = Client()
    client.force_login(member)
    return client


def test_repositories_page_without_github_says_how_to_connect(browser, project, settings):
    providers = {**settings.SOCIALACCOUNT_PROVIDERS}
    providers["github"] = {**providers["github"], "APPS": [{"client_id": "id", "secret": "secret", "key": ""}]}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    page = browser.get("/app/repositories/").content.decode()
    assert 'href="/auth/github"' in page
    assert "GitHub is not connected yet" in page
    assert 'href="/app/repositories/"' in page  # the nav link


def test_repositories_page_without_github_set_up_links_to_the_setup_page(browser, project, settings):
    providers = {**settings.SOCIALACCOUNT_PROVIDERS}
    providers["github"] = {**providers["github"], "APPS": []}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    page = browser.get("/app/repositories/").content.decode()
    assert 'href="/auth/github"' not in page and 'href="/app/setup/github/"' in page
    assert "GITHUB_CLIENT_ID" not in page


def test_repositories_page_lists_github_with_connect_buttons(fake_github, browser, member, project):
    member.github_token = GOOD_TOKEN
    member.save()
    page = browser.get("/app/repositories/").content.decode()
    assert "acme/shop" in page and "acme/repo4" in page
    assert page.count('action="/app/repositories/connect/"') == 6
    response = browser.post(
        "/app/repositories/connect/",
        {"project": project.pk, "url": f"{fake_github.url}/acme/shop", "full_name": "acme/shop", "private": "true"},
    )
    assert response.status_code == 302
    repository = Repository.objects.get(project=project)
    assert repository.private is True and repository.connected_by == member
    assert "acme/shop" in browser.get("/app/repositories/").content.decode().split('id="connected"')[1]


def test_repositories_page_shows_githubs_refusal(fake_github, browser, member, project):
    member.github_token = "ghp_revoked"
    member.save()
    page = browser.get("/app/repositories/").content.decode()
    assert "Bad credentials" in page


@pytest.mark.django_db(transaction=True)
def test_scan_page_and_query_list(fake_github, scan_dirs, browser, member, project, client_for, other_org_user):
    member.github_token = GOOD_TOKEN
    member.save()
    response = browser.post(
        "/app/repositories/scan/", {"project": project.pk, "repo_url": f"{fake_github.url}/acme/shop", "branch": "main"}
    )
    scan = ScanRun.objects.get(project=project)
    assert response["Location"] == f"/app/scans/{scan.pk}/"
    page = browser.get(f"/app/scans/{scan.pk}/").content.decode()
    assert f'data-scan-url="/repos/scans/{scan.pk}"' in page
    assert 'id="scan-progress"' in page and "fetch(url" in page
    # The page polls the API with its session cookie.
    assert browser.get(f"/repos/scans/{scan.pk}").json()["status"] == "queued"

    run_pending_jobs()
    assert browser.get(f"/repos/scans/{scan.pk}").json()["status"] == "succeeded"
    page = browser.get(f"/app/scans/{scan.pk}/").content.decode()
    assert "looks like prose" in page

    queries = browser.get(f"/app/projects/{project.pk}/queries/", {"table": "users"}).content.decode()
    assert queries.count('class="card query"') == 2
    assert '<span class="sql-kw">SELECT</span>' in queries
    assert "app/db.py:2:17" in queries and "cmd/main.go:3" in queries
    by_file = browser.get(f"/app/projects/{project.pk}/queries/", {"file": "web/"}).content.decode()
    assert by_file.count('class="card query"') == 1 and "web/orders.js:2" in by_file

    stranger = Client()
    stranger.force_login(other_org_user)
    assert stranger.get(f"/app/scans/{scan.pk}/").status_code == 404
    assert stranger.get(f"/app/projects/{project.pk}/queries/").status_code == 404


def test_viewer_cannot_start_scans(client, viewer, project):
    client.force_login(viewer)
    response = client.post("/app/repositories/scan/", {"project": project.pk, "repo_url": "https://x.io/a.git"})
    assert response.status_code == 403
    assert not ScanRun.objects.exists()
