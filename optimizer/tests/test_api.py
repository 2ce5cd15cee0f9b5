"""POST /query/optimize and the history endpoints, end to end against real PostgreSQL."""

import uuid

import psycopg
import pytest

from ai_usage.models import ModelCall
from audit.models import AuditEvent
from optimizer.models import Suggestion

PENDING = "SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at DESC LIMIT 20"


@pytest.mark.django_db
def test_without_a_connection_it_lints_and_says_there_is_no_plan(member_client):
    response = member_client.post(
        "/query/optimize", {"query": "SELECT * FROM orders WHERE status = 'paid'"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plan_status"] == "no_connection" and body["plan"] is None
    assert body["query"] == "SELECT * FROM orders WHERE status = 'paid'"
    assert body["normalized"] and body["fingerprint"]
    assert any(f["rule_id"] for f in body["findings"])
    assert all({"rule_id", "severity", "message", "fix", "doc_url", "location"} <= set(f) for f in body["findings"])
    star = next(f for f in body["findings"] if f["rule_id"] == "select-star")
    assert body["query"][star["location"]["start"] : star["location"]["end"]] == "*"
    assert star["severity"] in ("info", "warning", "critical") and star["doc_url"] == "/app/rules/select-star/"
    assert not any(s["verified"] for s in body["suggestions"])
    assert any("No database connection" in n for n in body["notes"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, code",
    [
        ({"query": "SELECT 1; DROP TABLE orders"}, "not_single_statement"),
        ({"query": "DROP TABLE orders"}, "utility_statement"),
        ({"query": "SELEC nothing"}, "parse_error"),
        ({"query": "   "}, None),
        ({}, None),
    ],
)
def test_bad_queries_are_400(member_client, payload, code):
    response = member_client.post("/query/optimize", payload, format="json")
    assert response.status_code == 400, response.content
    if code:
        assert response.json()["code"] == code


@pytest.mark.django_db(transaction=True)
def test_with_a_sandbox_connection_indexes_are_measured_and_history_is_kept(
    member_client, project, connection_for, shop_database
):
    conn = connection_for(shop_database)
    payload = {"query": PENDING, "project": project.pk, "ai": False}
    body = member_client.post("/query/optimize", payload, format="json").json()
    assert body["plan_status"] == "planned" and body["connection"] == conn.pk
    assert body["plan"]["before"]["Plan"]["Total Cost"] == body["cost_before"]
    [index] = [s for s in body["suggestions"] if s["kind"] == "index"]
    assert index["verification"] == "sandbox" and index["verified"] and index["source"] == "rules"
    assert index["sql"].startswith("CREATE INDEX CONCURRENTLY") and index["cost_after"] < index["cost_before"]
    assert index["speedup"] > 1 and index["planner_used"].startswith("dbooster_")
    # Sandboxed indexes are real, so the query was timed with and without it.
    assert index["time_before_ms"] > 0 and index["time_after_ms"] > 0
    assert body["ai"]["status"] == "off"
    # The answer was built from what was stored, and reads back the same (plans, measured figures and all).
    assert member_client.get(f"/query/optimize/{body['id']}").json() == body
    # The sandbox left nothing behind on the target.
    with psycopg.connect(shop_database) as target:
        assert not target.execute("SELECT 1 FROM pg_indexes WHERE indexname LIKE 'dbooster_%'").fetchall()

    second = member_client.post("/query/optimize", payload, format="json").json()
    assert [h["id"] for h in second["history"]] == [body["id"]]
    listing = member_client.get(f"/projects/{project.pk}/optimizations?fingerprint={body['fingerprint']}").json()
    assert [r["id"] for r in listing["results"]] == [second["id"], body["id"]]
    detail = member_client.get(f"/query/optimize/{body['id']}").json()
    assert detail["id"] == body["id"] and detail["suggestions"][0]["sql"] == index["sql"]
    assert AuditEvent.objects.filter(action="optimizer.optimize", target_id=str(body["id"])).exists()
    event = AuditEvent.objects.get(action="optimizer.optimize", target_id=str(body["id"]))
    assert shop_database not in str(event.metadata)


@pytest.mark.django_db(transaction=True)
def test_production_connection_without_hypopg_is_estimate_only(member_client, project, connection_for, shop_database):
    connection_for(shop_database, environment="production", allow_dml_analyze=False, read_only=True)
    body = member_client.post("/query/optimize", {"query": PENDING, "project": project.pk, "ai": False}, format="json")
    body = body.json()
    assert body["measurement"] == "estimate-only"
    indexes = [s for s in body["suggestions"] if s["kind"] == "index"]
    assert indexes and all(s["verification"] == "estimate-only" and not s["verified"] for s in indexes)
    assert all(s["unverified_reason"] for s in indexes)


@pytest.mark.django_db(transaction=True)
def test_ai_rewrite_that_changes_results_is_dropped_and_recorded(
    member_client, project, connection_for, shop_database, fake_openai
):
    connection_for(shop_database)
    query = "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)"
    fake_openai.answer(
        {
            "summary": "use NOT EXISTS",
            "indexes": [{"sql": "CREATE INDEX ON orders (customer_id)", "rationale": "anti-join probe"}],
            "rewrites": [
                {
                    "sql": "SELECT c.id FROM customers c WHERE NOT EXISTS "
                    "(SELECT 1 FROM orders o WHERE o.customer_id = c.id)",
                    "rationale": "NOT EXISTS is an anti-join",
                },
                {"sql": "SELECT id FROM customers WHERE id > 19000", "rationale": "wrong on purpose"},
            ],
            "settings": [{"sql": "SET work_mem = '64MB'", "rationale": "hash in memory"}],
        }
    )
    body = member_client.post("/query/optimize", {"query": query, "project": project.pk}, format="json").json()
    assert body["ai"] == {"status": "used", "reason": "", "model": "fake-model"}
    ai = [s for s in body["suggestions"] if s["source"] == "ai"]
    good = next(s for s in ai if "NOT EXISTS" in s["sql"])
    assert good["verified"] and good["verification"] == "result-equivalence" and good["model_name"] == "fake-model"
    setting = next(s for s in ai if s["kind"] == "setting")
    assert not setting["verified"] and setting["verification"] == "unverified" and setting["unverified_reason"]
    [dropped] = [s for s in body["dropped"] if s["sql"].endswith("id > 19000")]
    assert dropped["drop_reason"].startswith("returns different results") and not dropped["verified"]
    assert Suggestion.objects.filter(run_id=body["id"], dropped=True).exists()
    assert member_client.get(f"/query/optimize/{body['id']}").json() == body  # kept, dropped, in the same order
    # The prompt carries the query and the touched schema, never the connection URL or row data.
    prompt = fake_openai.requests[0]["body"]["messages"][1]["content"]
    assert "customers" in prompt and shop_database not in prompt and "User1@Example.com" not in prompt

    # The same query and schema: the cached answer, no second call.
    again = member_client.post("/query/optimize", {"query": query, "project": project.pk}, format="json").json()
    assert again["ai"]["reason"] == "cached answer" and len(fake_openai.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_ai_failure_never_fails_the_request(member_client, project, connection_for, shop_database, fake_openai):
    connection_for(shop_database)
    fake_openai.raw(500, {"error": {"message": "boom"}})
    fake_openai.raw(500, {"error": {"message": "boom"}})
    fake_openai.raw(500, {"error": {"message": "boom"}})
    response = member_client.post("/query/optimize", {"query": PENDING, "project": project.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["ai"]["status"] == "unavailable" and "500" in body["ai"]["reason"]
    assert any(s["kind"] == "index" and s["verified"] for s in body["suggestions"])


@pytest.mark.django_db
def test_unverified_rewrites_are_never_labelled_verified(member_client, fake_openai):
    fake_openai.answer(
        {
            "summary": "",
            "indexes": [],
            "rewrites": [{"sql": "SELECT id FROM orders WHERE status = 'paid'", "rationale": "no star"}],
            "settings": [],
        }
    )
    body = member_client.post("/query/optimize", {"query": "SELECT * FROM orders WHERE status = 'paid'"}, format="json")
    rewrites = [s for s in body.json()["suggestions"] if s["kind"] == "rewrite"]
    assert rewrites, "the AI's rewrite is shown"
    for s in rewrites:
        assert s["verified"] is False and s["verification"] == "unverified" and s["unverified_reason"]
    assert not Suggestion.objects.filter(kind="rewrite", verified=True).exists()


@pytest.mark.django_db
def test_ai_quota_falls_back_to_rules(member_client, org, fake_openai):
    org.plan = "free"
    org.save()
    for _ in range(25):  # the free plan's AI requests, used up (by the optimizer or the assistant alike)
        ModelCall.objects.create(organization=org, purpose="optimizer", request=uuid.uuid4(), model="m")
    body = member_client.post("/query/optimize", {"query": "SELECT 1"}, format="json").json()
    assert body["ai"]["status"] == "unavailable" and body["ai"]["reason"].startswith("quota")
    assert "25 AI requests per month (optimizer and assistant)" in body["ai"]["reason"]
    assert fake_openai.requests == []


@pytest.mark.django_db
def test_tenancy_and_roles(member_client, viewer_client, client_for, other_org_user, project):
    run = member_client.post("/query/optimize", {"query": "SELECT 1"}, format="json").json()
    other = client_for(other_org_user)
    assert other.get(f"/query/optimize/{run['id']}").status_code == 404
    assert other.get(f"/projects/{project.pk}/optimizations").status_code == 404
    assert other.post("/query/optimize", {"query": "SELECT 1", "project": project.pk}, format="json").status_code == 404
    assert viewer_client.post("/query/optimize", {"query": "SELECT 1"}, format="json").status_code == 403
    assert viewer_client.get(f"/query/optimize/{run['id']}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_verified_rewrite_gets_its_own_measured_index(member_client, project, connection_for, shop_database):
    connection_for(shop_database)
    query = "SELECT count(*) FROM orders WHERE date_trunc('day', created_at) = '2024-01-05'"
    body = member_client.post("/query/optimize", {"query": query, "project": project.pk, "ai": False}, format="json")
    body = body.json()
    rewrite = next(
        s for s in body["suggestions"] if s["kind"] == "rewrite" and s["rule_id"] == "date-function-equality"
    )
    assert rewrite["verified"] and rewrite["verification"] == "result-equivalence"
    index = next(s for s in body["suggestions"] if s["kind"] == "index" and "for the rewritten query" in s["rationale"])
    assert "(created_at)" in index["sql"] and index["verified"] and index["verification"] == "sandbox"


@pytest.mark.django_db(transaction=True)
def test_data_changing_statements_are_planned_never_run(member_client, project, connection_for, shop_database):
    connection_for(shop_database)
    query = "UPDATE orders SET total = 0 WHERE customer_id = 7"
    with psycopg.connect(shop_database) as target:
        assert target.execute("SELECT count(*) FROM orders WHERE customer_id = 7 AND total <> 0").fetchone()[0] > 0
    response = member_client.post(
        "/query/optimize", {"query": query, "project": project.pk, "ai": False}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["plan_status"] == "planned"
    with psycopg.connect(shop_database) as target:
        assert target.execute("SELECT count(*) FROM orders WHERE customer_id = 7 AND total = 0").fetchone()[0] == 0


@pytest.mark.django_db
def test_without_a_connection_rewrites_are_offered_unverified(member_client):
    query = "SELECT c.id FROM customers c WHERE c.country = 'IL' OR c.email = 'a@b.c'"
    body = member_client.post("/query/optimize", {"query": query, "ai": False}, format="json").json()
    rewrites = [s for s in body["suggestions"] if s["kind"] == "rewrite"]
    assert rewrites and all(not s["verified"] and "no database connection" in s["unverified_reason"] for s in rewrites)


@pytest.mark.django_db(transaction=True)
def test_findings_use_the_synced_schema_metadata(member_client, project, connection_for, shop_database):
    from schema_metadata.models import SchemaMetadata

    conn = connection_for(shop_database)
    for position, (column, kind) in enumerate([("id", "bigint"), ("customer_id", "integer")], start=1):
        SchemaMetadata.objects.create(
            connection=conn, table_name="ghost_orders", column_name=column, column_type=kind,
            ordinal_position=position, is_nullable=False,
        )  # fmt: skip
    query = "SELECT id FROM ghost_orders WHERE customer_id = 42.5"
    body = member_client.post("/query/optimize", {"query": query, "project": project.pk, "ai": False}, format="json")
    body = body.json()
    # Only the synced snapshot knows this table: the target itself cannot plan it.
    assert body["plan_status"] == "failed" and body["plan_error"]
    assert "implicit-cast-column-type" in {f["rule_id"] for f in body["findings"]}


@pytest.mark.django_db(transaction=True)
def test_not_in_rewrite_is_verified_with_the_live_catalog(member_client, project, connection_for, shop_database):
    connection_for(shop_database)  # never synced: the schema facts come from the target's catalog
    query = "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)"
    body = member_client.post("/query/optimize", {"query": query, "project": project.pk, "ai": False}, format="json")
    rewrite = next(s for s in body.json()["suggestions"] if s["rule_id"] == "not-in-subquery")
    assert "NOT EXISTS" in rewrite["sql"] and not rewrite["advice_only"]
    assert rewrite["verified"] and rewrite["verification"] == "result-equivalence"
    assert rewrite["time_before_ms"] is not None and rewrite["time_after_ms"] is not None


@pytest.mark.django_db
def test_an_unreachable_target_still_answers_with_findings(member_client, project, connection_for):
    connection_for("postgresql://nobody@127.0.0.1:1/none")
    response = member_client.post(
        "/query/optimize", {"query": "SELECT * FROM orders", "project": project.pk, "ai": False}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["plan_status"] == "failed" and "refused" in body["plan_error"].lower()
    assert body["findings"]


@pytest.mark.django_db(transaction=True)
def test_ai_prompt_holds_only_the_touched_schema_and_the_cache_follows_the_schema(
    member_client, project, connection_for, shop_database, fake_openai
):
    import json

    password = "Pw-prompt-3e9a-never-sent"
    scheme, rest = shop_database.split("://", 1)
    user, tail = rest.split("@", 1)
    connection_for(f"{scheme}://{user}:{password}@{tail}")
    empty = {"summary": "", "indexes": [], "rewrites": [], "settings": []}
    fake_openai.answer(empty)
    payload = {"query": "SELECT * FROM orders WHERE status = 'pending'", "project": project.pk}
    body = member_client.post("/query/optimize", payload, format="json").json()
    assert body["ai"]["status"] == "used" and body["plan_status"] == "planned"
    [request] = fake_openai.requests
    raw = json.dumps(request["body"])
    prompt = json.loads(request["body"]["messages"][1]["content"])
    # The query, the plan summary and the findings, with the schema of the one table the query touches.
    assert prompt["query"] == payload["query"]
    assert prompt["plan_summary"]["total_cost"] == body["cost_before"]
    assert "select-star" in {f["rule_id"] for f in prompt["findings"]}
    assert [t["table"] for t in prompt["schema"]] == ["public.orders"]
    assert {c["name"] for c in prompt["schema"][0]["columns"]} >= {"id", "status", "customer_id"}
    assert prompt["schema"][0]["rows"] > 0
    # Never credentials (the password, the URL, the database name) nor row data.
    for secret in (password, shop_database, tail.split("/")[1].split("?")[0], "User5@Example.com", "customers"):
        assert secret not in raw, secret

    # Same fingerprint and schema: the cache answers. A schema change (or another query) asks again.
    again = member_client.post("/query/optimize", payload, format="json").json()
    assert again["ai"]["reason"] == "cached answer" and len(fake_openai.requests) == 1
    with psycopg.connect(shop_database, autocommit=True) as target:
        target.execute("ALTER TABLE orders ADD COLUMN note text")
    fake_openai.answer(empty)
    changed = member_client.post("/query/optimize", payload, format="json").json()
    assert changed["ai"] == {"status": "used", "reason": "", "model": "fake-model"}
    assert len(fake_openai.requests) == 2


@pytest.mark.django_db
def test_finding_locations_point_into_the_query_as_sent_with_named_placeholders(member_client, member):
    from django.test import Client

    query = "SELECT * FROM orders WHERE customer_id = %(customer)s AND note = NULL OFFSET :skip"
    body = member_client.post("/query/optimize", {"query": query, "ai": False}, format="json").json()
    assert body["query"] == query
    where = {f["rule_id"]: query[f["location"]["start"] : f["location"]["end"]] for f in body["findings"]}
    assert where["select-star"] == "*"
    assert where["null-comparison"] == "note = NULL"
    # psycopg's doubled percent signs and `?` placeholders shift the text too.
    query2 = "SELECT id FROM orders WHERE note LIKE '%%gift%%' AND id = ? AND note = NULL"
    body2 = member_client.post("/query/optimize", {"query": query2, "ai": False}, format="json").json()
    where2 = {f["rule_id"]: query2[f["location"]["start"] : f["location"]["end"]] for f in body2["findings"]}
    assert where2["null-comparison"] == "note = NULL"
    # The page shows the same text beside each finding.
    page = Client()
    page.force_login(member)
    html = page.get(f"/app/optimize/{body['id']}/").content.decode()
    assert "At <code>note = NULL</code>" in html and "At <code>*</code>" in html


@pytest.mark.django_db(transaction=True)
def test_the_margin_setting_decides_which_indexes_are_kept(
    member_client, project, connection_for, shop_database, settings
):
    connection_for(shop_database)
    payload = {"query": PENDING, "project": project.pk, "ai": False}
    settings.OPTIMIZER_MIN_COST_GAIN = 0.2
    kept = member_client.post("/query/optimize", payload, format="json").json()
    [index] = [s for s in kept["suggestions"] if s["kind"] == "index"]
    assert index["cost_after"] <= index["cost_before"] * 0.8
    settings.OPTIMIZER_MIN_COST_GAIN = 0.99999
    strict = member_client.post("/query/optimize", payload, format="json").json()
    assert not [s for s in strict["suggestions"] if s["kind"] == "index"]
    assert any("under" in r["reason"] for r in strict["rejected"]), strict["rejected"]


@pytest.mark.django_db(transaction=True)
def test_verify_off_leaves_rewrites_unverified_and_says_so(member_client, project, connection_for, shop_database):
    connection_for(shop_database)
    query = "SELECT id FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)"
    payload = {"query": query, "project": project.pk, "ai": False, "verify": False}
    body = member_client.post("/query/optimize", payload, format="json").json()
    rewrite = next(s for s in body["suggestions"] if s["rule_id"] == "not-in-subquery")
    assert not rewrite["verified"] and rewrite["verification"] == "unverified"
    assert rewrite["unverified_reason"] == "verification was turned off"
    assert body["plan_status"] == "planned"
