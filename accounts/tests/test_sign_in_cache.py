"""Sign-in rows kept in memory until PostgreSQL announces a change (accounts.selectors, dbooster.notified_cache).

These tests commit (transactional_db): a change announces itself only when it commits, and the cache is not
used inside a transaction block. Changes come from a second connection, as from another process; each test waits
for the notice to reach this connection's socket (select, no sleep) before reading again.
"""

from __future__ import annotations

import select

import psycopg
import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.models import SignInSession
from accounts.services import token_pair
from dbooster.notified_cache import NotifiedCache

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def persistent_connections():
    """Connections kept between requests, as in production (the test settings close them after each request)."""
    conn_max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = None
    connection.close()  # each test starts on a connection that does not listen yet, whatever ran before it
    yield
    connection.settings_dict["CONN_MAX_AGE"] = conn_max_age
    connection.close()


@pytest.fixture
def signed_in(member):
    """(member, their sign-in session's id, an access token of that session)."""
    access = token_pair(member)["access_token"]
    session_id = SignInSession.objects.get(user=member).pk
    connection.close()  # the listening starts with the test's first sign-in
    return member, session_id, access


@pytest.fixture
def elsewhere():
    """A second connection to the test database, in autocommit: another process's writes."""
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(autocommit=True, **{k: params[k] for k in keys if params.get(k)}) as other:
        yield other


def sign_in(user, session_id):
    """(user, session live, queries made) for one sign-in."""
    with CaptureQueriesContext(connection) as queries:
        user, live = selectors.user_signing_in(user_id=user.pk, session_id=session_id)
    return user, live, [q["sql"] for q in queries.captured_queries]


def notice_arrives():
    """Wait (up to 30 s, on the socket, no polling) until something reaches this connection from the server."""
    readable, _, _ = select.select([connection.connection.fileno()], [], [], 30)
    assert readable, "no notice reached the connection within 30 s"


def test_an_unchanged_sign_in_is_read_once_per_connection(signed_in):
    member, session_id, _ = signed_in
    first, live, queries = sign_in(member, session_id)
    assert live is True
    assert queries[0].startswith("LISTEN") and len(queries) == 2  # LISTEN once, before the row is read
    again, live_again, queries_again = sign_in(member, session_id)
    assert queries_again == [] and live_again is True
    assert again is not first  # a new instance per request: nothing one request sets reaches the next
    assert model_to_dict(again) == model_to_dict(first)
    assert model_to_dict(again.organization) == model_to_dict(first.organization)
    assert again.data_version == first.data_version


@pytest.mark.parametrize(
    "change, what_changed",
    [
        ("UPDATE users SET is_active = false WHERE id = {user}", lambda user, live: user.is_active is False),
        ("UPDATE users SET password = 'changed' WHERE id = {user}", lambda user, live: user.password == "changed"),
        ("UPDATE sign_in_sessions SET revoked_at = now() WHERE id = {session}", lambda user, live: live is False),
        ("UPDATE users SET role = 'viewer' WHERE id = {user}", lambda user, live: user.role == "viewer"),
        (
            "UPDATE organizations SET name = 'Renamed' WHERE id = {org}",
            lambda user, live: user.organization.name == "Renamed",
        ),
        (
            "INSERT INTO data_versions (scope, key, weight) VALUES ('org', {org}, 1)",
            lambda user, live: user.data_version == user.known_version + 1,
        ),
        (
            "INSERT INTO data_versions (scope, key, weight) VALUES ('user', {user}, 1)",
            lambda user, live: user.data_version == user.known_version + 1,
        ),
        ("DELETE FROM sign_in_sessions WHERE id = {session}", lambda user, live: live is False),
    ],
    ids=[
        "deactivated", "password", "session-signed-out", "role", "organization", "organization-version",
        "user-version", "session-deleted",
    ],
)  # fmt: skip
def test_a_change_committed_elsewhere_is_read_again(signed_in, elsewhere, change, what_changed):
    member, session_id, _ = signed_in
    known, _, _ = sign_in(member, session_id)
    elsewhere.execute(change.format(user=member.pk, session=session_id, org=member.organization_id))
    notice_arrives()
    user, live, queries = sign_in(member, session_id)
    assert len(queries) == 1, "the change was not heard: the row came from memory"
    user.known_version = known.data_version
    assert what_changed(user, live)


