import csv
import io
import json

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction

from audit import services as audit
from audit.admin import AuditEventAdmin
from audit.api import csv_safe
from audit.models import AppendOnlyError, AuditEvent
from tests.factories import UserFactory


@pytest.fixture
def events(org, admin_user, member):
    return [
        audit.record(action="project.create", actor=member, organization=org, metadata={"name": "alpha"}),
        audit.record(action="approval.approve", actor=admin_user, organization=org, metadata={"comment": "ship it"}),
        audit.record(action="approval.apply", actor=admin_user, organization=org, outcome="failure"),
    ]


class TestAppendOnly:
    def test_model_refuses_update(self, events):
        event = events[0]
        event.action = "tampered"
        with pytest.raises(AppendOnlyError):
            event.save()
        assert AuditEvent.objects.get(pk=event.pk).action == "project.create"

    def test_model_and_queryset_refuse_delete(self, events):
        with pytest.raises(AppendOnlyError):
            events[0].delete()
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=events[0].pk).delete()
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=events[0].pk).update(action="x")
        assert AuditEvent.objects.filter(pk=events[0].pk).exists()

    def test_database_trigger_refuses_raw_update_and_delete(self, events):
        pk = events[0].pk
        for statement in (
            "UPDATE audit_log SET action = 'tampered' WHERE id = %s",
            "UPDATE audit_log SET metadata = '{}'::jsonb WHERE id = %s",
            "DELETE FROM audit_log WHERE id = %s",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement, [pk])
        with connection.cursor() as cursor:
            cursor.execute("SELECT action, metadata FROM audit_log WHERE id = %s", [pk])
            action, metadata = cursor.fetchone()
        assert action == "project.create"
        assert json.loads(metadata) == {"name": "alpha"} if isinstance(metadata, str) else metadata == {"name": "alpha"}

    def test_trigger_refuses_changing_the_actor_to_someone_else(self, events, admin_user):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE audit_log SET actor_id = %s WHERE id = %s", [admin_user.pk, events[0].pk])

    def test_deleting_a_user_keeps_their_events(self, org):
        leaver = UserFactory(organization=org, role="member")
        event = audit.record(action="project.create", actor=leaver, organization=org)
        leaver.delete()
        event = AuditEvent.objects.get(pk=event.pk)
        assert event.actor_id is None
        assert event.actor_email == leaver.email
        assert event.action == "project.create"

    def test_admin_cannot_add_change_or_delete(self, rf, events):
        superuser = UserFactory(is_staff=True, is_superuser=True)
        request = rf.get("/admin/")
        request.user = superuser
        model_admin = AuditEventAdmin(AuditEvent, site)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, events[0])
        assert not model_admin.has_delete_permission(request, events[0])
        assert model_admin.has_view_permission(request, events[0])
        assert model_admin.get_actions(request) == {}

    def test_django_admin_searches_filters_and_refuses_delete(self, client, events):
        superuser = UserFactory(is_staff=True, is_superuser=True)
        client.force_login(superuser)
        page = client.get("/admin/audit/auditevent/", {"q": "ship it"})
        assert page.status_code == 200
        assert b"1 result" in page.content
        assert b"approval.approve" in page.content
        filtered = client.get("/admin/audit/auditevent/", {"outcome__exact": "failure"})
        assert b"1 result" in filtered.content
        detail = client.get(f"/admin/audit/auditevent/{events[0].pk}/change/")
        assert detail.status_code == 200
        assert b'name="_save"' not in detail.content
        assert client.post(f"/admin/audit/auditevent/{events[0].pk}/delete/", {"post": "yes"}).status_code == 403
        assert AuditEvent.objects.filter(pk=events[0].pk).exists()


