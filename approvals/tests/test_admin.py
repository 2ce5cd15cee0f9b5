from approvals import services
from tests.factories import UserFactory


def test_proposal_admin_reads_but_does_not_edit(client, member, make_connection):
    connection = make_connection("postgresql://app@db.example.com/shop")
    proposal = services.proposal_submit_sql(
        actor=member, kind="ddl", sql="ALTER TABLE film ADD COLUMN x int", reason="r", connection_id=connection.pk
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/approvals/proposal/")
    assert listing.status_code == 200 and b"ADD COLUMN x" in listing.content
    detail = client.get(f"/admin/approvals/proposal/{proposal.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get("/admin/approvals/proposal/add/").status_code == 403
