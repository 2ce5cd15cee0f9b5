"""Every operation of /openapi.json, fuzzed by schemathesis with all its checks, answers as documented.

Runs in-process through Django's WSGI application, authenticated as the admin of an organization that holds
one of everything (project, connection to a scratch target database, sync, analysis, optimization, workload,
proposal, invitation, notification), so ids in paths and bodies resolve for the valid cases and the server's
real answers are checked: no 500, only documented status codes, bodies and headers that match the schema,
invalid input refused, valid input accepted, authentication enforced. Every check runs, with schemathesis's
default expectations, over its three phases: the schema's examples, the coverage phase (each field's edge
cases: bounds, formats, missing and wrong-typed values) and a bounded, derandomized fuzzing phase, so the run
is the same on every machine. Each example runs in a savepoint rolled back afterwards, so a DELETE does not
take the objects away from the next one. ALLOWLIST names the few operation-check pairs that cannot hold, each
with its reason.
"""

from __future__ import annotations

import json
import re
import uuid

import psycopg
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from psycopg import sql
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from accounts.services import token_pair
from assistant.tests.fake_openai import FakeOpenAI, Reply
from assistant.tests.fake_openai import configure as configure_model
from billing.tests.conftest import fake_stripe  # noqa: F401 (a fixture)
from conftest import _admin_conninfo, url_for_database
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory
from tests.targets import ORDERS_SQL

pytestmark = pytest.mark.django_db

# Every check of this schemathesis runs, in all three phases (examples, coverage, fuzzing), with its default
# expectations: a schema-valid request is accepted (2xx, or 401/403/404/409/429), an invalid one refused.
# Strings are generated without NUL characters: PostgreSQL text cannot hold them, so every string field
# refuses one ("Null characters are not allowed"), a rule of the database, not of any one operation.
CONFIG = schemathesis.Config.from_dict({"generation": {"allow-x00": False}})
schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application(), config=CONFIG)

# The operation-check pairs that cannot hold, each for a reason no schema can state. Keep this short: a
# rejection the schema could describe (a bound, a format, an enum, a required field) is fixed in the schema.
CONNECTION_SWITCHES = "allow_dml_analyze is refused with environment=production (a rule between two fields)"
ANALYTICS_RANGE = "from/to/range/step relate: from or range, from before to, at most 1,000 points"
VALUE_THE_SCHEMA_CANNOT_STATE = {
    "POST /auth/token": "the single-use sign-in code must be one the server issued",
    "POST /auth/verify": "the e-mailed code or link must be one the server issued",
    "POST /auth/forgot-password/verify": "the e-mailed code or link must be one the server issued",
    "POST /auth/signup": "password strength (not common, not like the e-mail) is Django's validators' rule",
    "POST /users/me/password": "the current password must be the user's own",
    "DELETE /users/me": "the password must be the user's own",
    "POST /billing/webhook": "the Stripe-Signature must be Stripe's HMAC of the body",
    "POST /payment/details": "the identifier's form depends on the provider (cus_... for Stripe)",
    "POST /repos/scan/upload": "the file must be a real .zip or .tar.gz archive",
    "POST /query/plan/analyze": "the plan must be real EXPLAIN output",
    "POST /query/plan/compare": "the plans must be real EXPLAIN output",
    "GET /repos": "listing needs a connected GitHub account; the seed contract answers 400 github_not_connected",
    "GET /approvals/{id}/export": "which formats apply depends on the proposal's kind (patch is for query rewrites)",
    "POST /approvals": "either suggestion_id or sql is required (a choice between fields)",
    "POST /projects/{id}/schema-changes": "exactly one of sql and change (a choice between fields)",
    "POST /projects/{id}/schema-changes/preview": "exactly one of sql and change (a choice between fields)",
    "POST /projects/{id}/connections": CONNECTION_SWITCHES,
    "PUT /projects/{id}/connections/{cid}": CONNECTION_SWITCHES,
    "PATCH /projects/{id}/connections/{cid}": CONNECTION_SWITCHES,
    "POST /projects/{id}/sql/run": "a valid statement can still fail in the database: 1 ms runs out (504)",
    "GET /projects/{id}/analytics/storage": ANALYTICS_RANGE,
    "GET /projects/{id}/analytics/execution-time": ANALYTICS_RANGE,
    "GET /projects/{id}/analytics/usage": ANALYTICS_RANGE,
    "GET /query/fingerprints/{fp}/history": ANALYTICS_RANGE,
}
CHECKS = {
    "positive_data_acceptance": openapi_checks.positive_data_acceptance,
    "not_a_server_error": schemathesis.checks.not_a_server_error,
}
ALLOWLIST = {
    **{(operation, "positive_data_acceptance"): why for operation, why in VALUE_THE_SCHEMA_CANNOT_STATE.items()},
    ("POST /projects/{id}/sql/run", "not_a_server_error"): (
        "a statement that outlives the caller's own timeout_ms answers 504 naming it, as documented"
    ),
}

