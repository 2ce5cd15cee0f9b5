"""Points of the target-databases issue that an audit found untested: a sync's progress while it runs,
the test endpoint's answer over HTTP, refusals on PATCH, and the history of analyses."""

import json
import threading
import time

import pytest

from schema_metadata import services
from schema_metadata.models import DatabaseConnection
from schema_metadata.tests.conftest import run_sql, sync_paused_at_index


@pytest.mark.django_db(transaction=True)
def test_sync_progress_is_visible_while_it_runs(admin_client, project, shop_connection):
    sync = services.sync_request(project=project, defer=False)

    def run():
        from django.db import connections

        try:
            services.sync_execute(sync_id=sync.pk)
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    # The sync waits before writing one index row, until the test has looked: halfway, however busy the machine.
    with sync_paused_at_index("orders_pkey") as pause:
        worker.start()
        pause.wait()
        halfway = admin_client.get(f"/metadata/syncs/{sync.pk}").json()
        pause.release()
        worker.join()
    assert halfway["status"] == "running" and 0 < halfway["progress"] < 100 and halfway["stage"], halfway
    done = admin_client.get(f"/metadata/syncs/{sync.pk}").json()
    assert (done["status"], done["progress"]) == ("succeeded", 100)


@pytest.mark.django_db
def test_environment_change_to_production_drops_nothing_silently(admin_client, project, shop_connection):
    shop_connection.allow_dml_analyze = True
    shop_connection.environment = "staging"
    shop_connection.save()
    path = f"/projects/{project.id}/connections/{shop_connection.id}"
    response = admin_client.patch(path, {"environment": "production"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "dml_analyze_on_production"
    assert DatabaseConnection.objects.get(pk=shop_connection.pk).environment == "staging"
    both = admin_client.patch(path, {"environment": "production", "allow_dml_analyze": False}, format="json")
    assert both.status_code == 200 and both.json()["environment"] == "production"


@pytest.mark.django_db
def test_read_and_test_never_show_the_url(admin_client, project, shop_connection):
    secret_url = shop_connection.url.replace("postgresql://postgres@", "postgresql://postgres:hunter2-pw@")
    DatabaseConnection.objects.filter(pk=shop_connection.pk).update(url=secret_url)
    path = f"/projects/{project.id}/connections/{shop_connection.id}"
    read = admin_client.get(path)
    assert read.status_code == 200 and "hunter2" not in read.content.decode()
    assert read.json()["masked_url"].startswith("postgresql://postgres:***@")
    # The embedded server trusts its socket: the password is not checked, the report comes back.
    tested = admin_client.post(f"{path}/test")
    assert tested.status_code == 200 and "hunter2" not in json.dumps(tested.json())
    assert tested.json()["extensions"]["hypopg"]["available"] in (True, False)


@pytest.mark.django_db
def test_explain_history_is_per_project_and_tenant(member_client, client_for, other_org_user, project, shop_connection):
    for query in ("SELECT count(*) FROM orders", "SELECT * FROM customers WHERE id = $1"):
        assert (
            member_client.post("/query/explain", {"query": query, "project": project.id}, format="json").status_code
            == 200
        )
    history = member_client.get(f"/query/analyses?project={project.id}").json()
    assert history["count"] == 2
    assert [a["generic_plan"] for a in history["results"]] == [True, False]  # newest first
    outsider = client_for(other_org_user)
    assert outsider.get(f"/query/analyses?project={project.id}").status_code == 404
    assert outsider.get(f"/query/analyses/{history['results'][0]['id']}").status_code == 404
    assert run_sql(shop_connection.url, "SELECT count(*) FROM orders")[0][0] == 20000


@pytest.mark.django_db
def test_connect_timeout_setting_bounds_the_test_endpoint(admin_client, project, admin_user, local_targets):
    from schema_metadata.tests.fake_pg import fake_server

    local_targets.TARGET_CONNECT_TIMEOUT = 1
    # Every other bound far away (a 10-minute statement deadline), so only the connect timeout can end the wait.
    local_targets.TARGET_STATEMENT_TIMEOUT_MS = 600_000
    with fake_server("silent") as port:
        connection = services.connection_create(
            project=project, name="silent", url=f"postgresql://app:pw@127.0.0.1:{port}/db?sslmode=disable",
            actor=admin_user,
        )  # fmt: skip
        started = time.monotonic()
        response = admin_client.post(f"/projects/{project.id}/connections/{connection.id}/test")
        elapsed = time.monotonic() - started
    assert response.status_code == 504 and response.json()["code"] == "target_timeout", response.json()
    # The setting (1 s; libpq waits at least 2), not libpq's default of waiting forever nor the statement deadline:
    # a bound a busy machine cannot reach, where a fixed few seconds could be.
    assert 1 <= elapsed < 60
    assert "pw" not in response.json()["detail"].replace("password", "")


@pytest.mark.django_db
def test_the_seeds_bare_explain_body_uses_the_only_project(member_client, shop_connection):
    response = member_client.post(
        "/query/explain", {"query": "SELECT * FROM orders WHERE status = 'paid'"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["project"] == shop_connection.project_id and body["connection"] == shop_connection.id
    assert body["analyzed"] is True and body["summary"]["actual_rows"] == 200


@pytest.mark.django_db
def test_functions_a_rollback_cannot_undo_are_never_executed(member_client, project, shop_connection):
    import psycopg

    from schema_metadata.tests.conftest import database_name

    name = f"victim_{database_name(shop_connection.url)}"[:60]
    with psycopg.connect(shop_connection.url, autocommit=True, application_name=name) as victim:
        query = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        response = member_client.post("/query/explain", {"query": query, "project": project.id}, format="json")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["analyzed"] is False and "Actual Rows" not in body["plan"][0]["Plan"]
        assert "pg_terminate_backend()" in body["summary"]["notes"][0]
        assert victim.execute("SELECT 1").fetchone() == (1,)  # still connected: nothing was executed
    plain = member_client.post("/query/explain", {"query": "SELECT count(*) FROM orders", "project": project.id},
                               format="json")  # fmt: skip
    assert plain.json()["analyzed"] is True


@pytest.mark.parametrize(
    "sql, calls",
    [
        ("SELECT pg_catalog.pg_reload_conf()", ["pg_catalog.pg_reload_conf"]),
        ("SELECT * FROM t WHERE id IN (SELECT pg_cancel_backend(pid) FROM pg_stat_activity)", ["pg_cancel_backend"]),
        ("SELECT public.dblink_exec('dbname=x', 'DROP TABLE t')", ["public.dblink_exec"]),
        ("WITH r AS (SELECT pg_stat_reset()) SELECT * FROM r", ["pg_stat_reset"]),
        ("SELECT lower(email), now(), pg_sleep(0) FROM customers", []),
        ("SELECT 'pg_terminate_backend(1)' AS text_only", []),
    ],
)
def test_side_effect_calls_are_found_anywhere(sql, calls):
    from schema_metadata.sql_guard import parse_single_statement, side_effect_calls

    assert side_effect_calls(parse_single_statement(sql)[0]) == calls


@pytest.mark.django_db
@pytest.mark.parametrize("buffers", [True, False])
def test_buffers_switch_is_honoured(member_client, project, shop_connection, buffers):
    body = member_client.post(
        "/query/explain", {"query": "SELECT count(*) FROM orders", "project": project.id, "buffers": buffers},
        format="json",
    ).json()  # fmt: skip
    assert body["analyzed"] is True
    assert ("Shared Hit Blocks" in body["plan"][0]["Plan"]) is buffers


def test_checked_address_is_the_one_connected_to(local_targets, monkeypatch):
    """DNS rebinding: libpq must connect to the address the guard checked, not resolve the name again."""
    import socket

    from dbooster.errors import Unprocessable
    from schema_metadata import target
    from schema_metadata.tests.fake_pg import fake_server

    real = socket.getaddrinfo

    def answers_once(host, *args, **kwargs):
        if host == "db.rebind.test":  # a name no real resolver knows: only our guard's lookup sees it
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", args[0] if args else 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", answers_once)
    with fake_server("wrong_password") as port:
        with pytest.raises(Unprocessable, match="password authentication failed") as exc:
            target.connect(f"postgresql://app:x@db.rebind.test:{port}/db?sslmode=disable", connect_timeout=3)
    assert exc.value.code == "target_auth_failed"  # the fake server on the pinned 127.0.0.1 answered
