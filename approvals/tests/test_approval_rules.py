"""The approval state machine and who may do what, enforced in services and seen through the API."""

import pytest

from approvals import services
from approvals.models import Proposal, ProposalEvent
from audit.models import AuditEvent
from dbooster.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from notifications.models import Notification
from tests.factories import UserFactory

DDL = "ALTER TABLE film ADD COLUMN released date"


@pytest.fixture
def dev_connection(make_connection):
    return make_connection("postgresql://app@db.example.com/shop", environment="development")


@pytest.fixture
def submit(dev_connection):
    def do(actor, sql=DDL, reason="We need release dates."):
        return services.proposal_submit_sql(
            actor=actor, kind="ddl", sql=sql, reason=reason, connection_id=dev_connection.pk
        )

    return do


class TestSubmit:
    def test_member_submits_and_admins_are_asked(self, submit, member, admin_user, second_admin):
        proposal = submit(member)
        assert proposal.state == "proposed"
        assert proposal.proposer == member
        assert proposal.title.startswith("Schema change: ALTER TABLE film")
        event = proposal.events.get()
        assert (event.from_state, event.to_state, event.actor, event.comment) == (
            "",
            "proposed",
            member,
            "We need release dates.",
        )
        asked = Notification.objects.filter(kind="approval_requested").values_list("recipient_id", flat=True)
        assert sorted(asked) == sorted([admin_user.pk, second_admin.pk])
        assert AuditEvent.objects.filter(action="approval.submit", actor=member, target_id=str(proposal.pk)).exists()

    def test_viewer_cannot_submit(self, submit, viewer):
        with pytest.raises(PermissionDenied):
            submit(viewer)
        assert Proposal.objects.count() == 0

    @pytest.mark.parametrize(
        "sql, code",
        [
            ("DELETE FROM film", "not_ddl"),
            ("DO $$ BEGIN PERFORM 1; END $$", "not_ddl"),
            ("ALTER TABLE film ADD COLUMN", "invalid_sql"),
            ("", "invalid_sql"),
            ("CREATE TABLE a (x int); CREATE INDEX CONCURRENTLY a_x ON a (x)", "concurrent_in_transaction"),
        ],
    )
    def test_bad_ddl_is_refused(self, submit, member, sql, code):
        with pytest.raises(InvalidInput) as exc:
            submit(member, sql=sql)
        assert exc.value.code == code

    def test_reason_is_required_for_ddl(self, submit, member):
        with pytest.raises(InvalidInput):
            submit(member, reason="  ")

    def test_another_tenants_connection_is_404(self, member, other_project, make_connection):
        theirs = make_connection("postgresql://x@h/db", on_project=other_project)
        with pytest.raises(NotFound):
            services.proposal_submit_sql(actor=member, kind="ddl", sql=DDL, reason="r", connection_id=theirs.pk)

    def test_from_suggestion_keeps_the_evidence(self, member, make_suggestion, dev_connection):
        suggestion = make_suggestion("index", "CREATE INDEX film_title_idx ON film (title)", connection=dev_connection)
        proposal = services.proposal_submit_suggestion(actor=member, suggestion_id=suggestion.pk)
        assert proposal.kind == "index"
        assert proposal.connection == dev_connection
        assert proposal.source_suggestion == suggestion
        assert proposal.evidence["cost_before"] == 1000.0 and proposal.evidence["cost_after"] == 8.3
        assert proposal.reason == "Seq scan on film"
        # Submitting the same suggestion again while it is open is refused.
        with pytest.raises(Conflict):
            services.proposal_submit_suggestion(actor=member, suggestion_id=suggestion.pk)

    def test_setting_and_advice_suggestions_are_not_approvable(self, member, make_suggestion):
        setting = make_suggestion("setting", "SET work_mem = '64MB'")
        with pytest.raises(Unprocessable):
            services.proposal_submit_suggestion(actor=member, suggestion_id=setting.pk)
        advice = make_suggestion("index", "CREATE INDEX ON film (title)", advice_only=True)
        with pytest.raises(Unprocessable):
            services.proposal_submit_suggestion(actor=member, suggestion_id=advice.pk)

    def test_another_tenants_suggestion_is_404(self, other_org_user, make_suggestion):
        suggestion = make_suggestion("index", "CREATE INDEX ON film (title)")
        with pytest.raises(NotFound):
            services.proposal_submit_suggestion(actor=other_org_user, suggestion_id=suggestion.pk)


