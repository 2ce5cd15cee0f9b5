"""The accounts routes in the role matrix: every caller acts on their own account; another user's session is a 404.

The anonymous auth endpoints answer everyone alike (they must not tell who is registered).
"""

import pytest

from accounts import services
from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

FACTORY_PASSWORD = "correct horse battery staple"
ANYONE = expect(admin=200, member=200, viewer=200, other=200, anonymous=200)
OWN = expect(admin=200, member=200, viewer=200, other=200)
OWN_204 = expect(admin=204, member=204, viewer=204, other=204)

MATRIX = [
    Row("PATCH", "/users/me", {"full_name": "Matrix Name"}, OWN),
    # The organization's only admin must hand over first; the other tenant's admin is alone on a paid plan.
    Row("DELETE", "/users/me", {"password": FACTORY_PASSWORD}, expect(admin=409, member=204, viewer=204, other=409)),
    Row(
        "POST",
        "/users/me/password",
        {"current_password": FACTORY_PASSWORD, "new_password": "a brand new passphrase 99"},
        OWN,
    ),
    Row("GET", "/users/me/sessions", None, OWN),
    Row("DELETE", "/users/me/sessions", None, OWN_204),
    Row("DELETE", "/users/me/sessions/{session}", None, expect(admin=204, member=404, viewer=404, other=404)),
    Row(
        "POST",
        "/auth/verify",
        {"email": "nobody@example.com", "code": "123456"},
        expect(admin=400, member=400, viewer=400, other=400, anonymous=400),
    ),
    Row("POST", "/auth/resend-code", {"email": "nobody@example.com"}, ANYONE),
    Row("POST", "/auth/forgot-password", {"email": "nobody@example.com"}, ANYONE),
    Row(
        "POST",
        "/auth/forgot-password/verify",
        {"email": "nobody@example.com", "code": "123456", "new_password": "a brand new passphrase 99"},
        expect(admin=400, member=400, viewer=400, other=400, anonymous=400),
    ),
    Row("POST", "/auth/password/check", {"password": "a brand new passphrase 99"}, ANYONE),
]


@pytest.fixture
def targets(admin_user):
    services.token_pair(admin_user)
    return {"session": admin_user.sign_in_sessions.latest("pk").pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_accounts_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
