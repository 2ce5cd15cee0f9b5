import pytest

from audit.models import AuditEvent
from projects.models import Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_list_shows_only_my_organizations_projects(browser_for, viewer, project, other_org_user):
    theirs = ProjectFactory(organization=other_org_user.organization, name="Their secret project")
    html = browser_for(viewer).get("/app/projects/").content.decode()
    assert project.name in html
    assert theirs.name not in html
    assert "New project" not in html and "/edit/" not in html  # a viewer reads only


def test_member_creates_edits_and_deletes_a_project(browser_for, member, org):
    browser = browser_for(member)
    assert browser.get("/app/projects/new/").status_code == 200

    response = browser.post("/app/projects/new/", {"name": "  בדיקות שאילתות ", "description": "פרויקט ראשון"})
    assert response.status_code == 302 and response["Location"] == "/app/projects/"
    project = Project.objects.get(organization=org)
    assert project.name == "בדיקות שאילתות" and project.created_by == member
    assert "בדיקות שאילתות" in browser.get("/app/projects/").content.decode()

    edit_form = browser.get(f"/app/projects/{project.pk}/edit/").content.decode()
    assert "פרויקט ראשון" in edit_form
    assert browser.post(f"/app/projects/{project.pk}/edit/", {"name": "Renamed", "description": ""}).status_code == 302
    project.refresh_from_db()
    assert project.name == "Renamed" and project.description == ""

    assert "Delete <strong>Renamed</strong>" in browser.get(f"/app/projects/{project.pk}/delete/").content.decode()
    assert browser.post(f"/app/projects/{project.pk}/delete/").status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert {"project.create", "project.update", "project.delete"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_form_errors_are_clear(browser_for, member, project):
    browser = browser_for(member)
    blank = browser.post("/app/projects/new/", {"name": "   "})
    assert blank.status_code == 400
    assert "This field is required." in blank.content.decode()
    long = browser.post("/app/projects/new/", {"name": "x" * 201})
    assert long.status_code == 400 and "at most 200 characters" in long.content.decode()
    taken = browser.post("/app/projects/new/", {"name": project.name})
    assert taken.status_code == 409 and "already exists" in taken.content.decode()


def test_plan_limit_is_shown_on_the_form(browser_for, member, org):
    org.plan = "free"
    org.save()
    for i in range(3):
        ProjectFactory(organization=org, name=f"p{i}")
    response = browser_for(member).post("/app/projects/new/", {"name": "one too many"})
    assert response.status_code == 402
    html = response.content.decode()
    assert "Free plan allows 3 projects" in html
    assert 'href="/app/billing/">See plans and upgrade</a>' in html
    assert 'value="one too many"' in html, "what the user typed is kept"
    assert not Project.objects.filter(name="one too many").exists()


def test_viewer_cannot_create_edit_or_delete(browser_for, viewer, project):
    browser = browser_for(viewer)
    for url in ("/app/projects/new/", f"/app/projects/{project.pk}/edit/", f"/app/projects/{project.pk}/delete/"):
        response = browser.post(url, {"name": "hijack"})
        assert response.status_code == 403, url
        assert "needs member" in response.content.decode()
    project.refresh_from_db()
    assert project.name != "hijack"


def test_other_organizations_project_is_404(browser_for, other_org_user, project):
    browser = browser_for(other_org_user)
    assert browser.get(f"/app/projects/{project.pk}/edit/").status_code == 404
    response = browser.post(f"/app/projects/{project.pk}/delete/")
    assert response.status_code == 404
    assert project.name not in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


def test_list_is_paginated(browser_for, member, org):
    for i in range(30):
        ProjectFactory(organization=org, name=f"Project number {i:02d}")
    first = browser_for(member).get("/app/projects/").content.decode()
    assert "Page 1 of 2" in first
    second = browser_for(member).get("/app/projects/?page=2").content.decode()
    assert "Project number 00" in second
