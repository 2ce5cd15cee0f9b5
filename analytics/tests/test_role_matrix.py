"""Role x endpoint x method for the analytics routes: everyone in the organization reads its projects' history;
another organization's projects are 404, and so is a query's history asked in another organization's project."""

import pytest
from django.utils import timezone

from analytics.models import QueryStat, QueryText, Snapshot
from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

READ_OWN = expect(admin=200, member=200, viewer=200, other=404)
FP = "a1b2c3d4e5f60718"

MATRIX = [
    Row("GET", "/projects/{project}/analytics/storage", None, READ_OWN),
    Row("GET", "/projects/{project}/analytics/storage?connection={connection}&range=7d&step=1h", None, READ_OWN),
    Row("GET", "/projects/{project}/analytics/execution-time", None, READ_OWN),
    Row("GET", "/projects/{project}/analytics/usage", None, READ_OWN),
    Row("GET", "/query/fingerprints/{fp}/history?project={project}", None, READ_OWN),
]


@pytest.fixture
def targets(project, orders_connection):
    snapshot = Snapshot.objects.create(
        project=project, connection=orders_connection, taken_at=timezone.now(), database_bytes=8_000_000
    )
    QueryStat.objects.create(
        snapshot=snapshot, fingerprint=FP, calls=3, total_ms=4.5, rows=3, shared_blks_hit=10, shared_blks_read=1
    )
    QueryText.objects.create(
        connection=orders_connection, fingerprint=FP, query="SELECT 1", first_seen_at=snapshot.taken_at
    )
    return {"project": project.pk, "connection": orders_connection.pk, "fp": FP}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_analytics_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
