import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.mail import deliver_account_emails
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def signup(api_client, email="ada@example.com"):
    """Sign up (unverified accounts may sign in) and sign in: the login answer, with the token pair."""
    response = api_client.post(
        "/auth/signup", {"email": email, "password": PASSWORD, "full_name": "Ada"}, format="json"
    )
    assert response.status_code == 202, response.content
    return api_client.post("/auth/login", {"email": email, "password": PASSWORD}, format="json")


def test_signup_login_me(api_client):
    response = signup(api_client)
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token", "token_type"}
    assert response.json()["token_type"] == "bearer"
    login = api_client.post("/auth/login/", {"email": "ADA@example.com", "password": PASSWORD}, format="json")
    assert login.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access_token']}")
    me = api_client.get("/users/me").json()
    assert me["email"] == "ada@example.com"
    assert me["role"] == "admin"
    assert me["organization"]["name"] == "ada's organization"
    assert "github_token" not in me and "password" not in me
    assert me["email_verified"] is False


def test_wrong_password_is_401(api_client):
    signup(api_client)
    response = api_client.post("/auth/login", {"email": "ada@example.com", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_refresh_rotates_and_old_token_is_rejected(api_client):
    tokens = signup(api_client).json()
    first = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    again = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


def test_logout_revokes_refresh_token(api_client):
    tokens = signup(api_client).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api_client.post("/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json").status_code == 204
    response = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert response.status_code == 401


def test_me_needs_a_token(api_client):
    response = api_client.get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_signup_with_a_taken_email_answers_like_a_new_one_and_tells_the_owner(api_client):
    body = {"password": PASSWORD, "full_name": "Ada"}
    new = api_client.post("/auth/signup", {**body, "email": "ada@example.com"}, format="json")
    taken = api_client.post("/auth/signup", {**body, "email": "ADA@Example.com"}, format="json")
    assert (new.status_code, taken.status_code) == (202, 202)
    assert new.json() == taken.json()  # nothing tells the caller the address was registered
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1
    subjects = [m.subject for m in deliver_account_emails()]
    assert subjects == ["Your DBooster verification code", "You already have a DBooster account"]


def test_weak_password_is_400(api_client):
    response = api_client.post("/auth/signup", {"email": "weak@example.com", "password": "123"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert not User.objects.filter(email="weak@example.com").exists()


def test_signup_names_the_organization(api_client):
    api_client.post(
        "/auth/signup",
        {"email": "org@example.com", "password": PASSWORD, "organization": "Acme Data"},
        format="json",
    )
    tokens = api_client.post("/auth/login", {"email": "org@example.com", "password": PASSWORD}, format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api_client.get("/users/me/").json()["organization"]["name"] == "Acme Data"


def test_an_access_token_is_not_a_refresh_token(api_client):
    tokens = signup(api_client).json()
    response = api_client.post("/auth/refresh/", {"refresh_token": tokens["access_token"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_chain_keeps_working(api_client):
    tokens = signup(api_client).json()
    for _ in range(3):
        response = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
        assert response.status_code == 200
        assert response.json()["token_type"] == "bearer"
        tokens = response.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api_client.get("/users/me").json()["email"] == "ada@example.com"


def test_disabled_user_cannot_log_in_or_refresh(api_client):
    tokens = signup(api_client).json()
    User.objects.filter(email="ada@example.com").update(is_active=False)
    login = api_client.post("/auth/login", {"email": "ada@example.com", "password": PASSWORD}, format="json")
    assert login.status_code == 401
    refresh = api_client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert refresh.status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api_client.get("/users/me").status_code == 401


def test_logout_with_someone_elses_token_is_refused_and_revokes_nothing(api_client, client_for):
    ada = signup(api_client).json()
    other = UserFactory()
    response = client_for(other).post("/auth/logout", {"refresh_token": ada["refresh_token"]}, format="json")
    assert response.status_code == 400
    assert api_client.post("/auth/refresh", {"refresh_token": ada["refresh_token"]}, format="json").status_code == 200


def test_logout_needs_a_signed_in_user(api_client):
    tokens = signup(api_client).json()
    response = APIClient().post("/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json")
    assert response.status_code == 401


def test_me_never_shows_the_github_token(client_for):
    user = UserFactory(github_token="ghp_very_secret")
    response = client_for(user).get("/users/me")
    assert response.status_code == 200
    assert response.json()["github_connected"] is True
    assert "ghp_very_secret" not in response.content.decode()


def test_login_and_signup_are_audited(api_client):
    signup(api_client)
    api_client.post("/auth/login", {"email": "ada@example.com", "password": "wrong"}, format="json")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "outcome"))
    assert ("auth.signup", "success") in actions
    assert ("auth.login", "failure") in actions
    assert not AuditEvent.objects.filter(metadata__has_key="password").exists()
