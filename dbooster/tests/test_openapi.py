import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "/auth/signup": ["post"],
    "/auth/login": ["post"],
    "/auth/refresh": ["post"],
    "/auth/logout": ["post"],
    "/auth/token": ["post"],
    "/auth/google": ["get"],
    "/auth/github": ["get"],
    "/users/me": ["get"],
    "/projects": ["get", "post"],
    "/projects/{id}": ["get", "patch", "delete"],
    "/health": ["get"],
}


@pytest.fixture
def schema(client):
    response = client.get("/openapi.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


def test_schema_has_the_documented_paths_as_documented(schema):
    for path, methods in DOCUMENTED.items():
        assert path in schema["paths"], path
        assert set(methods) <= set(schema["paths"][path]), path
    assert not any(p.endswith("/") and p != "/" for p in schema["paths"]), "paths are shown without a trailing slash"


def test_auth_endpoints_document_bodies_and_auth(schema):
    paths = schema["paths"]
    refresh = paths["/auth/refresh"]["post"]
    body = refresh["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert "refresh_token" in schema["components"]["schemas"][body]["properties"]
    ok = refresh["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schema["components"]["schemas"][ok]["properties"]) == {"access_token", "refresh_token", "token_type"}
    assert "503" in paths["/auth/google"]["get"]["responses"]
    assert "302" in paths["/auth/google"]["get"]["responses"]
    assert {"jwtAuth": []} in paths["/users/me"]["get"]["security"]
    assert "jwtAuth" in schema["components"]["securitySchemes"]
    health = paths["/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert health["$ref"].endswith("/Health")


def local_assets(html: str) -> list[str]:
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert refs, "the page loads its scripts"
    external = [r for r in refs if re.match(r"^(https?:)?//", r)]
    assert external == [], f"CDN references: {external}"
    return refs


@pytest.mark.parametrize(("url", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_docs_pages_load_only_local_static_files(client, url, asset):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "fonts.googleapis.com" not in html and "cdn.jsdelivr.net" not in html
    refs = local_assets(html)
    scripts = [r for r in refs if r.endswith(".js")]
    assert any(r.endswith(asset) for r in scripts)
    for ref in refs:
        if ref.startswith("/static/"):
            assert finders.find(ref.removeprefix("/static/")), f"{ref} is not a static file we ship"
            # Served by the application itself (WhiteNoise), so gunicorn needs no web server in front.
            served = client.get(ref)
            assert served.status_code == 200, ref
            served.close()


def test_paginated_lists_are_documented_as_pages(schema):
    ref = schema["paths"]["/projects"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.split("/")[-1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"]["$ref"].endswith("/Project")


def test_openapi_json_is_json_without_accept_header(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/vnd.oai.openapi+json")
    assert response.json()["openapi"].startswith("3.")
