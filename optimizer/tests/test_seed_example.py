"""The seed's example as a new user sends it, against the demo shop: a coherent answer end to end."""

import uuid

import pytest

from schema_metadata import demo_shop
from schema_metadata.tests.conftest import drop_database

SEED = "SELECT * FROM orders WHERE status = 'paid'"


@pytest.fixture
def demo_shop_url(settings):
    settings.TARGET_ALLOW_LOCAL = True  # the demo shop lives on the embedded server's Unix socket
    name = f"scratch_demo_{uuid.uuid4().hex[:10]}"
    # 200,000 orders: enough that the planner prefers an index for the 1.5% of paid orders.
    demo_shop.build(name=name, orders=200_000, log=lambda *args: None)
    url = demo_shop.database_url(name)
    yield url
    drop_database(url)


def _rule(body, rule_id):
    return next(f for f in body["findings"] if f["rule_id"] == rule_id)


@pytest.mark.django_db
def test_seed_example_without_a_project(member_client):
    body = member_client.post("/query/optimize", {"query": SEED}, format="json").json()
    assert body["plan_status"] == "no_connection" and body["suggestions"] == []
    assert _rule(body, "select-star")["fix"] == "List the columns the caller uses from orders, not *."


@pytest.mark.django_db(transaction=True)
def test_seed_example_on_the_demo_shop(member_client, project, connection_for, demo_shop_url):
    connection_for(demo_shop_url)
    body = member_client.post("/query/optimize", {"query": SEED, "project": project.pk, "ai": False}, format="json")
    assert body.status_code == 201, body.content
    body = body.json()
    assert body["plan_status"] == "planned"
    star = _rule(body, "select-star")
    assert star["fix"].startswith("List the columns the caller uses from orders (id, customer_id, status,")
    unindexed = _rule(body, "filter-without-index")
    assert unindexed["message"] == "No index on orders serves this filter on status: the table is scanned."
    assert "`CREATE INDEX CONCURRENTLY ON orders (status) WHERE status = 'paid'`" in unindexed["fix"]
    assert "note" not in unindexed["fix"]
    [index] = [s for s in body["suggestions"] if s["kind"] == "index"]
    # A plain index on status, faster in time as in cost: a partial index is never keyed on the very column its
    # predicate pins (every entry would hold 'paid'), and the index serves every other status value too.
    assert index["sql"].endswith("ON public.orders (status)")
    assert index["verified"] and index["verification"] == "sandbox"
    assert index["cost_after"] < index["cost_before"]
    assert index["time_after_ms"] < index["time_before_ms"] and index["speedup"] > 1
    # Nothing is claimed verified that was not.
    for s in body["suggestions"]:
        assert not s["verified"] or s["verification"] in ("sandbox", "hypopg", "result-equivalence")
