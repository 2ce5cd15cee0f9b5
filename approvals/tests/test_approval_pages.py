"""The approvals inbox and detail pages, with their actions."""

import pytest

from approvals import services
from approvals.models import Proposal

DDL = "ALTER TABLE film ADD COLUMN released date"


@pytest.fixture
def dev_connection(make_connection):
    return make_connection("postgresql://app@db.example.com/shop", environment="development", name="shop dev")


@pytest.fixture
def proposal(member, dev_connection):
    return services.proposal_submit_sql(
        actor=member, kind="ddl", sql=DDL, reason="Release dates", connection_id=dev_connection.pk
    )


def test_inbox_lists_open_proposals(client, admin_user, proposal, member):
    services.proposal_withdraw(
        proposal=services.proposal_submit_sql(
            actor=member,
            kind="ddl",
            sql="ALTER TABLE film ADD COLUMN gone int",
            reason="r",
            connection_id=proposal.connection_id,
        ),
        actor=member,
    )
    client.force_login(admin_user)
    page = client.get("/app/approvals/")
    assert page.status_code == 200
    assert b"ALTER TABLE film ADD COLUMN released date" in page.content
    assert b"ADD COLUMN gone" not in page.content  # withdrawn: not in the open inbox
    everything = client.get("/app/approvals/", {"state": ""})
    assert b"ADD COLUMN gone" in everything.content
    assert b'href="/app/approvals/"' in page.content  # the nav link


def test_member_submits_ddl_from_the_page(client, member, dev_connection):
    client.force_login(member)
    response = client.post(
        "/app/approvals/new/",
        {"kind": "ddl", "sql": DDL, "reason": "Release dates", "connection_id": dev_connection.pk},
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/app/approvals/{proposal.pk}/"
    bad = client.post(
        "/app/approvals/new/", {"sql": "DELETE FROM film", "reason": "x", "connection_id": dev_connection.pk}
    )
    assert bad.status_code == 302 and Proposal.objects.count() == 1


def test_detail_shows_actions_for_the_role(client, admin_user, member, viewer, proposal):
    client.force_login(admin_user)
    page = client.get(f"/app/approvals/{proposal.pk}/").content.decode()
    assert f'formaction="/app/approvals/{proposal.pk}/approve/"' in page
    assert f'formaction="/app/approvals/{proposal.pk}/withdraw/"' not in page
    client.force_login(member)
    page = client.get(f"/app/approvals/{proposal.pk}/").content.decode()
    assert "/approve/" not in page and f'formaction="/app/approvals/{proposal.pk}/withdraw/"' in page
    client.force_login(viewer)
    page = client.get(f"/app/approvals/{proposal.pk}/").content.decode()
    assert "formaction" not in page and "Release dates" in page


def test_actions_from_the_page(client, admin_user, member, proposal):
    client.force_login(member)
    client.post(f"/app/approvals/{proposal.pk}/approve/", {"comment": "me"})
    proposal.refresh_from_db()
    assert proposal.state == "proposed"  # refused, with a message
    client.force_login(admin_user)
    response = client.post(f"/app/approvals/{proposal.pk}/approve/", {"comment": "fine"}, follow=True)
    proposal.refresh_from_db()
    assert proposal.state == "approved"
    assert b"Approved." in response.content
    page = client.get(f"/app/approvals/{proposal.pk}/").content.decode()
    assert f"/approvals/{proposal.pk}/export?format=sql" in page and "fine" in page


def test_other_tenant_gets_404(client, other_org_user, proposal):
    client.force_login(other_org_user)
    assert client.get(f"/app/approvals/{proposal.pk}/").status_code == 404
    assert client.post(f"/app/approvals/{proposal.pk}/approve/").status_code == 404
    proposal.refresh_from_db()
    assert proposal.state == "proposed"


def test_member_submits_a_suggestion_from_the_optimizer_page(
    client, member, viewer, other_org_user, dev_connection, make_suggestion
):
    index = make_suggestion("index", "CREATE INDEX CONCURRENTLY ON film (title)", connection=dev_connection)
    setting = make_suggestion("setting", "SET work_mem = '64MB'", connection=dev_connection)
    page = f"/app/optimize/{index.run_id}/"
    client.force_login(viewer)
    assert "Submit for approval" not in client.get(page).content.decode()
    client.force_login(member)
    html = client.get(page).content.decode()
    assert f'name="suggestion_id" value="{index.pk}"' in html and "Submit for approval" in html

    response = client.post("/app/approvals/new/", {"suggestion_id": index.pk, "reason": "Title search", "next": page})
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/app/approvals/{proposal.pk}/"
    assert (proposal.kind, proposal.source_suggestion_id, proposal.connection_id) == (
        "index",
        index.pk,
        dev_connection.pk,
    )
    assert proposal.reason == "Title search" and proposal.proposer == member

    # A setting is advice: refused with the reason, back on the optimizer page.
    refused = client.post("/app/approvals/new/", {"suggestion_id": setting.pk, "next": page}, follow=True)
    assert refused.redirect_chain[-1][0] == page and "only index and rewrite" in refused.content.decode()
    assert Proposal.objects.count() == 1
    # A viewer cannot submit; another tenant's suggestion does not exist.
    client.force_login(viewer)
    client.post("/app/approvals/new/", {"suggestion_id": index.pk, "next": page})
    assert Proposal.objects.count() == 1
    client.force_login(other_org_user)
    assert client.post("/app/approvals/new/", {"suggestion_id": index.pk}).status_code == 404
