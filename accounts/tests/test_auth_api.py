import pytest

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def signup(api_client, email="ada@example.com"):
    return api_client.post("/auth/signup", {"email": email, "password": PASSWORD, "full_name": "Ada"}, format="json")


def test_signup_login_me(api_client):
    response = signup(api_client)
    assert response.status_code == 201
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
