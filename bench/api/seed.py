"""Data for the API benchmark, and the queries each endpoint makes for lists of 1 and of 50 objects.

Run by `bench/api/run.py` with DBooster's settings and the benchmark's environment; prints one JSON object:
the access token of the user whose organization holds 50 of everything (the one under load), and
`queries[endpoint] = [with 1 object, with 50 objects]`, counted in-process around a real request.
"""

import functools
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dbooster.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import token_pair  # noqa: E402
from dbooster.page_cache import compact_data_versions  # noqa: E402
from notifications.models import Notification, NotificationKind  # noqa: E402
from optimizer.models import OptimizationRun, Suggestion  # noqa: E402
from organizations.models import Organization  # noqa: E402
from projects.models import Project  # noqa: E402
from projects.services import set_current_project  # noqa: E402
from schema_metadata.models import DatabaseConnection, SchemaMetadata  # noqa: E402

READS = ["/users/me", "/projects", "/notifications", "/dashboard", "/metadata"]


def delete_optimization_runs(organization_name: str) -> None:
    """Last runs' optimizations, in one statement per table: the ORM's cascade names every run's key in one query,
    which passes PostgreSQL's 65,535 parameters after a few minutes of load on POST /query/optimize."""
    runs, suggestions = OptimizationRun._meta.db_table, Suggestion._meta.db_table
    of_the_organization = f"SELECT r.id FROM {runs} AS r JOIN {Organization._meta.db_table} AS o"
    of_the_organization += " ON o.id = r.organization_id WHERE o.name = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {suggestions} WHERE run_id IN ({of_the_organization})", [organization_name])
        cursor.execute(f"DELETE FROM {runs} WHERE id IN ({of_the_organization})", [organization_name])


def organization_with(size: int) -> User:
    """A fresh organization (plan `team`, no quota in the way) whose admin has `size` projects and notifications."""
    name = f"bench-api-{size}"
    # Each run has its own encryption keys: last run's connection URLs are deleted without being read.
    DatabaseConnection.objects.filter(project__organization__name=name).defer("url").delete()
    delete_optimization_runs(name)
    Organization.objects.filter(name=name).delete()
    User.objects.filter(email=f"{name}@bench.local").delete()
    org = Organization.objects.create(name=name, plan="team")
    user = User.objects.create_user(
        email=f"{name}@bench.local", password=None, organization=org, role="admin", email_verified_at=timezone.now()
    )
    projects = Project.objects.bulk_create(
        Project(organization=org, name=f"project {i}", description="bench", created_by=user) for i in range(size)
    )
    # POST /query/optimize without "project" runs on the current one (a project with no connection).
    set_current_project(user=user, project=projects[0])
    Notification.objects.bulk_create(
        Notification(recipient=user, kind=NotificationKind.SCAN_FINISHED, title=f"scan {i} finished")
        for i in range(size)
    )
    # A synced snapshot of `size` columns for GET /metadata, in a project of its own (no target is reached).
    snapshot = Project.objects.create(organization=org, name="snapshot", description="bench", created_by=user)
    target = DatabaseConnection.objects.create(
        project=snapshot,
        name="bench",
        url="postgresql://bench@127.0.0.1:9/bench",
        is_default=True,
        last_synced_at=timezone.now(),
    )
    SchemaMetadata.objects.bulk_create(
        SchemaMetadata(
            connection=target, table_name="orders", column_name=f"c{i}", column_type="integer", ordinal_position=i
        )
        for i in range(size)
    )
    compact_data_versions()  # as the periodic task keeps them: one row per organization and user
    return user


def path_for(user: User, read: str) -> str:
    if read == "/metadata":
        return f"/metadata?project={DatabaseConnection.objects.get(project__organization=user.organization).project_id}"
    return read


@functools.cache
def client_of(user: User) -> Client:
    """One signed-in client per user, as the load uses one token: its sign-in row is kept in memory after its
    first request (accounts.selectors) until something it reads changes."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_pair(user)['access_token']}")


def queries_per_request(user: User, read: str) -> int:
    """Queries of one GET `read` (for /metadata, the second one: the page then comes from the cache)."""
    client = client_of(user)
    path = path_for(user, read)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.content[:200])
    return len(captured)


def optimize_queries(user: User) -> int:
    """Queries of POST /query/optimize (a small query on the current project, which has no connection), the
    second of two as under the load: what the first stored changes only the dashboard's counts."""
    client = client_of(user)
    body = {"query": "SELECT id, status FROM orders WHERE customer_id = 42 ORDER BY id DESC LIMIT 10"}
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/query/optimize", body, content_type="application/json")
        assert response.status_code == 201, (response.status_code, response.content[:200])
    return len(captured)


def health_queries() -> int:
    with CaptureQueriesContext(connection) as captured:
        assert Client().get("/health").status_code == 200
    return len(captured)


def main() -> None:
    one, many = organization_with(1), organization_with(50)
    health_queries()  # the first look reads the queue; the next ones within HEALTH_QUEUE_TTL_S do not
    queries = {"GET /health": [health_queries(), health_queries()]}
    queries.update({f"GET {read}": [queries_per_request(one, read), queries_per_request(many, read)] for read in READS})
    # The same page again: served from the cache until the next sync.
    queries["GET /metadata (again)"] = [queries_per_request(one, "/metadata"), queries_per_request(many, "/metadata")]
    # The dashboard's first read after a write makes the organization's cache version and counts anew; the next
    # reads (what the load measures) take them from the cache.
    queries["GET /dashboard (again)"] = [
        queries_per_request(one, "/dashboard"),
        queries_per_request(many, "/dashboard"),
    ]
    # Lists unchanged since the last read: answered from the worker's memory (dbooster.page_cache), and the
    # sign-in's row too (accounts.selectors), since nothing it reads has changed either.
    for read in ("/users/me", "/projects", "/notifications"):
        queries[f"GET {read} (again)"] = [queries_per_request(one, read), queries_per_request(many, read)]
    queries["POST /query/optimize"] = [optimize_queries(one), optimize_queries(many)]
    paths = {read: path_for(many, read) for read in READS}
    print(json.dumps({"token": token_pair(many)["access_token"], "queries": queries, "paths": paths}))


if __name__ == "__main__":
    main()