class TestScrub:
    def test_url_and_conninfo_passwords_are_masked(self):
        scrubbed = audit.scrub(
            {
                "note": "postgresql://app:hunter2@db.example.com:5432/shop",
                "conn": "host=db user=app password=hunter2 dbname=shop",
                "quoted": "password = 'hunter 2'",
                "query": "postgresql://app@db/shop?sslmode=require&password=hunter2",
                "nested": [{"api_key": "sk-live", "ok": 1}],
                "url": "https://example.com",
            }
        )
        text = json.dumps(scrubbed)
        assert "hunter" not in text and "sk-live" not in text
        assert scrubbed["note"] == "postgresql://app:***@db.example.com:5432/shop"
        assert scrubbed["nested"] == [{"ok": 1}]
        assert "url" not in scrubbed

    def test_target_repr_is_scrubbed(self, org, admin_user):
        class Target:
            pk = 7

            class _meta:
                label_lower = "tests.target"

            def __str__(self):
                return "postgresql://u:s3cr3tpw@host/db"

        event = audit.record(action="x.y", actor=admin_user, target=Target())
        assert "s3cr3tpw" not in event.target_repr


class TestAuditApi:
    def test_admin_lists_own_organization_only(self, admin_client, events, other_org_user):
        audit.record(action="project.create", actor=other_org_user, metadata={"name": "elsewhere"})
        body = admin_client.get("/audit").json()
        assert body["count"] == 3
        assert {e["action"] for e in body["results"]} == {"project.create", "approval.approve", "approval.apply"}
        assert "elsewhere" not in json.dumps(body)

    @pytest.mark.parametrize(
        "params, expected",
        [
            ({"action": "approval"}, {"approval.approve", "approval.apply"}),
            ({"action": "approval.apply"}, {"approval.apply"}),
            ({"outcome": "failure"}, {"approval.apply"}),
            ({"q": "ship"}, {"approval.approve"}),
            ({"q": "alpha"}, {"project.create"}),
        ],
    )
    def test_filters(self, admin_client, events, params, expected):
        body = admin_client.get("/audit", params).json()
        assert {e["action"] for e in body["results"]} == expected

    def test_actor_and_date_filters(self, admin_client, events, member):
        by_member = admin_client.get("/audit", {"actor": member.email.upper()}).json()
        assert [e["actor_email"] for e in by_member["results"]] == [member.email]
        by_id = admin_client.get("/audit", {"actor": str(member.pk)}).json()
        assert [e["actor_email"] for e in by_id["results"]] == [member.email]
        today = events[0].created_at.date().isoformat()
        assert admin_client.get("/audit", {"since": today, "until": today}).json()["count"] == 3
        assert admin_client.get("/audit", {"until": "2000-01-01"}).json()["count"] == 0
        assert admin_client.get("/audit", {"since": "2999-01-01T00:00:00Z"}).json()["count"] == 0

    def test_bad_filters_are_400(self, admin_client, events):
        response = admin_client.get("/audit", {"since": "yesterday"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_date"
        assert admin_client.get("/audit", {"outcome": "maybe"}).status_code == 400

    def test_members_and_viewers_are_refused(self, member_client, viewer_client, events):
        for client in (member_client, viewer_client):
            assert client.get("/audit").status_code == 403
            assert client.get("/audit/export.csv").status_code == 403

    def test_csv_export(self, admin_client, events, org, member):
        audit.record(action="project.create", actor=member, organization=org, metadata={"name": "=HYPERLINK(1)"})
        response = admin_client.get("/audit/export.csv", {"action": "project"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:4] == ["id", "created_at", "action", "outcome"]
        assert [r[2] for r in rows[1:]] == ["project.create", "project.create"]
        assert rows[1][9].startswith("{") and "HYPERLINK" in rows[1][9]
        # The export itself is recorded.
        assert AuditEvent.objects.filter(action="audit.export", organization=org).count() == 1

    def test_csv_cell_that_looks_like_a_formula_is_defused(self):
        assert csv_safe("=1+1") == "'=1+1"
        assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
        assert csv_safe("project.create") == "project.create"


class TestAuditPage:
    def test_admin_page_filters(self, client, admin_user, events):
        client.force_login(admin_user)
        page = client.get("/app/audit/", {"outcome": "failure"})
        assert page.status_code == 200
        assert b"approval.apply" in page.content
        assert b"ship it" not in page.content
        csv_page = client.get("/app/audit/export.csv", {"q": "alpha"})
        assert csv_page.status_code == 200
        assert b"project.create" in b"".join(csv_page.streaming_content)

    def test_member_is_refused(self, client, member, events):
        client.force_login(member)
        assert client.get("/app/audit/").status_code == 403
        assert client.get("/app/audit/export.csv").status_code == 403