class TestDecide:
    def test_member_cannot_approve(self, submit, member):
        proposal = submit(member)
        other_member = UserFactory(organization=member.organization, role="member")
        for actor in (member, other_member):
            with pytest.raises(PermissionDenied):
                services.proposal_approve(proposal=proposal, actor=actor)
        proposal.refresh_from_db()
        assert proposal.state == "proposed"
        assert AuditEvent.objects.filter(action="approval.approve", outcome="denied").count() == 2

    def test_viewer_cannot_approve_reject_or_withdraw(self, submit, member, viewer):
        proposal = submit(member)
        for action in (services.proposal_approve, services.proposal_reject, services.proposal_withdraw):
            with pytest.raises(PermissionDenied):
                action(proposal=proposal, actor=viewer, comment="no")
        proposal.refresh_from_db()
        assert proposal.state == "proposed"

    def test_admin_approves_and_the_proposer_hears(self, submit, member, admin_user):
        proposal = submit(member)
        proposal = services.proposal_approve(proposal=proposal, actor=admin_user, comment="Looks safe.")
        assert proposal.state == "approved"
        assert proposal.decided_by == admin_user and proposal.decided_at is not None
        event = proposal.events.last()
        assert (event.from_state, event.to_state, event.comment, event.actor) == (
            "proposed",
            "approved",
            "Looks safe.",
            admin_user,
        )
        note = Notification.objects.get(recipient=member, kind="proposal_approved")
        assert note.url == f"/app/approvals/{proposal.pk}/"

    def test_proposer_cannot_approve_own_when_another_admin_exists(self, submit, admin_user, second_admin):
        proposal = submit(admin_user)
        with pytest.raises(PermissionDenied) as exc:
            services.proposal_approve(proposal=proposal, actor=admin_user)
        assert "another admin" in exc.value.detail
        services.proposal_approve(proposal=proposal, actor=second_admin)
        proposal.refresh_from_db()
        assert proposal.state == "approved"

    def test_sole_admin_may_approve_own(self, submit, admin_user):
        proposal = submit(admin_user)
        assert services.proposal_approve(proposal=proposal, actor=admin_user).state == "approved"

    def test_reject_needs_an_admin_and_a_reason(self, submit, member, admin_user):
        proposal = submit(member)
        with pytest.raises(PermissionDenied):
            services.proposal_reject(proposal=proposal, actor=member, comment="meh")
        with pytest.raises(InvalidInput):
            services.proposal_reject(proposal=proposal, actor=admin_user, comment="")
        proposal = services.proposal_reject(proposal=proposal, actor=admin_user, comment="Table is too hot.")
        assert proposal.state == "rejected"
        assert Notification.objects.filter(recipient=member, kind="proposal_rejected").count() == 1
        with pytest.raises(Conflict):
            services.proposal_approve(proposal=proposal, actor=admin_user)

    def test_other_tenant_gets_not_found(self, submit, member, other_org_user):
        proposal = submit(member)
        with pytest.raises(NotFound):
            services.proposal_approve(proposal=proposal, actor=other_org_user)


class TestWithdraw:
    def test_only_the_proposer_withdraws(self, submit, member, admin_user):
        proposal = submit(member)
        other_member = UserFactory(organization=member.organization, role="member")
        for actor in (other_member, admin_user):
            with pytest.raises(PermissionDenied):
                services.proposal_withdraw(proposal=proposal, actor=actor)
        proposal = services.proposal_withdraw(proposal=proposal, actor=member, comment="Not needed after all.")
        assert proposal.state == "withdrawn"
        with pytest.raises(Conflict):
            services.proposal_withdraw(proposal=proposal, actor=member)
        with pytest.raises(Conflict):
            services.proposal_approve(proposal=proposal, actor=admin_user)
        assert list(proposal.events.values_list("to_state", flat=True)) == ["proposed", "withdrawn"]


class TestApplyRules:
    def test_member_cannot_apply(self, submit, member, admin_user):
        proposal = submit(member)
        services.proposal_approve(proposal=proposal, actor=admin_user)
        with pytest.raises(PermissionDenied):
            services.proposal_apply(proposal=proposal, actor=member)

    def test_unapproved_cannot_be_applied(self, submit, member, admin_user):
        proposal = submit(member)
        with pytest.raises(Conflict):
            services.proposal_apply(proposal=proposal, actor=admin_user)

    def test_read_only_connection_is_refused(self, member, admin_user, make_connection):
        read_only = make_connection("postgresql://app@db.example.com/shop", read_only=True)
        proposal = services.proposal_submit_sql(
            actor=member, kind="index", sql="CREATE INDEX ON film (title)", reason="r", connection_id=read_only.pk
        )
        services.proposal_approve(proposal=proposal, actor=admin_user)
        with pytest.raises(Conflict) as exc:
            services.proposal_apply(proposal=proposal, actor=admin_user)
        assert exc.value.code == "read_only_connection"
        assert "read-only" in exc.value.detail
        assert proposal.attempts.count() == 0

    def test_ddl_on_production_is_export_only(self, member, admin_user, make_connection):
        production = make_connection("postgresql://app@db.example.com/shop", environment="production")
        proposal = services.proposal_submit_sql(
            actor=member, kind="ddl", sql=DDL, reason="r", connection_id=production.pk
        )
        services.proposal_approve(proposal=proposal, actor=admin_user)
        with pytest.raises(Conflict) as exc:
            services.proposal_apply(proposal=proposal, actor=admin_user)
        assert exc.value.code == "production_export_only"

    def test_rewrite_is_export_only(self, member, admin_user, project):
        proposal = services.proposal_submit_sql(
            actor=member, kind="rewrite", sql="SELECT id FROM film", reason="r", project_id=project.pk
        )
        services.proposal_approve(proposal=proposal, actor=admin_user)
        with pytest.raises(Conflict) as exc:
            services.proposal_apply(proposal=proposal, actor=admin_user)
        assert exc.value.code == "export_only"


