import pytest
from django.core import mail

from dbooster.testing import run_pending_jobs
from notifications.models import Notification, NotificationKind, NotificationPreference
from notifications.services import notify, set_preferences
from tests.factories import UserFactory


def _approval_requested(users, title="Approve index on film(title)"):
    return notify(recipients=users, kind=NotificationKind.APPROVAL_REQUESTED, title=title, url="/app/approvals/1/")


class TestNotify:
    def test_one_row_per_recipient(self, admin_user, second_admin):
        created = _approval_requested([admin_user, second_admin, admin_user, None])
        assert sorted(n.recipient_id for n in created) == sorted([admin_user.pk, second_admin.pk])
        assert Notification.objects.filter(kind="approval_requested").count() == 2

    def test_unknown_kind_is_refused(self, admin_user):
        with pytest.raises(ValueError):
            notify(recipients=[admin_user], kind="gossip", title="x")

    def test_kind_turned_off_in_app_and_email_stores_nothing(self, admin_user, second_admin):
        set_preferences(user=admin_user, changes={"approval_requested": {"in_app": False, "email": False}})
        created = _approval_requested([admin_user, second_admin])
        assert [n.recipient_id for n in created] == [second_admin.pk]

    def test_inactive_users_are_skipped(self, org):
        gone = UserFactory(organization=org, role="admin", is_active=False)
        assert _approval_requested([gone]) == []


@pytest.mark.django_db(transaction=True)
class TestEmail:
    def test_action_kind_is_emailed_by_the_worker(self):
        admin = UserFactory(role="admin")
        _approval_requested([admin])
        assert mail.outbox == []  # nothing is sent inside the request
        run_pending_jobs()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [admin.email]
        assert "Approve index on film(title)" in message.subject
        assert "http://localhost:8000/app/approvals/1/" in message.body
        assert Notification.objects.get(recipient=admin).emailed_at is not None
        run_pending_jobs()
        assert len(mail.outbox) == 1  # never twice

    def test_email_turned_off_is_not_sent(self):
        admin = UserFactory(role="admin")
        set_preferences(user=admin, changes={"approval_requested": {"email": False}})
        _approval_requested([admin])
        run_pending_jobs()
        assert mail.outbox == []
        assert Notification.objects.filter(recipient=admin).count() == 1  # still in the app

    def test_informational_kind_is_not_emailed_unless_asked(self):
        user = UserFactory()
        notify(recipients=[user], kind=NotificationKind.SCAN_FINISHED, title="Scan finished")
        run_pending_jobs()
        assert mail.outbox == []
        set_preferences(user=user, changes={"scan_finished": {"email": True}})
        notify(recipients=[user], kind=NotificationKind.SCAN_FINISHED, title="Scan finished again")
        run_pending_jobs()
        assert [m.subject for m in mail.outbox] == ["[DBooster] Scan finished again"]

    def test_email_only_preference_stores_a_read_notification(self):
        admin = UserFactory(role="admin")
        set_preferences(user=admin, changes={"approval_requested": {"in_app": False, "email": True}})
        _approval_requested([admin])
        run_pending_jobs()
        assert len(mail.outbox) == 1
        assert Notification.objects.get(recipient=admin).read_at is not None


