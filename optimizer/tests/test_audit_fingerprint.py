import pytest

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_optimize_is_audited_with_the_query_fingerprint(member_client, member):
    response = member_client.post(
        "/query/optimize", {"query": "SELECT * FROM orders WHERE status = 'paid'"}, format="json"
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="optimizer.optimize")
    assert event.actor == member
    assert event.metadata["fingerprint"] == response.json()["fingerprint"]
    assert event.metadata["fingerprint"]


def test_rules_are_listed_as_json(api_client):
    response = api_client.get("/rules")
    assert response.status_code == 200
    body = response.json()
    rules = body["results"] if isinstance(body, dict) and "results" in body else body
    ids = [r["id"] for r in rules]
    assert "select-star" in ids
    assert len(ids) >= 30
    assert api_client.get("/rules/select-star").json()["id"] == "select-star"
    assert api_client.get("/rules/no-such-rule").status_code == 404