# Which object each path's {id} names; the first matching prefix wins.
PATH_OBJECTS = [
    ("/approvals/", "proposal"),
    ("/metadata/syncs/", "sync"),
    ("/notifications/", "notification"),
    ("/organizations/current/invitations/", "invitation"),
    ("/organizations/current/members/", "member"),
    ("/projects/", "project"),
    ("/query/analyses/", "analysis"),
    ("/query/optimize/", "run"),
    ("/query/workload/", "workload"),
]
# Body fields whose validity no schema states (that the text is SQL that parses, a URL that connects): a
# valid case sends a real one, by operation path (the first matching prefix wins), so the operation does its work.
SELECT = "SELECT * FROM orders WHERE id = 1"
REAL_VALUES = [
    ("/approvals", {"sql": "CREATE INDEX ON orders (status)"}),
    ("/projects/{id}/schema-changes", {"sql": "ALTER TABLE orders ADD COLUMN note text"}),
    ("/projects/{id}/connections", {"url": "target"}),
    ("/projects/{id}/repositories", {"url": "https://git.example.com/shop.git"}),  # not GitHub: nothing fetched
    ("/repos/scan", {"repo_url": "https://git.example.com/shop.git", "branch": "main"}),
    ("/", {"query": SELECT, "sql": "SELECT id FROM orders WHERE id = 1", "queries": [SELECT]}),
]
# Query and body fields that name an object.
FIELD_OBJECTS = {
    "project": "project",
    "project_id": "project",
    "connection": "connection",
    "connection_id": "connection",
}


