import pytest
from django.core import mail

from audit.models import AuditEvent
from organizations.models import Invitation, Organization
from projects.models import Project
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def actions(org):
    return list(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))


# --- organizations ------------------------------------------------------------


def test_list_shows_only_my_organization_with_member_count(admin_client, org, member, viewer, other_org_user):
    body = admin_client.get("/organizations").json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == org.name
    assert body["results"][0]["member_count"] == 3


def test_signed_up_user_creates_an_organization_and_becomes_admin(api_client, client_for):
    signup = api_client.post("/auth/signup", {"email": "solo@example.com", "password": "a fine long password"})
    assert signup.status_code == 202
    login = api_client.post("/auth/login", {"email": "solo@example.com", "password": "a fine long password"})
    client = api_client
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access_token']}")
    personal = client.get("/organizations/current").json()

    response = client.post("/organizations", {"name": "Query Crafters"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Query Crafters"
    assert response.json()["member_count"] == 1
    me = client.get("/users/me").json()
    assert me["organization"]["name"] == "Query Crafters" and me["role"] == "admin"
    # The empty personal organization they were alone in is gone.
    assert not Organization.objects.filter(pk=personal["id"]).exists()
    new_org = Organization.objects.get(name="Query Crafters")
    assert "organization.create" in actions(new_org)


def test_create_refused_while_my_organization_has_other_members(admin_client, member, org):
    response = admin_client.post("/organizations", {"name": "Elsewhere"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_in_organization"
    assert org.name in response.json()["detail"]
    assert not Organization.objects.filter(name="Elsewhere").exists()


def test_create_refused_when_my_lone_organization_still_holds_projects(admin_client, project, org):
    org.plan = "free"
    org.save()
    response = admin_client.post("/organizations", {"name": "Elsewhere"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "organization_not_empty"
    assert "1 project" in response.json()["detail"]
    assert Project.objects.filter(pk=project.pk).exists()


def test_create_bad_input(admin_client, other_org_user):
    assert admin_client.post("/organizations", {"name": ""}, format="json").status_code == 400
    long = admin_client.post("/organizations", {"name": "x" * 201}, format="json")
    assert long.status_code == 400 and "name" in long.json()["errors"]
    taken = admin_client.post("/organizations", {"name": other_org_user.organization.name}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "name_taken"
    broken = admin_client.post("/organizations", data="{nope", content_type="application/json")
    assert broken.status_code == 400


def test_user_without_organization_can_create_one(client_for):
    loner = UserFactory(organization=None)
    client = client_for(loner)
    assert client.get("/organizations").json()["count"] == 0
    assert client.get("/organizations/current").status_code == 403
    response = client.post("/organizations", {"name": "שאילתות בע״מ"}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "שאילתות בע״מ"


def test_rename_is_admin_only_and_audited(admin_client, member_client, org):
    assert member_client.patch("/organizations/current", {"name": "Nope"}, format="json").status_code == 403
    response = admin_client.patch("/organizations/current/", {"name": "Renamed Org"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed Org"
    org.refresh_from_db()
    assert org.name == "Renamed Org"
    event = AuditEvent.objects.get(action="organization.rename")
    assert event.metadata["to"] == "Renamed Org"


# --- members ------------------------------------------------------------------


def test_members_list(viewer_client, admin_user, member, viewer):
    body = viewer_client.get("/organizations/current/members").json()
    assert body["count"] == 3
    assert {m["email"]: m["role"] for m in body["results"]} == {
        admin_user.email: "admin",
        member.email: "member",
        viewer.email: "viewer",
    }
    assert all("github_token" not in m for m in body["results"])


def test_admin_changes_a_role(admin_client, member, org):
    response = admin_client.patch(f"/organizations/current/members/{member.id}", {"role": "viewer"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    member.refresh_from_db()
    assert member.role == "viewer"
    event = AuditEvent.objects.get(action="organization.member_role_change")
    assert event.metadata == {"from": "member", "to": "viewer"}


def test_bad_role_is_400(admin_client, member):
    response = admin_client.patch(f"/organizations/current/members/{member.id}", {"role": "owner"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_last_admin_cannot_demote_themself(admin_client, admin_user, member):
    response = admin_client.patch(f"/organizations/current/members/{admin_user.id}", {"role": "member"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_admin_may_step_down_once_another_admin_exists(admin_client, admin_user, member):
    assert (
        admin_client.patch(f"/organizations/current/members/{member.id}", {"role": "admin"}, format="json").status_code
        == 200
    )
    response = admin_client.patch(f"/organizations/current/members/{admin_user.id}", {"role": "viewer"}, format="json")
    assert response.status_code == 200
    admin_user.refresh_from_db()
    assert admin_user.role == "viewer"


def test_admin_removes_a_member(admin_client, member, org):
    response = admin_client.delete(f"/organizations/current/members/{member.id}")
    assert response.status_code == 204
    member.refresh_from_db()
    assert member.organization_id is None
    assert "organization.member_remove" in actions(org)


def test_last_admin_cannot_be_removed(admin_client, admin_user):
    response = admin_client.delete(f"/organizations/current/members/{admin_user.id}")
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"


def test_other_tenants_member_is_404(admin_client, other_org_user):
    url = f"/organizations/current/members/{other_org_user.id}"
    assert admin_client.patch(url, {"role": "viewer"}, format="json").status_code == 404
    assert admin_client.delete(url).status_code == 404
    other_org_user.refresh_from_db()
    assert other_org_user.role == "admin"


# --- invitations --------------------------------------------------------------


def test_invite_list_and_revoke(admin_client, viewer_client, org):
    created = admin_client.post(
        "/organizations/current/invitations", {"email": "Someone@Example.com", "role": "viewer"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == "someone@example.com"
    assert body["role"] == "viewer" and body["status"] == "pending"
    assert "token" not in body

    listed = viewer_client.get("/organizations/current/invitations").json()
    assert [i["email"] for i in listed["results"]] == ["someone@example.com"]
    assert "token" not in listed["results"][0]

    revoked = admin_client.delete(f"/organizations/current/invitations/{body['id']}")
    assert revoked.status_code == 204
    assert Invitation.objects.get(pk=body["id"]).status == "revoked"
    again = admin_client.delete(f"/organizations/current/invitations/{body['id']}")
    assert again.status_code == 409
    assert admin_client.get("/organizations/current/invitations").json()["count"] == 0
    assert {"organization.invitation_create", "organization.invitation_revoke"} <= set(actions(org))


def test_invite_refusals(admin_client, member):
    url = "/organizations/current/invitations"
    assert admin_client.post(url, {"email": "not-an-email"}, format="json").status_code == 400
    assert admin_client.post(url, {"email": "a@example.com", "role": "boss"}, format="json").status_code == 400
    already = admin_client.post(url, {"email": member.email.upper()}, format="json")
    assert already.status_code == 409 and already.json()["code"] == "already_member"
    assert admin_client.post(url, {"email": "dup@example.com"}, format="json").status_code == 201
    dup = admin_client.post(url, {"email": "dup@example.com"}, format="json")
    assert dup.status_code == 409 and dup.json()["code"] == "already_invited"


def test_seats_count_members_and_pending_invitations(admin_client, org, member):
    org.plan = "free"  # 3 seats
    org.save()
    url = "/organizations/current/invitations"
    assert admin_client.post(url, {"email": "third@example.com"}, format="json").status_code == 201
    response = admin_client.post(url, {"email": "fourth@example.com"}, format="json")
    assert response.status_code == 402
    assert response.json()["limit"] == {"resource": "seats", "allowed": 3, "used": 3, "plan": "free"}
    assert not Invitation.objects.filter(email="fourth@example.com").exists()


def test_invitation_is_not_emailed_inside_the_request(admin_client):
    # The mail goes out from the background job after commit (see test_invitation_email.py).
    assert admin_client.post("/organizations/current/invitations", {"email": "x@example.com"}, format="json")
    assert mail.outbox == []


def test_other_tenants_invitation_is_404(admin_client, other_org_user):
    theirs = Invitation.objects.create(organization=other_org_user.organization, email="z@example.com")
    response = admin_client.delete(f"/organizations/current/invitations/{theirs.id}")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "pending"


# --- accepting ----------------------------------------------------------------


@pytest.fixture
def invitation(org, admin_user):
    return Invitation.objects.create(organization=org, email="joiner@example.com", role="viewer", invited_by=admin_user)


def test_accept_joins_with_the_invited_role(invitation, client_for, org):
    # Alone in an empty organization on the free plan, as after signing up.
    joiner = UserFactory(email="joiner@example.com", role="admin", organization=OrganizationFactory(plan="free"))
    personal = joiner.organization
    client = client_for(joiner)

    response = client.post("/invitations/accept", {"token": invitation.token}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["organization"]["id"] == org.id
    assert response.json()["role"] == "viewer"
    joiner.refresh_from_db()
    assert joiner.organization_id == org.id and joiner.role == "viewer"
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_at is not None
    assert not Organization.objects.filter(pk=personal.pk).exists()
    assert "organization.invitation_accept" in actions(org)

    used = client.post("/invitations/accept", {"token": invitation.token}, format="json")
    assert used.status_code == 409
    assert used.json()["code"] == "invitation_used"


def test_accept_with_another_email_is_refused(invitation, client_for):
    stranger = UserFactory(email="stranger@example.com")
    response = client_for(stranger).post("/invitations/accept", {"token": invitation.token}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "email_mismatch"
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_accept_unknown_or_revoked_token_is_404(invitation, client_for):
    client = client_for(UserFactory(email="joiner@example.com"))
    assert client.post("/invitations/accept", {"token": "nope"}, format="json").status_code == 404
    assert client.post("/invitations/accept", {"token": "x" * 65}, format="json").status_code == 400
    assert client.post("/invitations/accept", {}, format="json").status_code == 400
    invitation.status = "revoked"
    invitation.save()
    response = client.post("/invitations/accept", {"token": invitation.token}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "invitation_revoked"


def test_accept_keeps_projects_of_a_lone_organization(invitation, client_for):
    joiner = UserFactory(email="joiner@example.com", role="admin", organization=OrganizationFactory(plan="free"))
    ProjectFactory(organization=joiner.organization)
    response = client_for(joiner).post("/invitations/accept", {"token": invitation.token}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "organization_not_empty"
    joiner.refresh_from_db()
    assert joiner.organization.projects.count() == 1


def test_accept_keeps_a_lone_organization_on_a_paid_plan(invitation, client_for):
    joiner = UserFactory(email="joiner@example.com", role="admin", organization=OrganizationFactory(plan="pro"))
    response = client_for(joiner).post("/invitations/accept", {"token": invitation.token}, format="json")
    assert response.status_code == 409
    assert "paid" in response.json()["detail"]
    assert Organization.objects.filter(pk=joiner.organization_id).exists()


def test_last_admin_of_a_team_cannot_leave_by_accepting(invitation, client_for):
    team = OrganizationFactory()
    joiner = UserFactory(email="joiner@example.com", organization=team, role="admin")
    UserFactory(organization=team, role="member")
    response = client_for(joiner).post("/invitations/accept", {"token": invitation.token}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"


def test_accept_needs_sign_in(invitation, api_client):
    assert api_client.post("/invitations/accept", {"token": invitation.token}, format="json").status_code == 401
