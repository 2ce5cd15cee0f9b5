"""Every operation of /openapi.json, fuzzed by schemathesis with all its checks, answers as documented.

Runs in-process through Django's WSGI application, authenticated as the admin of an organization that holds
one of everything (project, connection to a scratch target database, sync, analysis, optimization, workload,
proposal, invitation, notification), so ids in paths and bodies resolve for the valid cases and the server's
real answers are checked: no 500, only documented status codes, bodies and headers that match the schema,
invalid input refused, valid input accepted. Each example runs in a savepoint rolled back afterwards, so a
DELETE does not take the objects away from the next one. The example count per operation is bounded and
derandomized so the run is the same on every machine.
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
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import negative_data_rejection

from accounts.services import token_pair
from assistant.tests.fake_openai import FakeOpenAI, Reply
from assistant.tests.fake_openai import configure as configure_model
from conftest import _admin_conninfo, url_for_database
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory
from tests.targets import ORDERS_SQL

pytestmark = pytest.mark.django_db

# Every check runs. Well-formed input can still break a rule no schema states (a wrong sign-in code, a weak
# password, a payment id that does not fit its provider): the API refuses it with 400/422 naming the rule,
# which positive data acceptance allows here.
CONFIG = schemathesis.Config.from_dict(
    {
        # The fuzzing phase only (positive and negative cases, bounded below): the coverage phase enumerates
        # every edge case of every field, minutes of requests for this schema.
        "phases": {"coverage": {"enabled": False}},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]
            }
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application(), config=CONFIG)


@schemathesis.check
def negative_data_rejected_but_json_scalars_coerced(ctx, response, case):
    """Schemathesis's negative data rejection, less one thing DRF does on purpose: a JSON scalar of the wrong
    type in a body field is coerced when it reads unambiguously (0 as "0" for a string, 0 as false).
    Everything else invalid (missing fields, enums, bounds, query and path values) must still be refused."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData as failure:
        if re.search(r"Invalid component: in body - [^\n]*: Incorrect type\s*$", failure.message):
            return None
        raise


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

    ids = {"organization": org.id, "project": project.id, "connection": connection.id}
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
def wsgi_in_test_transaction(settings):
    """Requests share the test's transaction: Django must not close the connection between them."""
    settings.TARGET_ALLOW_LOCAL = True
    settings.STRIPE_WEBHOOK_SECRET = "whsec_fuzz"  # configured: a bad signature is a 400, not a 503
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
            excluded_checks=[negative_data_rejection],
            additional_checks=[negative_data_rejected_but_json_scalars_coerced],
        )
        transaction.set_rollback(True)
