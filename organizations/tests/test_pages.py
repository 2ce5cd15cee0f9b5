"""Server-rendered pages: sign-in, sign-up, sign-out, organization, invitations (projects pages in projects/tests)."""

import copy

import pytest
from django.contrib.auth import get_user_model

from accounts.tests.mail import code_in, deliver_account_emails
from audit.models import AuditEvent
from organizations.models import Invitation, Organization
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


# --- sign-in, sign-up, sign-out --------------------------------------------------


def test_sign_in_page_shows_disabled_provider_buttons_with_the_hint(client, settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = []
    providers["github"]["APPS"] = []
    settings.SOCIALACCOUNT_PROVIDERS = providers
    html = client.get("/app/login/").content.decode()
    assert "Continue with Google" in html and "Continue with GitHub" in html
    assert 'aria-disabled="true"' in html
    assert "GOOGLE_CLIENT_ID" in html and "GITHUB_CLIENT_ID" in html
    assert 'href="/auth/google' not in html


def test_sign_in_page_links_configured_providers(client, settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = [{"client_id": "id", "secret": "secret", "key": ""}]
    providers["github"]["APPS"] = [{"client_id": "id", "secret": "secret", "key": ""}]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    html = client.get("/app/login/?next=/app/projects/").content.decode()
    assert 'href="/auth/google?next=%2Fapp%2Fprojects%2F"' in html
    assert 'href="/auth/github?next=%2Fapp%2Fprojects%2F"' in html


def test_sign_in_with_password_and_sign_out(client, member):
    response = client.post(
        "/app/login/", {"email": member.email.upper(), "password": PASSWORD, "next": "/app/projects/"}
    )
    assert response.status_code == 302 and response["Location"] == "/app/projects/"
    assert client.get("/app/").status_code == 200
    assert client.get("/app/logout/").status_code == 405  # sign-out is a POST (a link cannot sign you out)
    response = client.post("/app/logout/")
    assert response.status_code == 302 and response["Location"] == "/app/login/"
    assert client.get("/app/").status_code == 302


def test_wrong_password_shows_a_clear_error(client, member):
    response = client.post("/app/login/", {"email": member.email, "password": "wrong"})
    assert response.status_code == 400
    assert "E-mail or password is wrong." in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login", outcome="failure").exists()


def test_sign_in_never_redirects_off_site(client, member):
    response = client.post("/app/login/", {"email": member.email, "password": PASSWORD, "next": "//evil.example/x"})
    assert response["Location"] == "/app/"


def test_anonymous_pages_go_to_sign_in(client):
    for path in ("/app/", "/app/projects/", "/app/organization/", "/app/projects/new/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/app/login/?next=")


def test_sign_up_creates_the_user_and_signs_in(client):
    response = client.post(
        "/app/signup/",
        {
            "email": "new@example.com",
            "full_name": "Noa Levi",
            "password1": "a fine long password",
            "password2": "a fine long password",
            "organization": "Levi Labs",
        },
    )
    # Next comes the e-mailed code (accounts/tests/test_pages.py), which signs the user in.
    assert response.status_code == 302
    assert response["Location"] == "/app/verify/?email=new%40example.com&next=%2Fapp%2Fprojects%2F"
    user = get_user_model().objects.get(email="new@example.com")
    assert user.organization.name == "Levi Labs" and user.role == "admin"
    client.post("/app/verify/", {"email": "new@example.com", "code": code_in(deliver_account_emails()[-1])})
    assert "Levi Labs" in client.get("/app/organization/").content.decode()


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        ({"password2": "something else entirely"}, "The two passwords differ.", "password2"),
        ({"password1": "password", "password2": "password"}, "too common", "password1"),
        ({"email": "not-an-email"}, "Enter a valid email address.", "email"),
        ({"organization": "Taken Org"}, "already exists", "organization"),
    ],
)
def test_sign_up_errors_are_shown_next_to_the_field(client, fields, message, field):
    UserFactory(email="taken@example.com", organization=OrganizationFactory(name="Taken Org"))
    data = {"email": "x@example.com", "password1": "a fine long password", "password2": "a fine long password"}
    data.update(fields)
    response = client.post("/app/signup/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert message in " ".join(response.context["form"].errors[field])
    assert not get_user_model().objects.filter(email="x@example.com").exists()


# --- organization page ------------------------------------------------------------


def test_admin_sees_management_forms_viewer_does_not(browser_for, admin_user, viewer, member):
    admin_html = browser_for(admin_user).get("/app/organization/").content.decode()
    assert "Send invitation" in admin_html and "Remove" in admin_html and "Rename" in admin_html
    assert member.email in admin_html
    viewer_html = browser_for(viewer).get("/app/organization/").content.decode()
    assert member.email in viewer_html
    assert "Send invitation" not in viewer_html and "Remove" not in viewer_html and "Rename" not in viewer_html


def test_admin_invites_changes_role_removes_and_revokes(browser_for, admin_user, member, viewer, org):
    browser = browser_for(admin_user)

    response = browser.post("/app/organization/invitations/", {"email": "guest@example.com", "role": "viewer"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="guest@example.com")
    assert invitation.role == "viewer"
    assert "guest@example.com" in browser.get("/app/organization/").content.decode()

    assert browser.post(f"/app/organization/members/{member.pk}/role/", {"role": "admin"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "admin"

    assert browser.post(f"/app/organization/members/{viewer.pk}/remove/").status_code == 302
    viewer.refresh_from_db()
    assert viewer.organization_id is None

    assert browser.post(f"/app/organization/invitations/{invitation.pk}/revoke/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"

    assert browser.post("/app/organization/rename/", {"name": "Renamed on the page"}).status_code == 302
    org.refresh_from_db()
    assert org.name == "Renamed on the page"


def test_invite_form_errors_are_shown(browser_for, admin_user, member):
    browser = browser_for(admin_user)
    response = browser.post("/app/organization/invitations/", {"email": "nope", "role": "member"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    response = browser.post("/app/organization/invitations/", {"email": member.email, "role": "member"})
    assert response.status_code == 409
    assert "already a member" in response.content.decode()


def test_last_admin_demoting_themself_gets_a_message(browser_for, admin_user):
    browser = browser_for(admin_user)
    response = browser.post(f"/app/organization/members/{admin_user.pk}/role/", {"role": "viewer"}, follow=True)
    assert "last admin" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


@pytest.mark.parametrize(
    "path",
    [
        "/app/organization/members/{member}/role/",
        "/app/organization/members/{member}/remove/",
        "/app/organization/invitations/",
        "/app/organization/invitations/{invitation}/revoke/",
        "/app/organization/rename/",
    ],
)
def test_member_and_viewer_cannot_manage(browser_for, member, viewer, admin_user, org, path):
    invitation = Invitation.objects.create(organization=org, email="p@example.com")
    url = path.format(member=admin_user.pk, invitation=invitation.pk)
    for user in (member, viewer):
        response = browser_for(user).post(url, {"role": "viewer", "email": "q@example.com", "name": "Hijacked"})
        assert response.status_code == 403
        assert "needs admin" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == "admin" and admin_user.organization_id == org.pk
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"
    assert not Invitation.objects.filter(email="q@example.com").exists()


def test_other_organizations_member_is_404_on_the_page(browser_for, admin_user, other_org_user):
    response = browser_for(admin_user).post(f"/app/organization/members/{other_org_user.pk}/remove/")
    assert response.status_code == 404
    other_org_user.refresh_from_db()
    assert other_org_user.organization_id is not None


def test_user_without_organization_creates_one_on_the_page(browser_for):
    loner = UserFactory(organization=None)
    browser = browser_for(loner)
    assert browser.get("/app/projects/").status_code == 302  # sent to the organization page first
    assert "Create organization" in browser.get("/app/organization/").content.decode()
    response = browser.post("/app/organization/create/", {"name": "Fresh Start"})
    assert response.status_code == 302
    loner.refresh_from_db()
    assert loner.organization.name == "Fresh Start" and loner.role == "admin"


# --- accepting an invitation on the page ---------------------------------------------


def test_invitation_link_signs_up_then_accepts(client, org, admin_user):
    invitation = Invitation.objects.create(organization=org, email="joiner@example.com", role="member")
    link = f"/app/invitations/accept/?token={invitation.token}"

    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith("/app/login/?next=")

    signup = client.post(
        "/app/signup/",
        {
            "email": "joiner@example.com",
            "password1": "a fine long password",
            "password2": "a fine long password",
            "next": link,
        },
    )
    assert signup["Location"].startswith("/app/verify/?email=joiner%40example.com")
    code = code_in(deliver_account_emails()[-1])
    verified = client.post("/app/verify/", {"email": "joiner@example.com", "code": code, "next": link})
    assert verified["Location"] == link
    page = client.get(link)
    assert org.name in page.content.decode() and "Join" in page.content.decode()

    response = client.post("/app/invitations/accept/", {"token": invitation.token})
    assert response.status_code == 302
    joiner = get_user_model().objects.get(email="joiner@example.com")
    assert joiner.organization_id == org.pk and joiner.role == "member"
    # Their personal organization from sign-up was empty and is gone.
    assert Organization.objects.filter(name__startswith="joiner's organization").count() == 0


def test_invitation_page_explains_a_wrong_address(browser_for, org, member):
    invitation = Invitation.objects.create(organization=org, email="someone.else@example.com")
    stranger = UserFactory(email="stranger@example.com")
    html = browser_for(stranger).get(f"/app/invitations/accept/?token={invitation.token}").content.decode()
    assert "another e-mail address" in html and "stranger@example.com" in html
    response = browser_for(stranger).post("/app/invitations/accept/", {"token": invitation.token})
    assert response.status_code == 403
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


def test_unknown_invitation_page_is_404(browser_for, member):
    response = browser_for(member).get("/app/invitations/accept/?token=nope")
    assert response.status_code == 404
    assert "does not exist" in response.content.decode()


def test_seat_limit_is_shown_on_the_invite_form_with_the_way_to_upgrade(browser_for, admin_user, member, viewer, org):
    org.plan = "free"  # 3 seats: admin, member and viewer fill them.
    org.save()
    response = browser_for(admin_user).post(
        "/app/organization/invitations/", {"email": "fourth@example.com", "role": "member"}
    )
    assert response.status_code == 402
    html = response.content.decode()
    assert "Free plan allows 3 seats" in html
    assert 'href="/app/billing/">See plans and upgrade</a>' in html
    assert not Invitation.objects.filter(email="fourth@example.com").exists()


def test_sign_in_page_hint_is_the_503_message_word_for_word(client, settings):
    from django.utils.html import escape

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = []
    providers["github"]["APPS"] = []
    settings.SOCIALACCOUNT_PROVIDERS = providers
    html = client.get("/app/login/").content.decode()
    for provider in ("google", "github"):
        detail = client.get(f"/auth/{provider}").json()["detail"]
        assert escape(detail) in html, detail
