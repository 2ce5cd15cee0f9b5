import pytest

pytestmark = pytest.mark.django_db


def test_create_project_with_seed_body_round_trips_hebrew(admin_client):
    body = {"name": "בדיקות שאילתות", "description": "פרויקט ראשון"}
    response = admin_client.post("/projects", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "בדיקות שאילתות"
    listed = admin_client.get("/projects/").json()
    assert [p["name"] for p in listed["results"]] == ["בדיקות שאילתות"]
    assert listed["results"][0]["description"] == "פרויקט ראשון"


def test_other_tenant_gets_404(project, client_for, other_org_user):
    response = client_for(other_org_user).get(f"/projects/{project.id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Project not found.", "code": "not_found"}


def test_viewer_cannot_create(viewer_client):
    response = viewer_client.post("/projects", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]


def test_bad_input_is_a_clear_400(member_client):
    response = member_client.post("/projects", {"name": "x" * 500}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "max_length"
    assert "name" in response.json()["errors"]
    response = member_client.post("/projects", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_duplicate_name_is_409(member_client, project):
    response = member_client.post("/projects", {"name": project.name}, format="json")
    assert response.status_code == 409


def test_free_plan_limit_is_402(member_client, org):
    org.plan = "free"
    org.save()
    for i in range(3):
        assert member_client.post("/projects", {"name": f"p{i}"}, format="json").status_code == 201
    response = member_client.post("/projects", {"name": "p3"}, format="json")
    assert response.status_code == 402
    assert response.json()["limit"]["resource"] == "projects"


def test_get_patch_delete_one_project(member_client, project):
    url = f"/projects/{project.id}"
    assert member_client.get(url).json()["name"] == project.name
    response = member_client.patch(f"{url}/", {"description": "תיאור חדש"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["description"] == "תיאור חדש"
    assert response.json()["name"] == project.name, "PATCH leaves the other fields alone"
    project.refresh_from_db()
    assert project.description == "תיאור חדש"
    assert member_client.delete(url).status_code == 204
    assert member_client.get(url).status_code == 404


def test_list_is_paginated_and_only_my_organizations(member_client, org, other_org_user):
    from tests.factories import ProjectFactory

    for i in range(3):
        ProjectFactory(organization=org, name=f"mine {i}")
    ProjectFactory(organization=other_org_user.organization, name="theirs")
    first = member_client.get("/projects", {"page_size": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2 and first["next"] and first["previous"] is None
    second = member_client.get(first["next"]).json()
    names = {p["name"] for p in first["results"] + second["results"]}
    assert names == {"mine 0", "mine 1", "mine 2"}
