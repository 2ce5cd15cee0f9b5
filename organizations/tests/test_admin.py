import pytest
from django.test import Client

from organizations.models import Invitation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "gho_a-github-token-that-must-never-show"


@pytest.fixture
def staff(org):
    staff = UserFactory(organization=org, role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def linked_user(org):
    user = UserFactory(email="linked@example.com", organization=org, role="viewer", full_name="Dana Linked")
    user.github_token = SECRET
    user.save()
    return user


def test_user_list_shows_role_and_organization_filters_and_search(staff, linked_user, org, other_org_user):
    html = staff.get("/admin/accounts/user/").content.decode()
    assert "linked@example.com" in html and org.name in html
    for title in ("role", "organization", "is staff"):
        assert f'data-filter-title="{title}"' in html

    filtered = staff.get("/admin/accounts/user/", {"role__exact": "viewer"}).content.decode()
    assert "linked@example.com" in filtered and other_org_user.email not in filtered

    by_org = staff.get("/admin/accounts/user/", {"organization__id__exact": other_org_user.organization_id})
    assert other_org_user.email in by_org.content.decode()
    assert "linked@example.com" not in by_org.content.decode()

    searched = staff.get("/admin/accounts/user/", {"q": "Dana"}).content.decode()
    assert "linked@example.com" in searched and other_org_user.email not in searched


def test_user_pages_never_show_the_github_token(staff, linked_user):
    for url in ("/admin/accounts/user/", f"/admin/accounts/user/{linked_user.pk}/change/"):
        response = staff.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
    change = staff.get(f"/admin/accounts/user/{linked_user.pk}/change/")
    assert "github_token" not in change.content.decode()
    assert "GitHub connected" in change.content.decode()


def test_staff_edits_a_role_and_the_token_survives(staff, linked_user, org):
    url = f"/admin/accounts/user/{linked_user.pk}/change/"
    form = {
        "email": linked_user.email,
        "full_name": linked_user.full_name,
        "picture": "",
        "google_id": "",
        "organization": org.pk,
        "role": "member",
        "is_active": "on",
    }
    response = staff.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    linked_user.refresh_from_db()
    assert linked_user.role == "member"
    assert linked_user.github_token == SECRET


def test_staff_adds_a_user(staff):
    response = staff.post(
        "/admin/accounts/user/add/",
        {
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "a fine long password",
            "password2": "a fine long password",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(email="added@example.com").check_password("a fine long password")


def test_organizations_with_member_count_and_invitations(staff, org, member, viewer, admin_user):
    Invitation.objects.create(organization=org, email="pending@example.com", invited_by=admin_user)
    html = staff.get("/admin/organizations/organization/").content.decode()
    assert org.name in html
    assert 'class="field-member_count">4<' in html  # admin, member, viewer, staff
    detail = staff.get(f"/admin/organizations/organization/{org.pk}/change/").content.decode()
    assert member.email in detail
    invitations = staff.get("/admin/organizations/invitation/", {"status__exact": "pending"}).content.decode()
    assert "pending@example.com" in invitations
    invitation = Invitation.objects.get(email="pending@example.com")
    assert (
        invitation.token not in staff.get(f"/admin/organizations/invitation/{invitation.pk}/change/").content.decode()
    )


def test_projects_admin(staff, project):
    html = staff.get("/admin/projects/project/", {"q": project.name}).content.decode()
    assert project.name in html
    assert staff.get(f"/admin/projects/project/{project.pk}/change/").status_code == 200
