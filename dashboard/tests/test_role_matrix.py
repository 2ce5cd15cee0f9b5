"""Role x endpoint x method for the dashboard routes.

Every role of the organization reads its dashboard and its projects' summaries; another organization's admin
gets their own (empty) dashboard and a 404 for this organization's project; anonymous callers get 401.
"""

import pytest

from organizations.tests.test_role_matrix import READ_ALL, READ_OWN, ROLES, Row, check_row

MATRIX = [
    Row("GET", "/dashboard", None, READ_ALL),
    Row("GET", "/dashboard/", None, READ_ALL),
    Row("GET", "/projects/{project}/summary", None, READ_OWN),
]


@pytest.fixture
def targets(project):
    return {"project": project.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_dashboard_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
