"""Connection CRUD and test over HTTP, against real PostgreSQL databases."""

import json

import pytest
from django.db import connection as django_db

from audit.models import AuditEvent
from schema_metadata.models import DatabaseConnection

pytestmark = pytest.mark.django_db


def _body(url, **extra):
    return {"name": "shop", "url": url, **extra}


def test_create_returns_the_masked_url_only(admin_client, project, local_targets, scratch_database):
    url = scratch_database.replace("postgres@", "postgres:s3cr3t-pw@")
    response = admin_client.post(f"/projects/{project.id}/connections", _body(url), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert "url" not in data and "s3cr3t-pw" not in json.dumps(data)
    assert data["masked_url"].startswith("postgresql://postgres:***@")
    assert data["is_default"] is True and data["environment"] == "development" and data["read_only"] is True
    # Encrypted at rest: the column holds no trace of the password.
    with django_db.cursor() as cur:
        cur.execute("SELECT url FROM database_connections WHERE id = %s", [data["id"]])
        stored = cur.fetchone()[0]
    assert "s3cr3t-pw" not in stored and "scratch_" not in stored
    assert DatabaseConnection.objects.get(pk=data["id"]).url == url
    listed = admin_client.get(f"/projects/{project.id}/connections").json()
    assert "s3cr3t-pw" not in json.dumps(listed) and listed["results"][0]["id"] == data["id"]
    event = AuditEvent.objects.get(action="connection.create")
    assert "s3cr3t-pw" not in json.dumps(event.metadata)


def test_masked_url_shape():
    from schema_metadata.models import mask_url

    assert mask_url("postgresql://app:pw@db.example.com:5432/shop?sslmode=require") == (
        "postgresql://app:***@db.example.com:5432/shop"
    )
    assert mask_url("postgresql://app@db.example.com/shop") == "postgresql://app@db.example.com/shop"


def test_refused_target_is_403_and_nothing_is_stored(admin_client, project):
    response = admin_client.post(
        f"/projects/{project.id}/connections", _body("postgresql://u:p@169.254.169.254/db"), format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "target_refused"
    assert not DatabaseConnection.objects.exists()


def test_dml_analyze_is_refused_on_production(admin_client, project, local_targets, scratch_database):
    response = admin_client.post(
        f"/projects/{project.id}/connections",
        _body(scratch_database, environment="production", allow_dml_analyze=True),
        format="json",
    )
    assert response.status_code == 400
    assert "production" in response.json()["detail"]
    ok = admin_client.post(
        f"/projects/{project.id}/connections", _body(scratch_database, environment="production"), format="json"
    )
    assert ok.status_code == 201
    patched = admin_client.patch(
        f"/projects/{project.id}/connections/{ok.json()['id']}", {"allow_dml_analyze": True}, format="json"
    )
    assert patched.status_code == 400
    assert DatabaseConnection.objects.get(pk=ok.json()["id"]).allow_dml_analyze is False


def test_unsupported_engine(admin_client, project, local_targets, scratch_database):
    response = admin_client.post(
        f"/projects/{project.id}/connections", _body(scratch_database, engine="mysql"), format="json"
    )
    assert response.status_code == 400
    assert "engine" in response.json()["errors"]


def test_one_default_per_project(admin_client, project, local_targets, scratch_database):
    first = admin_client.post(f"/projects/{project.id}/connections", _body(scratch_database), format="json").json()
    second = admin_client.post(
        f"/projects/{project.id}/connections",
        {"name": "replica", "url": scratch_database, "is_default": True},
        format="json",
    ).json()
    assert second["is_default"] is True
    assert DatabaseConnection.objects.get(pk=first["id"]).is_default is False
    duplicate = admin_client.post(f"/projects/{project.id}/connections", _body(scratch_database), format="json")
    assert duplicate.status_code == 409
    # Deleting the default hands the role to the one left.
    assert admin_client.delete(f"/projects/{project.id}/connections/{second['id']}").status_code == 204
    assert DatabaseConnection.objects.get(pk=first["id"]).is_default is True


def test_the_default_cannot_be_unset_while_it_is_the_only_one(admin_client, project, local_targets, scratch_database):
    """The project's state forbids it, not the input (it is allowed once another is the default): 409."""
    created = admin_client.post(f"/projects/{project.id}/connections", _body(scratch_database), format="json").json()
    response = admin_client.patch(
        f"/projects/{project.id}/connections/{created['id']}", {"is_default": False}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "default_required"
    assert DatabaseConnection.objects.get(pk=created["id"]).is_default is True


def test_update_keeps_the_old_url_when_the_new_one_is_refused(admin_client, project, local_targets, scratch_database):
    created = admin_client.post(f"/projects/{project.id}/connections", _body(scratch_database), format="json").json()
    response = admin_client.patch(
        f"/projects/{project.id}/connections/{created['id']}",
        {"url": "postgresql://u:p@169.254.169.254/x", "name": "renamed"},
        format="json",
    )
    assert response.status_code == 403
    stored = DatabaseConnection.objects.get(pk=created["id"])
    assert stored.url == scratch_database and stored.name == "shop"
    renamed = admin_client.patch(
        f"/projects/{project.id}/connections/{created['id']}",
        {"name": "renamed", "environment": "staging"},
        format="json",
    )
    assert renamed.status_code == 200 and renamed.json()["environment"] == "staging"


def test_roles_and_tenancy(client_for, member, viewer, other_org_user, shop_connection, project):
    path = f"/projects/{project.id}/connections"
    assert client_for(viewer).get(path).status_code == 200
    assert client_for(member).post(path, _body("postgresql://u:p@10.0.0.1/db"), format="json").status_code == 403
    assert client_for(member).delete(f"{path}/{shop_connection.id}").status_code == 403
    outsider = client_for(other_org_user)
    assert outsider.get(path).status_code == 404
    assert outsider.get(f"{path}/{shop_connection.id}").status_code == 404
    assert outsider.post(f"{path}/{shop_connection.id}/test").status_code == 404
    assert DatabaseConnection.objects.filter(pk=shop_connection.pk).exists()


def test_connections_quota(admin_client, org, project, local_targets, scratch_database):
    org.plan = "free"  # three connections
    org.save()
    for n in range(3):
        response = admin_client.post(
            f"/projects/{project.id}/connections", {"name": f"c{n}", "url": scratch_database}, format="json"
        )
        assert response.status_code == 201
    response = admin_client.post(
        f"/projects/{project.id}/connections", {"name": "c4", "url": scratch_database}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["code"] == "quota_exceeded"
    assert DatabaseConnection.objects.count() == 3


def test_test_endpoint_reports_the_server(member_client, project, shop_connection):
    response = member_client.post(f"/projects/{project.id}/connections/{shop_connection.id}/test")
    assert response.status_code == 200, response.json()
    facts = response.json()
    assert facts["server_version_num"] >= 130000
    assert facts["server_version"].split(".")[0] == str(facts["server_version_num"] // 10000)
    assert facts["database"].startswith("scratch_")
    assert facts["database_size_bytes"] > 1_000_000  # 20,000 orders
    assert facts["read_only"] is False and facts["in_recovery"] is False
    assert set(facts["extensions"]) == {"pg_stat_statements", "hypopg", "pg_trgm"}
    trgm = facts["extensions"]["pg_trgm"]
    assert trgm["available"] is True and trgm["installed"] is False and trgm["creatable"] is True
    assert facts["extensions"]["pg_stat_statements"]["preloaded"] is True
    shop_connection.refresh_from_db()
    assert shop_connection.last_test_ok is True


def test_test_endpoint_sees_installed_extensions_and_read_only_role(member_client, project, shop_connection):
    from schema_metadata.tests.conftest import database_name, run_sql

    run_sql(shop_connection.url, "CREATE EXTENSION pg_trgm")
    dbname = database_name(shop_connection.url)
    run_sql(shop_connection.url, f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    facts = member_client.post(f"/projects/{project.id}/connections/{shop_connection.id}/test").json()
    assert facts["extensions"]["pg_trgm"]["installed"] is True
    assert facts["extensions"]["pg_trgm"]["creatable"] is False
    assert facts["read_only"] is True


def test_test_endpoint_failure_is_clear(member_client, project, shop_connection):
    from schema_metadata.tests.conftest import drop_database

    drop_database(shop_connection.url)
    response = member_client.post(f"/projects/{project.id}/connections/{shop_connection.id}/test")
    assert response.status_code == 422
    assert response.json()["code"] == "target_database_missing"
    assert "does not exist" in response.json()["detail"]
    shop_connection.refresh_from_db()
    assert shop_connection.last_test_ok is False
    assert AuditEvent.objects.filter(action="connection.test", outcome="failure").exists()


def test_the_default_connection_is_read_as_the_orm_reads_it(project, org):
    from schema_metadata.selectors import default_connection
    from tests.factories import ProjectFactory

    assert default_connection(project=project) is None
    url = "postgresql://app:pw-of-the-default@127.0.0.1:5432/shop?sslmode=disable"
    DatabaseConnection.objects.create(project=project, name="other", url="postgresql://x@127.0.0.1/other")
    made = DatabaseConnection.objects.create(project=project, name="main", url=url, is_default=True)
    other_project = ProjectFactory(organization=org)
    DatabaseConnection.objects.create(project=other_project, name="main", url="postgresql://y@h/z", is_default=True)
    read = default_connection(project=project)
    orm = DatabaseConnection.objects.get(pk=made.pk)
    assert type(read) is DatabaseConnection and read.pk == made.pk and read.url == url  # decrypted as the ORM does
    assert {f.attname: getattr(read, f.attname) for f in DatabaseConnection._meta.concrete_fields} == {
        f.attname: getattr(orm, f.attname) for f in DatabaseConnection._meta.concrete_fields
    }
    assert default_connection(project=other_project).project_id == other_project.pk