class TestNotificationApi:
    def test_list_has_unread_count_and_only_own(self, client_for, admin_user, member):
        _approval_requested([admin_user, member])
        notify(recipients=[admin_user], kind=NotificationKind.SCAN_FINISHED, title="Scan done")
        body = client_for(admin_user).get("/notifications").json()
        assert body["unread_count"] == 2
        assert body["count"] == 2
        assert {n["title"] for n in body["results"]} == {"Approve index on film(title)", "Scan done"}
        assert all(n["is_read"] is False for n in body["results"])

    def test_mark_read_and_read_all(self, client_for, admin_user):
        first, *_ = _approval_requested([admin_user])
        _approval_requested([admin_user], title="second")
        client = client_for(admin_user)
        response = client.post(f"/notifications/{first.pk}/read")
        assert response.status_code == 200 and response.json()["is_read"] is True
        assert client.get("/notifications").json()["unread_count"] == 1
        assert client.get("/notifications", {"unread": "true"}).json()["count"] == 1
        response = client.post("/notifications/read-all")
        assert response.json() == {"marked": 1, "unread_count": 0}
        assert client.get("/notifications").json()["unread_count"] == 0

    def test_someone_elses_notification_is_404(self, client_for, admin_user, other_org_user, member):
        theirs, *_ = _approval_requested([other_org_user])
        for user in (admin_user, member):
            response = client_for(user).post(f"/notifications/{theirs.pk}/read")
            assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_viewer_can_read_their_notifications(self, client_for, viewer):
        note, *_ = notify(recipients=[viewer], kind=NotificationKind.INVITATION, title="Join us")
        assert client_for(viewer).post(f"/notifications/{note.pk}/read").status_code == 200

    def test_anonymous_is_401(self, api_client):
        assert api_client.get("/notifications").status_code == 401

    def test_preferences(self, client_for, member):
        client = client_for(member)
        rows = {r["kind"]: r for r in client.get("/notifications/preferences").json()["preferences"]}
        assert rows["approval_requested"]["email"] is True
        assert rows["scan_finished"]["email"] is False
        assert set(rows) == set(NotificationKind.values)
        response = client.put(
            "/notifications/preferences",
            {"preferences": [{"kind": "approval_requested", "email": False}, {"kind": "scan_failed", "in_app": False}]},
            format="json",
        )
        assert response.status_code == 200
        rows = {r["kind"]: r for r in response.json()["preferences"]}
        assert rows["approval_requested"] == {
            "kind": "approval_requested",
            "label": "Approval requested",
            "in_app": True,
            "email": False,
        }
        assert rows["scan_failed"]["in_app"] is False
        assert NotificationPreference.objects.filter(user=member).count() == 2

    def test_bad_preferences_are_400(self, client_for, member):
        client = client_for(member)
        response = client.put("/notifications/preferences", {"preferences": [{"kind": "nope"}]}, format="json")
        assert response.status_code == 400
        assert client.put("/notifications/preferences", {"preferences": []}, format="json").status_code == 400
        assert NotificationPreference.objects.count() == 0


class TestPages:
    def test_bell_shows_unread_count(self, client, member):
        _approval_requested([member])
        _approval_requested([member], title="another")
        client.force_login(member)
        page = client.get("/app/notifications/")
        assert page.status_code == 200
        assert b'data-unread="2"' in page.content
        assert b'href="/app/notifications/"' in page.content
        assert b"Approve index on film(title)" in page.content

    def test_page_marks_read_and_saves_preferences(self, client, member):
        note, *_ = _approval_requested([member])
        client.force_login(member)
        response = client.post(f"/app/notifications/{note.pk}/read/", {"follow": "1"})
        assert response.status_code == 302 and response["Location"] == "/app/approvals/1/"
        note.refresh_from_db()
        assert note.read_at is not None
        client.post("/app/notifications/", {"in_app_approval_requested": "on"})
        pref = NotificationPreference.objects.get(user=member, kind="approval_requested")
        assert pref.in_app is True and pref.email is False
        page = client.get("/app/notifications/")
        assert b'data-unread="' not in page.content


def test_open_follows_only_links_on_this_site(client, member):
    ours = notify(
        recipients=[member], kind=NotificationKind.INVITATION, title="a", url="http://localhost:8000/app/x/?token=t"
    )[0]
    evil = notify(recipients=[member], kind=NotificationKind.SCAN_FINISHED, title="b", url="//evil.example/")[0]
    client.force_login(member)
    assert client.post(f"/app/notifications/{ours.pk}/read/", {"follow": "1"})["Location"] == "/app/x/?token=t"
    assert client.post(f"/app/notifications/{evil.pk}/read/", {"follow": "1"})["Location"] == "/app/notifications/"
