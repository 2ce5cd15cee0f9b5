"""The root's public routes in the role matrix: docs, schema and health answer everyone, signed in or not."""

import pytest

from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

PUBLIC = expect(admin=200, member=200, viewer=200, other=200, anonymous=200)

MATRIX = [
    Row("GET", "/health", None, PUBLIC),
    Row("GET", "/openapi.json", None, PUBLIC),
    Row("GET", "/docs", None, PUBLIC),
    Row("GET", "/redoc", None, PUBLIC),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_public_role_matrix(row, role, callers):
    check_row(row, role, callers[role], {})
