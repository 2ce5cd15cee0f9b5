"""Role x endpoint x method for the optimizer (runs against a scratch database; the AI is off or unconfigured).

Members run optimizations and workload advice; viewers read them; another organization's runs,
workloads and projects are 404. The rule catalogue is public documentation.
"""

import pytest

from optimizer.models import OptimizationRun, WorkloadImport
from optimizer.rules import RULES
from organizations.tests.test_role_matrix import ROLES, Row, check_row, expect

READ_OWN = expect(admin=200, member=200, viewer=200, other=404)
PUBLIC = expect(admin=200, member=200, viewer=200, other=200, anonymous=200)
MEMBER_CREATES = expect(admin=201, member=201, viewer=403, other=404)
QUERY = "SELECT * FROM orders WHERE status = 'paid'"

MATRIX = [
    Row("POST", "/query/optimize", {"query": QUERY, "project": "{project}", "ai": False}, MEMBER_CREATES),
    Row("GET", "/query/optimize/{run}", None, READ_OWN),
    Row("GET", "/projects/{project}/optimizations", None, READ_OWN),
    Row("POST", "/query/workload/advise", {"project": "{project}", "queries": [QUERY]}, MEMBER_CREATES),
    Row("GET", "/query/workload/{workload}", None, READ_OWN),
    Row("GET", "/rules", None, PUBLIC),
    Row("GET", "/rules/{rule}", None, PUBLIC),
]


@pytest.fixture
def targets(org, project, admin_user, orders_connection, settings):
    settings.OPENAI_API_KEY = ""  # never reach an AI from the matrix
    # Sandboxed indexes (rolled back) let the workload advice measure without HypoPG on the scratch server.
    orders_connection.read_only = False
    orders_connection.save(update_fields=["read_only"])
    run = OptimizationRun.objects.create(
        project=project, organization=org, connection=orders_connection, user=admin_user, query=QUERY
    )
    workload = WorkloadImport.objects.create(project=project, connection=orders_connection, user=admin_user)
    return {"project": project.pk, "run": run.pk, "workload": workload.pk, "rule": RULES[0].id}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "role"), [pytest.param(r, role, id=f"{r.method} {r.path} as {role}") for r in MATRIX for role in ROLES]
)
def test_optimizer_role_matrix(row, role, targets, callers):
    check_row(row, role, callers[role], targets)


@pytest.mark.django_db
def test_workload_advice_with_nothing_measurable_is_not_a_500(member, project, orders_connection, client_for):
    response = client_for(member).post(
        "/query/workload/advise", {"project": project.pk, "queries": [QUERY]}, format="json"
    )
    assert response.status_code in (201, 400, 422), response.content
