"""Role x endpoint x method for the workbench (against the demo shop's `orders` database, synced and writable).

Viewers read (history, snippets, tables, rows, schema, indexes); members run SQL, keep snippets, edit rows and
propose schema changes; another organization's projects are 404.
"""

import psycopg
import pytest

from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect
from workbench.models import Snippet, SqlRun
from workbench.tests.conftest import synced

READ_OWN = expect(admin=200, member=200, viewer=200, other=404)
MEMBER_200 = expect(admin=200, member=200, viewer=403, other=404)
MEMBER_201 = expect(admin=201, member=201, viewer=403, other=404)
P = "/projects/{project}"
ROWS = P + "/tables/{customers}/rows"

MATRIX = [
    Row("POST", P + "/sql/run", {"sql": "SELECT count(*) FROM orders"}, MEMBER_200),
    Row("POST", P + "/sql/export", {"sql": "SELECT 1 AS one", "format": "json"}, MEMBER_200),
    Row("GET", P + "/sql/history", None, READ_OWN),
    Row("GET", P + "/sql/history/{run}", None, READ_OWN),
    Row("POST", P + "/sql/history/{run}/rerun", {}, MEMBER_200),
    Row("POST", P + "/sql/history/{run}/page", {"page_size": 1, "sort_column": 0}, MEMBER_200),
    Row("GET", P + "/sql/snippets", None, READ_OWN),
    Row("POST", P + "/sql/snippets", {"name": "matrix", "sql": "SELECT 1"}, MEMBER_201),
    Row("GET", P + "/sql/snippets/{snippet}", None, READ_OWN),
    Row("PATCH", P + "/sql/snippets/{snippet}", {"name": "renamed"}, MEMBER_200),
    Row("DELETE", P + "/sql/snippets/{snippet}", None, expect(admin=204, member=204, viewer=403, other=404)),
    Row("POST", P + "/schema-changes", {"sql": "ALTER TABLE orders ADD COLUMN note text", "reason": "matrix"},
        MEMBER_201),
    Row("POST", P + "/schema-changes", {"change": {"action": "create_index", "table": "orders", "columns": ["status"]},
                                        "reason": "matrix"}, MEMBER_201),
    Row("POST", P + "/schema-changes/preview", {"change": {"action": "drop_index", "name": "orders_pkey"}}, READ_OWN),
    Row("GET", P + "/tables", None, READ_OWN),
    Row("GET", P + "/tables/{orders}", None, READ_OWN),
    Row("GET", P + "/tables/{orders}/schema", None, READ_OWN),
    Row("POST", ROWS, {"values": {"email": "matrix@example.com"}}, MEMBER_201),
    Row("PATCH", ROWS, {"key": {"id": 51}, "values": {"email": "edited@example.com"}}, MEMBER_200),
    Row("DELETE", ROWS, {"key": {"id": 51}}, MEMBER_200),
    Row("GET", P + "/tables/{customers}/sensitive-columns", None, READ_OWN),
    Row("PUT", P + "/tables/{customers}/sensitive-columns", {"columns": ["email"]},
        expect(admin=200, member=403, viewer=403, other=404)),
    Row("GET", P + "/sensitive-columns", None, READ_OWN),
    Row("GET", P + "/indexes", None, READ_OWN),
    Row("GET", P + "/indexes/{index}", None, READ_OWN),
]  # fmt: skip


@pytest.fixture
def targets(project, admin_user, orders_connection, orders_database):
    with psycopg.connect(orders_database, autocommit=True) as conn:
        conn.execute("INSERT INTO customers (email) VALUES ('spare@example.com')")  # id 51, no orders: deletable
    orders_connection.read_only = False
    orders_connection.save()
    synced(orders_connection)
    run = SqlRun.objects.create(
        project=project,
        connection=orders_connection,
        user=admin_user,
        sql="SELECT 1",
        status="success",
        statement_kind="select",
    )
    snippet = Snippet.objects.create(project=project, name="shared", sql="SELECT 1", created_by=admin_user)
    return {
        "project": project.pk, "run": run.pk, "snippet": snippet.pk,
        "orders": "orders", "customers": "customers", "index": "orders_pkey",
    }  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_workbench_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
