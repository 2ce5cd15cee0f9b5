"""Home, project page, setup pages, progress and status endpoints: server-rendered, tenant-scoped."""

import pytest
from django.core.cache import cache

from dashboard.tests.data import fill_project
from dbooster import progress
from projects.models import CurrentProject
from schema_metadata.models import QueryAnalysis, SchemaSync
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_home_without_a_project_says_to_create_one(browser_for, member):
    html = browser_for(member).get("/app/").content.decode()
    assert "Create a project" in html and "Getting started" not in html


def test_home_shows_the_current_projects_measured_queries(browser_for, member, project, orders_connection):
    QueryAnalysis.objects.create(
        project=project, connection=orders_connection, user=member, query="SELECT * FROM orders WHERE id = 7",
        fingerprint="f1", statement_kind="select", execution_ms=1234.5,
    )  # fmt: skip
    html = browser_for(member).get("/app/").content.decode()
    assert "SELECT * FROM orders WHERE id = 7" in html and "1,234 ms" in html
    assert 'data-step="connect" data-done="yes"' in html and 'data-step="sync" data-done="no"' in html
    assert f'href="/app/projects/{project.pk}/"' in html


def test_project_page_has_the_checklist_and_becomes_current(browser_for, member, project, org):
    ProjectFactory(organization=org)
    response = browser_for(member).get(f"/app/projects/{project.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Connect a database" in html and "Scan a repository" in html and "Optimize a query" in html
    assert CurrentProject.objects.get(user=member).project == project


def test_another_tenants_project_page_is_a_404(browser_for, member, other_org_user):
    theirs = ProjectFactory(organization=other_org_user.organization)
    assert browser_for(member).get(f"/app/projects/{theirs.pk}/").status_code == 404


def test_explain_menu_goes_to_the_current_project(browser_for, member, project):
    response = browser_for(member).get("/app/explain/")
    assert response.status_code == 302 and response["Location"] == f"/app/projects/{project.pk}/explain/"


@pytest.mark.parametrize("service", ["google", "github", "stripe"])
def test_setup_page_speaks_to_users_in_words_and_to_staff_in_settings(
    browser_for, member, admin_user, service, settings
):
    settings.STRIPE_SECRET_KEY = ""
    response = browser_for(member).get(f"/app/setup/{service}/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "not available on this server" in html and "_SECRET" not in html and "CLIENT_ID" not in html
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    assert "_SECRET" in browser_for(admin_user).get(f"/app/setup/{service}/").content.decode()


def test_unknown_setup_page_is_a_404(browser_for, member):
    assert browser_for(member).get("/app/setup/nothing/").status_code == 404


def test_progress_is_read_back_by_its_user_only(browser_for, member, admin_user):
    cache.clear()
    token = progress.new_token()
    progress.reporter(member, token)("Verifying rewrites")
    assert browser_for(member).get(f"/app/progress/{token}/").json() == {"step": "Verifying rewrites"}
    assert browser_for(admin_user).get(f"/app/progress/{token}/").json() == {"step": None}
    assert browser_for(member).get("/app/progress/not-a-token/").status_code == 404
    progress.reporter(member, "../../etc")("ignored")  # an invalid token records nothing


def test_sync_status_for_the_page_that_polls_it(browser_for, member, project, orders_connection, other_org_user):
    sync = SchemaSync.objects.create(
        project=project, connection=orders_connection, status=SchemaSync.Status.RUNNING, progress=40, stage="columns"
    )
    body = browser_for(member).get(f"/app/syncs/{sync.pk}/status.json").json()
    assert body == {"status": "running", "text": "running · columns", "progress": 40, "final": False}
    sync.status = SchemaSync.Status.SUCCEEDED
    sync.save(update_fields=["status"])
    assert browser_for(member).get(f"/app/syncs/{sync.pk}/status.json").json()["final"] is True
    assert browser_for(other_org_user).get(f"/app/syncs/{sync.pk}/status.json").status_code == 404


def test_demo_button_is_offered_only_when_the_demo_is_there(browser_for, admin_user, project, settings):
    settings.DEMO_SHOP_DATABASE = "no_such_demo_shop_database"
    settings.TARGET_ALLOW_LOCAL = True
    browser = browser_for(admin_user)
    assert (
        "Use the demo shop database" not in browser.get(f"/app/projects/{project.pk}/connections/new/").content.decode()
    )
    response = browser.post(f"/app/projects/{project.pk}/connections/demo/")
    assert response.status_code == 302 and response["Location"].endswith("/connections/new/")
    assert not project.connections.exists()


def test_optimize_page_reports_its_steps_under_the_forms_token(browser_for, member, project, orders_connection):
    cache.clear()
    browser = browser_for(member)
    page = browser.get(f"/app/optimize/?project={project.pk}&query=SELECT+1").content.decode()
    token = page.split('name="progress_token" value="')[1].split('"')[0]
    assert "SELECT 1" in page  # "Optimize this query" links arrive with the query filled in
    response = browser.post(
        "/app/optimize/",
        {"query": "SELECT * FROM orders WHERE status = 'paid'", "project": project.pk, "progress_token": token},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert browser.get(f"/app/progress/{token}/").json() == {"step": "Saving the result"}


def test_home_shows_the_dashboard_across_projects(browser_for, member, project, org):
    cache.clear()
    fill_project(project, n=1, tag="a")
    fill_project(ProjectFactory(organization=org), n=1, tag="b")
    html = browser_for(member).get("/app/").content.decode()
    assert 'data-count="projects"><dt>Projects</dt><dd><a href="/app/projects/">2</a>' in html
    assert 'data-count="open_findings"><dt>Open findings</dt><dd>6</dd>' in html
    assert "Worst health findings" in html and "public.a_0: invalid_indexes" in html
    assert f'href="/app/projects/{project.pk}/health/?connection=' in html
    assert "Most time to save" in html and "over 100 calls" in html
    assert 'href="/app/health/">Health</a>' in html  # in the navigation


def test_health_menu_goes_to_the_current_projects_health_page(browser_for, member, project, org):
    response = browser_for(member).get("/app/health/")
    assert response.status_code == 302 and response["Location"] == f"/app/projects/{project.pk}/health/"
    ProjectFactory(organization=org)
    CurrentProject.objects.filter(user=member).delete()
    assert browser_for(member).get("/app/health/")["Location"] == "/app/projects/?next=health"


def test_project_page_links_its_health_page_and_lists_its_databases(browser_for, member, project):
    fill_project(project, n=1, tag="a")
    html = browser_for(member).get(f"/app/projects/{project.pk}/").content.decode()
    assert f'href="/app/projects/{project.pk}/health/">Health</a>' in html
    assert "a db 0" in html and "2 tables, 2.9\xa0KB with their indexes" in html and "1 critical, 1 warning" in html
