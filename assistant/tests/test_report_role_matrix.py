"""Role x method for the report route (against a scratch database): everyone in the organization reads the
report, another organization's project is a 404, a signed-out caller a 401."""

import pytest

from organizations.tests.test_role_matrix import READ_OWN, ROLES, Row, check_row
from schema_metadata.models import DatabaseConnection

MATRIX = [
    Row("GET", "/projects/{project}/assistant/report?model=false", None, READ_OWN),
    Row("GET", "/projects/{project}/assistant/report?connection={connection}&model=false", None, READ_OWN),
]


@pytest.fixture
def targets(project, scratch_database, settings):
    settings.TARGET_ALLOW_LOCAL = True
    connection = DatabaseConnection.objects.create(
        project=project, name="scratch", url=scratch_database, is_default=True, environment="development"
    )
    return {"project": project.pk, "connection": connection.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_report_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