class TestApprovalApi:
    def test_submit_list_detail_and_filters(self, member_client, viewer_client, dev_connection, project):
        response = member_client.post(
            "/approvals",
            {"sql": DDL, "reason": "Release dates", "connection_id": dev_connection.pk},
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["state"] == "proposed" and body["kind"] == "ddl"
        assert body["connection"]["name"] == dev_connection.name
        assert body["can"]["withdraw"] is True and body["can"]["approve"] is False
        assert [e["to_state"] for e in body["events"]] == ["proposed"]
        member_client.post(
            "/approvals", {"kind": "rewrite", "sql": "SELECT 1", "reason": "r", "project_id": project.pk}, format="json"
        )
        assert viewer_client.get("/approvals").json()["count"] == 2
        assert [p["kind"] for p in viewer_client.get("/approvals", {"kind": "ddl"}).json()["results"]] == ["ddl"]
        assert viewer_client.get("/approvals", {"state": "approved"}).json()["count"] == 0
        assert viewer_client.get("/approvals", {"state": "proposed,approved"}).json()["count"] == 2
        assert viewer_client.get("/approvals", {"project": project.pk}).json()["count"] == 2
        assert viewer_client.get("/approvals", {"project": 999999}).json()["count"] == 0
        detail = viewer_client.get(f"/approvals/{body['id']}").json()
        assert detail["id"] == body["id"] and detail["can"] == {
            "approve": False,
            "reject": False,
            "withdraw": False,
            "apply": False,
            "export": False,
        }

    def test_bad_requests_are_400(self, member_client, admin_client, dev_connection):
        assert member_client.post("/approvals", {"reason": "x"}, format="json").status_code == 400
        bad_sql = member_client.post(
            "/approvals", {"sql": "DROP", "reason": "x", "connection_id": dev_connection.pk}, format="json"
        )
        assert bad_sql.status_code == 400 and bad_sql.json()["code"] == "invalid_sql"
        assert admin_client.get("/approvals", {"state": "done"}).status_code == 400
        assert admin_client.get("/approvals", {"kind": "magic"}).status_code == 400
        assert admin_client.get("/approvals", {"project": "abc"}).status_code == 400

    def test_roles_through_the_api(self, client_for, member, viewer, admin_user, submit):
        proposal = submit(member)
        url = f"/approvals/{proposal.pk}"
        assert client_for(viewer).post(f"{url}/approve").status_code == 403
        assert client_for(viewer).post(f"{url}/withdraw").status_code == 403
        response = client_for(member).post(f"{url}/approve", {"comment": "self-service"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "cannot_approve"
        assert client_for(admin_user).post(f"{url}/reject").status_code == 400  # no reason
        approved = client_for(admin_user).post(f"{url}/approve", {"comment": "ok"}, format="json")
        assert approved.status_code == 200 and approved.json()["state"] == "approved"
        again = client_for(admin_user).post(f"{url}/approve")
        assert again.status_code == 409 and again.json()["code"] == "proposal_approved"
        assert client_for(member).post(f"{url}/withdraw").json()["state"] == "withdrawn"

    def test_other_tenant_gets_404_everywhere(self, client_for, other_org_user, submit, member):
        proposal = submit(member)
        client = client_for(other_org_user)
        url = f"/approvals/{proposal.pk}"
        assert client.get(url).status_code == 404
        for action in ("approve", "reject", "withdraw", "apply"):
            assert client.post(f"{url}/{action}", {"comment": "x"}, format="json").status_code == 404
        assert client.get(f"{url}/export", {"format": "sql"}).status_code == 404
        assert client.get("/approvals").json()["count"] == 0
        assert ProposalEvent.objects.filter(proposal=proposal).count() == 1
