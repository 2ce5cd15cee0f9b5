"""Role x endpoint x method for the health routes (against a scratch database).

Everyone in the organization may run the read-only checks; members and admins propose a fix; another
organization's projects and runs are 404.
"""

import pytest

from health.models import HealthRun
from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

FIX = {"check": "duplicate_indexes", "severity": "warning", "title": "Duplicate index", "objects": ["public.x"],
       "detail": "x is covered by y", "why": "writes pay for it", "fix": "drop it",
       "fix_sql": "DROP INDEX public.x;", "fix_kind": "ddl", "data": {}}  # fmt: skip

MATRIX = [
    Row("GET", "/projects/{project}/health", None, expect(admin=200, member=200, viewer=200, other=404)),
    Row("GET", "/projects/{project}/health?connection={connection}", None,
        expect(admin=200, member=200, viewer=200, other=404)),
    Row("POST", "/projects/{project}/health/runs/{run}/findings/{index}/propose", None,
        expect(admin=201, member=201, viewer=403, other=404)),
]  # fmt: skip


@pytest.fixture
def targets(project, orders_connection):
    run = HealthRun.objects.create(project=project, connection=orders_connection, findings=[FIX])
    return {"project": project.pk, "connection": orders_connection.pk, "run": run.pk, "index": 0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_health_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
