import pytest

pytestmark = pytest.mark.django_db


def preflight(client, origin, path="/auth/login"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_front_end_origin_may_call_the_api(client, settings):
    origin = settings.FRONTEND_URL.rstrip("/")
    response = preflight(client, origin)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_other_origins_may_not(client):
    response = preflight(client, "https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_extra_origins_are_allowed(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [*settings.CORS_ALLOWED_ORIGINS, "https://admin.example.com"]
    response = preflight(client, "https://admin.example.com", path="/users/me")
    assert response["Access-Control-Allow-Origin"] == "https://admin.example.com"


def test_actual_request_from_the_front_end_gets_the_header(client, settings):
    origin = settings.FRONTEND_URL.rstrip("/")
    response = client.get("/health", HTTP_ORIGIN=origin)
    assert response["Access-Control-Allow-Origin"] == origin
    assert "Access-Control-Allow-Origin" not in client.get("/health", HTTP_ORIGIN="https://evil.example")


@pytest.mark.parametrize("path", ["/health", "/users/me", "/projects", "/app/login/"])
def test_a_request_without_an_origin_gets_corsheaders_answer_without_building_its_headers(client, path):
    response = client.get(path)
    assert "origin" in response["Vary"].lower().replace(" ", "").split(",")
    assert not any(name.lower().startswith("access-control-") for name in response.headers)
    assert "headers" not in response.wsgi_request.__dict__  # Django's HttpHeaders was never made for it


def test_the_vary_header_is_corsheaders_own(client, settings):
    """Same Vary with and without an Origin: caches keep answers for different origins apart."""
    origin = settings.FRONTEND_URL.rstrip("/")
    assert client.get("/health")["Vary"] == client.get("/health", HTTP_ORIGIN=origin)["Vary"]
