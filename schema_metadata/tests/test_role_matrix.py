"""Role x endpoint x method for connections, schema sync, metadata and EXPLAIN (against a scratch database).

Admins add, edit and remove connections; members test them, sync and EXPLAIN; viewers read; another
organization's projects, connections, syncs and analyses are 404.
"""

import pytest

from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect
from schema_metadata.models import QueryAnalysis, SchemaSync

READ_OWN = expect(admin=200, member=200, viewer=200, other=404)
ADMIN_ONLY = expect(admin=200, member=403, viewer=403, other=404)
QUERY = "SELECT * FROM orders WHERE status = 'paid'"
CONNECTION = "/projects/{project}/connections/{connection}"
TEXT_PLAN = "Seq Scan on orders  (cost=0.00..35.50 rows=10 width=4) (actual time=0.01..0.20 rows=12 loops=1)"
# A pasted plan touches no tenant's data: anyone signed in may have it read.
ANYONE = expect(admin=200, member=200, viewer=200, other=200)

MATRIX = [
    Row("GET", "/projects/{project}/connections", None, READ_OWN),
    Row("POST", "/projects/{project}/connections", {"name": "matrix db", "url": "{url}"},
        expect(admin=201, member=403, viewer=403, other=404)),
    Row("GET", CONNECTION, None, READ_OWN),
    Row("PATCH", CONNECTION, {"name": "renamed"}, ADMIN_ONLY),
    Row("PUT", CONNECTION, {"name": "renamed"}, ADMIN_ONLY),
    Row("DELETE", CONNECTION, None, expect(admin=204, member=403, viewer=403, other=404)),
    Row("POST", CONNECTION + "/test", None, expect(admin=200, member=200, viewer=403, other=404)),
    Row("POST", "/metadata/sync", {"project": "{project}"}, expect(admin=202, member=202, viewer=403, other=404)),
    Row("GET", "/metadata/syncs?project={project}", None, READ_OWN),
    Row("GET", "/metadata/syncs/{sync}", None, READ_OWN),
    Row("GET", "/metadata?project={project}", None, READ_OWN),
    Row("GET", "/metadata/tables?project={project}", None, READ_OWN),
    Row("GET", "/metadata/indexes?project={project}", None, READ_OWN),
    Row("GET", "/metadata/foreign-keys?project={project}", None, READ_OWN),
    Row("POST", "/query/explain", {"query": QUERY, "project": "{project}"},
        expect(admin=200, member=200, viewer=403, other=404)),
    Row("GET", "/query/analyses?project={project}", None, READ_OWN),
    Row("POST", "/query/plan/analyze", {"plan": TEXT_PLAN}, ANYONE),
    Row("POST", "/query/plan/compare", {"before": TEXT_PLAN, "after": TEXT_PLAN}, ANYONE),
    Row("GET", "/query/analyses/{analysis}", None, READ_OWN),
]  # fmt: skip


@pytest.fixture
def targets(project, admin_user, orders_connection, orders_database):
    sync = SchemaSync.objects.create(
        project=project, connection=orders_connection, requested_by=admin_user, status=SchemaSync.Status.SUCCEEDED
    )
    analysis = QueryAnalysis.objects.create(
        project=project, connection=orders_connection, user=admin_user, query=QUERY, statement_kind="select"
    )
    return {
        "project": project.pk,
        "connection": orders_connection.pk,
        "sync": sync.pk,
        "analysis": analysis.pk,
        "url": orders_database,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_schema_metadata_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)
