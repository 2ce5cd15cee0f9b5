"""Bad input on the existing endpoints: JSON `{"detail", "code"}` with the right status, never a 500."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def assert_error(response, status, code=None):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code:
        assert body["code"] == code, body
    return body


def post_raw(client, path, raw: bytes, content_type="application/json"):
    return client.generic("POST", path, raw, content_type=content_type)


PUBLIC_POSTS = ["/auth/signup", "/auth/login", "/auth/refresh", "/auth/token"]


@pytest.mark.parametrize("path", PUBLIC_POSTS)
@pytest.mark.parametrize("raw", [b"{not json", b'{"email": ', b"\xff\xfe", b"[1, 2"])
def test_malformed_json_is_400(api_client, path, raw):
    assert_error(post_raw(api_client, path, raw), 400, "parse_error")


@pytest.mark.parametrize("path", PUBLIC_POSTS)
def test_missing_fields_are_400_with_field_errors(api_client, path):
    body = assert_error(api_client.post(path, {}, format="json"), 400, "required")
    assert body["errors"]


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/auth/signup", {"email": 42, "password": PASSWORD}, "email"),
        ("/auth/signup", {"email": "a@example.com", "password": ["x"]}, "password"),
        ("/auth/signup", {"email": {"a": 1}, "password": PASSWORD}, "email"),
        ("/auth/login", {"email": "a@example.com", "password": None}, "password"),
        ("/auth/refresh", {"refresh_token": {"nested": True}}, "refresh_token"),
        ("/auth/token", {"code": ["a", "b"]}, "code"),
    ],
)
def test_wrong_types_are_400(api_client, path, payload, field):
    body = assert_error(api_client.post(path, payload, format="json"), 400)
    assert field in body["errors"]


@pytest.mark.parametrize("payload", ["just a string", 12, None, [{"email": "a@example.com"}]])
def test_json_that_is_not_an_object_is_400(api_client, payload):
    response = post_raw(api_client, "/auth/login", json.dumps(payload).encode())
    assert_error(response, 400)


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/auth/signup", {"email": "a" * 300 + "@example.com", "password": PASSWORD}, "email"),
        ("/auth/signup", {"email": "a@example.com", "password": "p" * 10_000}, "password"),
        ("/auth/signup", {"email": "a@example.com", "password": PASSWORD, "full_name": "n" * 1000}, "full_name"),
        ("/auth/refresh", {"refresh_token": "t" * 10_000}, "refresh_token"),
    ],
)
def test_over_long_strings_are_400(api_client, path, payload, field):
    body = assert_error(api_client.post(path, payload, format="json"), 400, "max_length")
    assert field in body["errors"]


def test_over_long_project_name_is_400(member_client):
    body = assert_error(member_client.post("/projects", {"name": "p" * 201}, format="json"), 400, "max_length")
    assert "name" in body["errors"]


def test_wrong_type_on_projects_is_400(member_client, project):
    assert_error(member_client.post("/projects", {"name": ["x"]}, format="json"), 400)
    assert_error(member_client.patch(f"/projects/{project.id}", {"description": {"a": 1}}, format="json"), 400)


def test_nul_byte_is_400_not_a_database_error(member_client):
    # PostgreSQL text cannot hold NUL; DRF refuses it before it reaches the database.
    assert_error(member_client.post("/projects", {"name": "bad\x00name"}, format="json"), 400)


@pytest.mark.parametrize("pk", ["999999", "9223372036854775807", "99999999999999999999999"])
def test_unknown_ids_are_404(member_client, pk):
    assert_error(member_client.get(f"/projects/{pk}"), 404, "not_found")
    assert_error(member_client.patch(f"/projects/{pk}", {"name": "x"}, format="json"), 404, "not_found")
    assert_error(member_client.delete(f"/projects/{pk}"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/auth/login"), ("get", "/auth/signup"), ("delete", "/auth/refresh"), ("get", "/auth/token")],
)
def test_wrong_method_is_405(api_client, method, path):
    assert_error(getattr(api_client, method)(path), 405, "method_not_allowed")


def test_wrong_method_on_an_authenticated_endpoint_is_405(member_client):
    assert_error(member_client.put("/projects", {"name": "x"}, format="json"), 405, "method_not_allowed")
    assert_error(member_client.post("/users/me", {}, format="json"), 405, "method_not_allowed")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/png"])
def test_unsupported_media_type_is_415(api_client, member_client, content_type):
    assert_error(post_raw(api_client, "/auth/login", b"email=a", content_type), 415, "unsupported_media_type")
    assert_error(post_raw(member_client, "/projects", b"name=x", content_type), 415, "unsupported_media_type")


@pytest.mark.parametrize("path", ["/no-such-thing", "/auth/nope", "/projects/abc", "/users/me/extra"])
def test_unknown_url_is_json_404(path):
    response = APIClient().get(path)
    assert_error(response, 404, "not_found")


def test_bad_credentials_and_tokens_are_401(api_client):
    assert_error(api_client.post("/auth/refresh", {"refresh_token": "abc.def.ghi"}, format="json"), 401)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_error(client.get("/users/me"), 401)


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup", "/projects"])
def test_over_large_body_is_json_413(member_client, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    raw = json.dumps({"email": "big@example.com", "password": PASSWORD, "name": "x" * 5000}).encode()
    body = assert_error(post_raw(member_client, path, raw), 413, "too_large")
    assert "2000 bytes" in body["detail"]


def test_sign_in_endpoints_are_rate_limited_with_json_429(api_client, settings):
    # The suite runs with high limits (test_settings); dbooster/tests/test_ratelimit.py covers the rest.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in": {"account": "3/min", "address": "100/min"}}
    login = {"email": "nobody@example.com", "password": "wrong password 123"}
    statuses = [api_client.post("/auth/login", login, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    response = api_client.post("/auth/login", login, format="json")
    body = assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert "try again in" in body["detail"]
