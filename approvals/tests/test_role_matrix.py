"""Role x method on one proposal and one notification (the id-less rows are in organizations' MATRIX)."""

import pytest

from approvals import services
from notifications.models import NotificationKind
from notifications.services import notify
from organizations.tests.test_role_matrix import ROLES, Row, _fill, _json, expect

READ_OWN = expect(admin=200, member=200, viewer=200, other=404)
ADMIN_ONLY = expect(admin=200, member=403, viewer=403, other=404)

PUBLIC = expect(admin=200, member=200, viewer=200, other=200, anonymous=200)

MATRIX = [
    Row("GET", "/migration-rules", None, PUBLIC),
    Row("GET", "/migration-rules/{rule}", None, PUBLIC),
    Row("GET", "/approvals/{proposal}", None, READ_OWN),
    Row("POST", "/approvals/{proposal}/approve", {"comment": "ok"}, ADMIN_ONLY),
    Row("POST", "/approvals/{proposal}/reject", {"comment": "no"}, ADMIN_ONLY),
    # Only the proposer (the member) withdraws.
    Row("POST", "/approvals/{proposal}/withdraw", None, expect(admin=403, member=200, viewer=403, other=404)),
    Row("POST", "/approvals/{approved}/apply", None, expect(admin=202, member=403, viewer=403, other=404)),
    Row("GET", "/approvals/{approved}/export?format=sql", None, READ_OWN),
    Row("GET", "/approvals/{approved}/export?format=django", None, READ_OWN),
    # Someone else's notification does not exist for you, whatever your role.
    Row("POST", "/notifications/{notification}/read", None, expect(admin=404, member=200, viewer=404, other=404)),
]


@pytest.fixture
def targets(org, admin_user, member, viewer, make_connection):
    connection = make_connection("postgresql://app@db.example.com/shop", environment="development")

    def submit(sql):
        return services.proposal_submit_sql(
            actor=member, kind="ddl", sql=sql, reason="matrix", connection_id=connection.pk
        )

    proposal = submit("ALTER TABLE film ADD COLUMN a int")
    approved = services.proposal_approve(proposal=submit("ALTER TABLE film ADD COLUMN b int"), actor=admin_user)
    notification, *_ = notify(recipients=[member], kind=NotificationKind.SCAN_FINISHED, title="Scan done")
    return {"proposal": proposal.pk, "approved": approved.pk, "notification": notification.pk, "rule": "vacuum-full"}


@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_approvals_role_matrix(row, role, targets, callers):
    path = _fill(row.path, targets)
    response = callers[role].generic(row.method, path, data=_json(row.body), content_type="application/json")
    expected = row.expected[role]
    assert response.status_code == expected, f"{role} {row.method} {path}: {response.status_code} {response.content!r}"
    if expected >= 400:
        payload = response.json()
        assert set(payload) <= {"detail", "code", "errors"}, payload
        if expected == 404:
            assert payload["code"].endswith("not_found")
