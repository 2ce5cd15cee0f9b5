"""The audit log never holds a secret: a connection's password appears nowhere in it."""

import csv
import io

import pytest
from django.db import connection as django_db

from approvals import services
from audit import services as audit
from audit.models import AuditEvent
from dbooster.testing import run_pending_jobs
from schema_metadata import services as targets
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory

PASSWORD = "Pw-9f3c1e7a-never-log-me"


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user, tail = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{tail}"


def _audit_rows_containing(text: str) -> int:
    with django_db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_log a WHERE a::text ILIKE %s", [f"%{text}%"])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_no_password_anywhere_in_the_audit_log(film_db, client_for):
    org = OrganizationFactory()
    admin = UserFactory(organization=org, role="admin")
    member = UserFactory(organization=org, role="member")
    project = ProjectFactory(organization=org)
    url = _with_password(film_db)

    connection = targets.connection_create(
        project=project, name="with password", url=url, read_only=False, actor=admin, check_network=False
    )
    try:
        targets.connection_test(connection=connection, actor=admin)
    except Exception:  # noqa: BLE001 - a failed test is audited too, which is what we look at
        pass
    targets.sync_request(project=project, connection_id=connection.pk, actor=admin)
    proposal = services.proposal_submit_sql(
        actor=member, kind="index", sql="CREATE INDEX ON film (title)", reason="r", connection_id=connection.pk
    )
    services.proposal_approve(proposal=proposal, actor=admin)
    services.proposal_apply(proposal=proposal, actor=admin)
    # Someone passing a URL by mistake into metadata is scrubbed too.
    audit.record(action="test.careless", actor=admin, metadata={"note": f"connected to {url}", "dsn": url})
    run_pending_jobs()

    proposal.refresh_from_db()
    assert proposal.state == "applied", proposal.apply_error  # the password-bearing URL really was used
    actions = set(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert {"connection.create", "approval.submit", "approval.apply", "test.careless"} <= actions
    assert AuditEvent.objects.filter(organization=org).count() >= 6

    assert _audit_rows_containing(PASSWORD) == 0
    assert _audit_rows_containing(PASSWORD[:12]) == 0
    # Nor through the API or the CSV export.
    client = client_for(admin)
    assert PASSWORD not in client.get("/audit", {"page_size": 200}).content.decode()
    exported = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    assert len(list(csv.reader(io.StringIO(exported)))) > 6
    assert PASSWORD not in exported
