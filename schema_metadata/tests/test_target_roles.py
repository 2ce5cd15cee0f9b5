"""DBooster's own database is never a target; risky roles are flagged where people look."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.db import connection as django_connection
from psycopg import sql

from conftest import _admin_conninfo, url_for_database
from dbooster.errors import PermissionDenied
from schema_metadata import explain as explain_engine
from schema_metadata import target

pytestmark = pytest.mark.django_db


def _own_database_urls() -> list[str]:
    name = django_connection.settings_dict["NAME"]
    url = url_for_database(name)
    # The same database spelled differently: the check compares the server's identity, not the text.
    spelled = url.replace(f"/{name}?", "/?") + f"&dbname={name}" if "?" in url else url
    return [url, spelled]


@pytest.mark.parametrize("which", [0, 1])
def test_dboosters_own_database_is_refused_whatever_the_url(local_targets, which):
    url = _own_database_urls()[which]
    with pytest.raises(PermissionDenied) as caught:
        target.connect(url)
    assert caught.value.code == "target_is_dbooster" and "DBooster's own database" in caught.value.detail
    with pytest.raises(PermissionDenied):
        explain_engine.explain(url, "SELECT 1", analyze=False, buffers=False)


def test_another_database_of_the_same_server_is_fine(shop_url, local_targets):
    with target.session(shop_url) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (20000,)


@pytest.fixture
def signaller(shop_url):
    """A login role in pg_signal_backend (not a superuser), and a URL to the shop database as it."""
    role = f"signaller_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(sql.SQL("GRANT pg_signal_backend TO {}").format(sql.Identifier(role)))
    yield shop_url.replace("postgresql://postgres@", f"postgresql://{role}@")
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_superuser_connection_is_flagged_in_test_api_and_page(
    admin_client, project, shop_connection, browser_for, admin_user
):
    test = admin_client.post(f"/projects/{project.id}/connections/{shop_connection.id}/test").json()
    assert test["superuser"] is True and test["can_signal_backends"] is True
    assert "is a superuser" in test["role_warnings"][0]
    listed = admin_client.get(f"/projects/{project.id}/connections/{shop_connection.id}").json()
    assert "is a superuser" in listed["role_warnings"][0]
    page = browser_for(admin_user).get(f"/app/projects/{project.id}/connections/{shop_connection.id}/")
    page = page.content.decode()
    assert "risky role" in page and "is a superuser" in page


def test_pg_signal_backend_member_is_flagged(admin_client, project, signaller, local_targets, admin_user):
    from schema_metadata import services

    connection = services.connection_create(project=project, name="sig", url=signaller, actor=admin_user)
    test = admin_client.post(f"/projects/{project.id}/connections/{connection.id}/test").json()
    assert "superuser" in test, test
    assert test["superuser"] is False and test["can_signal_backends"] is True
    assert "pg_signal_backend" in test["role_warnings"][0]
