"""GET /repos and connecting repositories, against a fake GitHub on 127.0.0.1 (real PyGithub code)."""

import pytest

from audit.models import AuditEvent
from repositories.models import Repository
from repositories.tests.conftest import GOOD_TOKEN, RATE_LIMITED_TOKEN


@pytest.fixture
def github_member(member):
    member.github_token = GOOD_TOKEN
    member.save()
    return member


def test_lists_every_page_of_repositories(fake_github, client_for, github_member):
    response = client_for(github_member).get("/repos")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [r["full_name"] for r in body] == [f"acme/repo{i}" for i in range(5)] + ["acme/shop"]
    first = body[0]
    assert set(first) == {"name", "full_name", "private", "default_branch", "url", "pushed_at"}
    assert first["url"] == f"{fake_github.url}/acme/repo0"
    assert first["pushed_at"].startswith("2026-11-01T12:00:00")
    assert body[1]["private"] is True
    # Three pages of two: the Link header was followed.
    assert sum(1 for path, _ in fake_github.requests if path.startswith("/user/repos")) == 3
    assert all(auth == f"token {GOOD_TOKEN}" for _, auth in fake_github.requests)


def test_bad_token_is_401_with_githubs_details(fake_github, client_for, member):
    member.github_token = "ghp_revoked"
    member.save()
    response = client_for(member).get("/repos")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "github_unauthorized"
    assert "Bad credentials" in body["detail"]
    assert body["github"]["github_status"] == 401
    assert body["github"]["documentation_url"] == "https://docs.github.com/rest"


def test_rate_limit_is_429_with_reset_time(fake_github, client_for, member):
    member.github_token = RATE_LIMITED_TOKEN
    member.save()
    response = client_for(member).get("/repos")
    assert response.status_code == 429
    body = response.json()
    assert body["reset_at"] == "2030-01-01T00:00:00+00:00"
    assert "2030-01-01" in body["detail"]


def test_no_token_is_400_saying_how_to_connect(fake_github, member_client):
    response = member_client.get("/repos")
    assert response.status_code == 400
    assert response.json()["code"] == "github_not_connected"
    assert "/auth/github" in response.json()["detail"]
    assert fake_github.requests == []


def test_token_is_never_returned(fake_github, client_for, github_member):
    response = client_for(github_member).get("/repos")
    assert GOOD_TOKEN not in response.content.decode()


def test_connect_and_list_project_repositories(fake_github, client_for, github_member, project):
    client = client_for(github_member)
    url = f"{fake_github.url}/acme/shop"
    response = client.post(
        f"/projects/{project.pk}/repositories", {"url": url, "default_branch": "main", "private": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["provider"] == "github"
    assert body["full_name"] == "acme/shop"
    assert body["connected_by"] == github_member.email
    assert body["last_scan"] is None
    repository = Repository.objects.get(pk=body["id"])
    assert repository._meta.db_table == "repositories"
    assert AuditEvent.objects.filter(action="repository.connect", target_id=str(repository.pk)).exists()

    again = client.post(f"/projects/{project.pk}/repositories", {"url": url}, format="json")
    assert again.status_code == 409

    listed = client.get(f"/projects/{project.pk}/repositories").json()
    assert [r["full_name"] for r in listed["results"]] == ["acme/shop"]


def test_connect_refuses_ssh_and_other_tenants(client_for, github_member, project, other_org_user, viewer_client):
    client = client_for(github_member)
    bad = client.post(f"/projects/{project.pk}/repositories", {"url": "git@github.com:acme/shop.git"}, format="json")
    assert bad.status_code == 400
    assert "https://" in bad.json()["detail"]
    other = client_for(other_org_user).get(f"/projects/{project.pk}/repositories")
    assert other.status_code == 404
    read_only = viewer_client.post(
        f"/projects/{project.pk}/repositories", {"url": "https://gitlab.com/acme/shop.git"}, format="json"
    )
    assert read_only.status_code == 403