def test_a_rolled_back_change_is_not_announced(signed_in, elsewhere):
    member, session_id, _ = signed_in
    sign_in(member, session_id)
    with connection.cursor() as cursor:
        cursor.execute("LISTEN unrelated_channel")  # a notice that does reach the socket, to wait on
    with elsewhere.transaction(force_rollback=True):
        elsewhere.execute("UPDATE users SET is_active = false WHERE id = %s", [member.pk])
    elsewhere.execute("NOTIFY unrelated_channel")
    notice_arrives()
    user, _, queries = sign_in(member, session_id)
    assert queries == [] and user.is_active is True


def test_a_version_the_sign_in_does_not_read_leaves_the_row_kept(signed_in, elsewhere):
    member, session_id, _ = signed_in
    sign_in(member, session_id)
    with connection.cursor() as cursor:
        cursor.execute("LISTEN unrelated_channel")
    # The dashboard's counts (a stored optimization, a scan's progress): not part of the sign-in's row.
    elsewhere.execute(
        "INSERT INTO data_versions (scope, key, weight) VALUES ('counts', %s, 1)", [member.organization_id]
    )
    elsewhere.execute("NOTIFY unrelated_channel")  # sent after the insert's commit: once it is here, so is any notice
    notice_arrives()
    assert sign_in(member, session_id)[2] == []


def test_nothing_is_kept_inside_a_transaction_block(signed_in):
    member, session_id, _ = signed_in
    sign_in(member, session_id)  # listening and kept, outside
    with transaction.atomic():
        # a write of this transaction announces nothing until it commits: the row must be read
        assert len(sign_in(member, session_id)[2]) == 1
        assert len(sign_in(member, session_id)[2]) == 1
    assert sign_in(member, session_id)[2] == []


def test_a_new_connection_starts_empty(signed_in):
    member, session_id, _ = signed_in
    sign_in(member, session_id)
    connection.close()  # whatever was announced while no connection listened was not heard
    _, _, queries = sign_in(member, session_id)
    assert queries[0].startswith("LISTEN") and len(queries) == 2


def test_a_notice_that_arrives_during_the_read_keeps_nothing():
    cache = NotifiedCache("test_channel")
    connection.ensure_connection()
    ticket = cache.listen(connection)
    with connection.cursor() as cursor:
        cursor.execute("NOTIFY test_channel")  # a session hears its own notices, with the statement's answer
    cache.put(connection, "key", "a value read before the change", ticket)
    assert cache.get(connection, "key")[0] is None
    ticket = cache.get(connection, "key")[1]
    cache.put(connection, "key", "read after", ticket)
    assert cache.get(connection, "key")[0] == "read after"


def test_it_can_be_turned_off(signed_in, settings):
    settings.SIGN_IN_CACHE = False
    member, session_id, _ = signed_in
    assert [len(sign_in(member, session_id)[2]) for _ in range(3)] == [1, 1, 1]


def test_a_request_signs_in_without_a_query_until_its_session_is_signed_out(signed_in, elsewhere, client):
    member, session_id, access = signed_in
    auth = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    assert client.get("/users/me", **auth).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/users/me", **auth)
    assert answer.status_code == 200 and answer.json()["email"] == member.email
    assert queries.captured_queries == []
    elsewhere.execute("UPDATE sign_in_sessions SET revoked_at = now() WHERE id = %s", [session_id])
    notice_arrives()
    refused = client.get("/users/me", **auth)
    assert refused.status_code == 401 and refused.json()["code"] == "session_revoked"


def test_a_connection_closed_after_each_request_does_not_listen(signed_in):
    connection.settings_dict["CONN_MAX_AGE"] = 0  # Django closes it when the request ends
    member, session_id, _ = signed_in
    queries = [sign_in(member, session_id)[2] for _ in range(2)]
    assert [len(made) for made in queries] == [1, 1]  # the row each time, and no LISTEN
    assert not any(sql.startswith("LISTEN") for made in queries for sql in made)
