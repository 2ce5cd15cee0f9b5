"""The seed's bodies alone: {"query"} runs on the user's current project, or says which choice to make."""

import pytest

from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

PAID = "SELECT * FROM orders WHERE status = 'paid'"


def test_the_only_project_answers_a_bare_query(member_client, project, shop_connection):
    response = member_client.post("/query/explain", {"query": PAID}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["project"] == project.pk and response.json()["connection"] == shop_connection.pk


def test_several_projects_name_the_choice_until_one_is_current(member_client, project, shop_connection, org):
    other = ProjectFactory(organization=org, name="Reporting")
    refused = member_client.post("/query/explain", {"query": PAID}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "project_required"
    assert f"{project.name} ({project.pk})" in body["detail"] and f"Reporting ({other.pk})" in body["detail"]
    assert "/projects/<id>/current" in body["detail"]

    chosen = member_client.post(f"/projects/{project.pk}/current", format="json")
    assert chosen.status_code == 200 and chosen.json() == {"project": project.pk}
    response = member_client.post("/query/explain", {"query": PAID}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["project"] == project.pk


def test_a_syntax_error_is_reported_before_the_missing_choice(member_client, project, org):
    ProjectFactory(organization=org, name="Reporting")
    for path in ("/query/explain", "/query/optimize"):
        response = member_client.post(path, {"query": "SELEC * FROM orders"}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "parse_error", path


def test_optimize_with_a_bare_query_uses_the_current_projects_connection(member_client, project, shop_connection):
    response = member_client.post("/query/optimize", {"query": PAID, "ai": False, "verify": False}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["plan_status"] == "planned"


def test_optimize_with_a_bare_query_and_several_projects_is_a_400(member_client, project, org):
    ProjectFactory(organization=org, name="Reporting")
    response = member_client.post("/query/optimize", {"query": PAID, "ai": False}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "project_required"
    # An explicit "project": null still asks for rules only.
    linted = member_client.post("/query/optimize", {"query": PAID, "project": None, "ai": False}, format="json")
    assert linted.status_code == 201 and linted.json()["plan_status"] == "no_connection"


def test_another_organizations_project_cannot_be_made_current(member_client, other_org_user):
    theirs = ProjectFactory(organization=other_org_user.organization)
    assert member_client.post(f"/projects/{theirs.pk}/current", format="json").status_code == 404