@pytest.fixture(scope="module")
def target_database():
    """A scratch target database with the seed's `orders`, for the whole module."""
    name = f"fuzz_orders_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = url_for_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ORDERS_SQL)
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")  # workload advice reads it
    yield url
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _create_world(org, url: str) -> dict:
    """One of every object, created through the API the way a user would; returns their ids and a token."""
    from notifications.models import Notification
    from schema_metadata.models import DatabaseConnection

    admin = UserFactory(organization=org, role="admin")
    project = ProjectFactory(organization=org, created_by=admin)
    connection = DatabaseConnection.objects.create(
        project=project, name="orders db", url=url, environment="development", is_default=True
    )
    client = APIClient()
    token = token_pair(admin)["access_token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def created(path, body) -> int:
        response = client.post(path, body, format="json")
        assert response.status_code in (200, 201, 202), (path, response.status_code, response.content[:300])
        return response.json()["id"]

    ids = {"organization": org.id, "project": project.id, "connection": connection.id, "url": url}
    ids["sync"] = created("/metadata/sync", {"project": project.id, "wait": True})
    ids["analysis"] = created("/query/explain", {"query": "SELECT * FROM orders WHERE id = 1", "project": project.id})
    ids["run"] = created("/query/optimize", {"query": "SELECT * FROM orders WHERE total > 10", "project": project.id})
    ids["workload"] = created("/query/workload/advise", {"project": project.id, "queries": ["SELECT 1"]})
    ids["proposal"] = created(
        "/approvals",
        {
            "kind": "ddl",
            "sql": "CREATE INDEX ON orders (status)",
            "reason": "Faster reads.",
            "project_id": project.id,
            "connection_id": connection.id,
        },
    )
    ids["invitation"] = created("/organizations/current/invitations", {"email": "new@example.com"})
    ids["member"] = UserFactory(organization=org, role="member").id
    ids["notification"] = Notification.objects.create(recipient=admin, kind="scan_finished", title="Done").id
    return {"ids": ids, "token": token}


def _configure_providers() -> list:
    """Sign-in with Google and GitHub set up (fake ids): their start endpoints redirect to the provider."""
    from allauth.socialaccount.models import SocialApp
    from django.contrib.sites.models import Site

    apps = [
        SocialApp.objects.create(provider=provider, name=f"fuzz {provider}", client_id="fuzz-id", secret="fuzz-secret")
        for provider in ("google", "github")
    ]
    for app in apps:
        app.sites.add(Site.objects.get_current())
    return apps


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, target_database):
    """The fuzzed organization, committed for the module's tests and removed after them."""
    from accounts.models import User
    from organizations.models import Organization

    with django_db_blocker.unblock():
        org = OrganizationFactory()
        providers = _configure_providers()
    try:
        with django_db_blocker.unblock(), override_settings(TARGET_ALLOW_LOCAL=True):
            yield _create_world(org, target_database)
    finally:
        with django_db_blocker.unblock():
            User.objects.filter(organization=org).delete()
            Organization.objects.filter(pk=org.pk).delete()
            for app in providers:
                app.delete()


@pytest.fixture
def wsgi_in_test_transaction(settings, request):
    """Requests share the test's transaction: Django must not close the connection between them. Stripe is
    configured (billing's fake on 127.0.0.1): checkout answers, a bad webhook signature is a 400, not a 503."""
    if re.search(r"\[\w+ /(billing|payment)", request.node.name):  # its server's shutdown costs half a second
        request.getfixturevalue("fake_stripe")
    settings.TARGET_ALLOW_LOCAL = True
    # A model configured (a fake OpenAI-compatible server on 127.0.0.1): the assistant answers, not 503.
    model = FakeOpenAI()
    model.responder = lambda body: Reply(content=json.dumps({"sql": "SELECT 1 AS one", "explanation": "One."}))
    configure_model(settings, model)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    model.close()


def point_at_real_objects(case, ids: dict) -> None:
    """A valid case names the world's objects, so the operation does its work instead of answering 404."""
    for prefix, kind in PATH_OBJECTS:
        if case.path.startswith(prefix) and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = str(ids[kind])
            break
    if "cid" in (case.path_parameters or {}):
        case.path_parameters["cid"] = str(ids["connection"])
    real = next(values for prefix, values in REAL_VALUES if case.path.startswith(prefix))
    for field, value in real.items():
        if isinstance(case.body, dict) and field in case.body:
            case.body[field] = ids["url"] if value == "target" else value
    for container, as_sent in ((case.query, str), (case.body, int)):
        if isinstance(container, dict):
            for field, kind in FIELD_OBJECTS.items():
                if field in container:
                    container[field] = as_sent(ids[kind])


@schema.parametrize()
@settings(max_examples=6, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_operation_answers_as_documented(case, world, wsgi_in_test_transaction):
    if case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE:
        point_at_real_objects(case, world["ids"])
    with transaction.atomic():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {world['token']}"},
            excluded_checks=[CHECKS[name] for operation, name in ALLOWLIST if operation == case.operation.label],
        )
        transaction.set_rollback(True)
