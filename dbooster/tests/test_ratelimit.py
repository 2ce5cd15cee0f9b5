"""Rate limits: per account and per address, shared by every worker (a PostgreSQL table), the same for
the API and the pages, answered with 429 and Retry-After, and documented in /openapi.json."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dbooster import ratelimit
from dbooster.tasks import app
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FACTORY_PASSWORD = "correct horse battery staple"


def limit(settings, scope, **kinds):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: kinds}


def login_api(email, password="wrong password 1", address="10.0.0.1"):
    client = APIClient(REMOTE_ADDR=address)
    return client.post("/auth/login", {"email": email, "password": password}, format="json")


def login_page(email, password="wrong password 1", address="10.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    return client.post("/app/login/", {"email": email, "password": password})


def test_rates_parse_and_read_well():
    assert ratelimit.Rate.parse("30/min") == ratelimit.Rate(30, 60)
    assert ratelimit.Rate.parse("5/10min") == ratelimit.Rate(5, 600)
    assert ratelimit.Rate.parse("10 / hour") == ratelimit.Rate(10, 3600)
    assert str(ratelimit.Rate(5, 600)) == "5 per 10 minutes"
    with pytest.raises(ValueError, match="not like"):
        ratelimit.Rate.parse("lots")


def test_sign_in_is_limited_per_account_across_addresses(settings):
    limit(settings, "sign_in", account="3/min", address="100/min")
    statuses = [login_api("victim@example.com", address=f"10.0.0.{i}").status_code for i in range(1, 5)]
    assert statuses == [401, 401, 401, 429]
    refused = login_api("victim@example.com", address="10.0.0.99")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert "this account" in refused.json()["detail"] and 0 < int(refused["Retry-After"]) <= 60
    assert login_api("someone-else@example.com", address="10.0.0.99").status_code == 401


def test_sign_in_is_limited_per_address_across_accounts(settings):
    limit(settings, "sign_in", account="100/min", address="3/min")
    statuses = [login_api(f"user{i}@example.com").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "this address" in login_api("user9@example.com").json()["detail"]
    assert login_api("user9@example.com", address="10.0.0.2").status_code == 401


def test_the_html_sign_in_form_shares_the_apis_limit(settings):
    limit(settings, "sign_in", account="3/min", address="100/min")
    assert login_api("victim@example.com").status_code == 401
    assert login_api("victim@example.com").status_code == 401
    assert login_page("victim@example.com").status_code == 400  # the form's "wrong password"
    page = login_page("victim@example.com")
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert b"Too many sign-in attempts" in page.content
    assert login_api("victim@example.com").status_code == 429


def test_a_right_password_is_refused_too_once_limited(settings):
    limit(settings, "sign_in", account="2/min", address="100/min")
    user = UserFactory()
    login_api(user.email), login_api(user.email)
    assert login_api(user.email, password=FACTORY_PASSWORD).status_code == 429


def test_authenticated_endpoints_count_per_user(settings, client_for, member, project):
    limit(settings, "sql", account="2/min", address="100/min")
    client = client_for(member)
    body = {"query": "SELECT 1", "project": project.id}
    statuses = [client.post("/query/explain", body, format="json").status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]
    other = client_for(UserFactory(organization=member.organization))
    assert other.post("/query/explain", body, format="json").status_code != 429


@pytest.mark.parametrize(
    ("scope", "path", "body"),
    [
        ("sign_up", "/auth/signup", {"email": "a@example.com", "password": "x"}),
        ("codes", "/auth/verify", {"email": "a@example.com", "code": "123456"}),
        ("codes", "/auth/resend-code", {"email": "a@example.com"}),
        ("password_reset", "/auth/forgot-password", {"email": "a@example.com"}),
        (
            "password_reset",
            "/auth/forgot-password/verify",
            {"email": "a@example.com", "code": "1", "new_password": "x"},
        ),
    ],
)
def test_every_anonymous_auth_endpoint_is_limited(settings, api_client, scope, path, body):
    limit(settings, scope, account="1/min", address="100/min")
    api_client.post(path, body, format="json")
    response = api_client.post(path, body, format="json")
    assert response.status_code == 429 and response["Retry-After"]


def test_optimize_and_scans_are_limited(settings, client_for, member, project):
    limit(settings, "optimize", account="1/min", address="100/min")
    limit(settings, "scans", account="1/min", address="100/min")
    client = client_for(member)
    client.post("/query/optimize", {"query": "SELECT 1"}, format="json")
    assert client.post("/query/optimize", {"query": "SELECT 1"}, format="json").status_code == 429
    scan = {"repo_url": "https://github.com/a/b", "project": project.id}
    client.post("/repos/scan", scan, format="json")
    assert client.post("/repos/scan", scan, format="json").status_code == 429


def test_counters_live_in_the_shared_postgresql_table(settings):
    limit(settings, "sign_in", account="5/min", address="100/min")
    login_api("shared@example.com")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM dbooster_rate_limits WHERE value::int >= 1 AND expires > now()")
        assert cur.fetchone()[0] >= 2  # one per account, one per address
        cur.execute("SELECT cache_key FROM dbooster_rate_limits")
        assert not any("shared@example.com" in key for (key,) in cur.fetchall())  # hashed, no personal data


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_from_many_connections_lose_no_count():
    """Eight threads (each its own database connection, as separate workers) hit one key 25 times."""

    def worker():
        try:
            for _ in range(25):
                ratelimit.hit("rl:test:concurrency", 60)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count, _ = ratelimit.hit("rl:test:concurrency", 60)
    assert count == 8 * 25 + 1


def test_window_resets_when_it_expires():
    first, _ = ratelimit.hit("rl:test:window", 60)
    ratelimit.hit("rl:test:window", 60)
    with connection.cursor() as cur:
        cur.execute("UPDATE dbooster_rate_limits SET expires = clock_timestamp() - interval '1 second'")
    assert ratelimit.hit("rl:test:window", 60)[0] == 1 == first


def test_forwarded_address_is_used_only_behind_a_trusted_proxy(settings, rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert ratelimit.client_address(request) == "10.0.0.5"
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    assert ratelimit.client_address(request) == "203.0.113.9"
    v6 = rf.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    assert ratelimit.client_address(v6) == "2001:db8:1:2::/64"


def test_openapi_documents_the_429_with_retry_after(api_client):
    schema = api_client.get("/openapi.json").json()
    for path, method in [
        ("/auth/login", "post"),
        ("/auth/signup", "post"),
        ("/query/explain", "post"),
        ("/repos/scan", "post"),
    ]:
        response = schema["paths"][path][method]["responses"]["429"]
        assert "Retry-After" in response["headers"], path
        assert "per account" in response["description"] or "per address" in response["description"]
    assert "429" not in schema["paths"]["/projects"]["get"]["responses"]


def test_openapi_document_is_built_once_per_process_and_rebuilt_when_settings_change(client, settings, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from dbooster import schema_view

    schema_view._forget_documents()
    calls = []
    original = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, **kw: calls.append(1) or original(self, **kw))
    first = client.get("/openapi.json")
    again = client.get("/openapi.json")
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert client.get("/openapi.json", HTTP_ACCEPT="application/json").json() == first.json()
    assert len(calls) == 1
    limit(settings, "sign_in", account="7/min", address="9/min")
    changed = client.get("/openapi.json").json()
    assert len(calls) == 2
    assert "7 per minute per account" in changed["paths"]["/auth/login"]["post"]["responses"]["429"]["description"]


def test_only_the_limited_methods_count(settings, client_for, member, api_client):
    limit(settings, "codes", account="1/min", address="100/min")
    client = client_for(member)
    assert client.patch("/users/me", {"email": "one@example.com"}, format="json").status_code == 200
    assert client.patch("/users/me", {"email": "two@example.com"}, format="json").status_code == 429
    assert [client.get("/users/me").status_code for _ in range(3)] == [200, 200, 200]
    responses = api_client.get("/openapi.json").json()["paths"]["/users/me"]
    assert "429" in responses["patch"]["responses"] and "429" not in responses["get"]["responses"]


def test_a_request_counts_all_its_windows_in_one_statement(settings):
    """Account and address are counted in one round trip (and one commit), each in its own window."""
    limit(settings, "optimize", account="2/min", address="100/min")
    with CaptureQueriesContext(connection) as statements:
        ratelimit.check("optimize", address="10.0.0.7", account="user:1")
    assert len(statements) == 1
    ratelimit.check("optimize", address="10.0.0.8", account="user:1")
    with pytest.raises(ratelimit.RateLimited, match="from this account"):
        ratelimit.check("optimize", address="10.0.0.9", account="user:1")
    assert ratelimit.hit_many([("rl:test:a", 60), ("rl:test:b", 60), ("rl:test:a2", 60)]) == [(1, 60), (1, 60), (1, 60)]


def test_ended_windows_are_deleted_by_a_task_not_by_requests():
    # A request's statements are the same every time: the housekeeping is a periodic task's.
    with CaptureQueriesContext(connection) as statements:
        for i in range(300):
            ratelimit.hit_many([(f"rl:test:steady{i}", 60)])
    assert {s["sql"].split()[0] for s in statements} == {"INSERT"}
    ratelimit.hit_many([("rl:test:old", 60), ("rl:test:live", 60)])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dbooster_rate_limits SET expires = clock_timestamp() - interval '2 hours' WHERE cache_key LIKE %s",
            ["%rl:test:old"],
        )
    assert ratelimit.delete_expired_windows() == 1
    assert ratelimit.hit_many([("rl:test:old", 60), ("rl:test:live", 60)]) == [(1, 60), (2, 60)]
    [periodic] = [
        p for p in app.periodic_registry.periodic_tasks.values() if p.task.name == "dbooster.delete_expired_rate_limits"
    ]
    assert periodic.cron == "*/10 * * * *"
