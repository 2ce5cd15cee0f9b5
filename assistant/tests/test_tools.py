"""The tools the model may call, run on pagila through our guards: what they return is all the model sees."""

import json

import pytest

from assistant import tools
from repositories.models import ExtractedQuery, QueryOccurrence, ScanRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(project, member, pagila):
    return tools.ToolContext(project=project, connection=pagila, actor=member)


def test_list_and_describe_tables_come_from_the_synced_schema(ctx):
    listed = tools.execute(ctx, "list_tables", json.dumps({"pattern": "film"}))
    names = {t["table"] for t in listed["tables"]}
    assert {"public.film", "public.film_actor", "public.film_category"} <= names and listed["truncated"] is False
    described = tools.execute(ctx, "describe_table", json.dumps({"table": "rental"}))
    assert described["table"] == "public.rental"
    assert {"rental_id", "inventory_id", "customer_id", "return_date"} <= {c["name"] for c in described["columns"]}
    assert {k["references"] for k in described["foreign_keys"]} >= {"public.inventory", "public.customer"}
    missing = tools.execute(ctx, "describe_table", json.dumps({"table": "movies"}))
    assert missing["code"] == "no_table"


def test_explain_and_optimize_record_what_they_ran(ctx):
    sql = "SELECT * FROM rental WHERE return_date IS NULL"
    plan = tools.execute(ctx, "explain_query", json.dumps({"sql": sql}))
    assert plan["total_cost"] > 0 and plan["nodes"][0]["node_type"]
    advice = tools.execute(ctx, "optimize_query", json.dumps({"sql": sql}))
    assert advice["optimization_id"] and {"rule_id", "severity", "message"} <= set(advice["findings"][0])
    assert [r["tool"] for r in ctx.sql_ran] == ["explain_query", "optimize_query"]


def test_health_checks_run_read_only(ctx):
    found = tools.execute(ctx, "run_health_checks", "{}")
    assert set(found["counts"]) == {"critical", "warning", "info"} and found["health_run_id"]


def test_search_finds_the_projects_scanned_queries_with_their_place(ctx, project):
    scan = ScanRun.objects.create(project=project, source="upload", status="succeeded")
    query = ExtractedQuery.objects.create(
        project=project, fingerprint="f1", normalized_text="SELECT * FROM rental WHERE return_date IS NULL",
        sql="SELECT * FROM rental WHERE return_date IS NULL", statement_type="select", tables_read=["rental"],
    )  # fmt: skip
    QueryOccurrence.objects.create(query=query, scan=scan, file_path="app/late.py", line=12, language="python")
    found = tools.execute(ctx, "search_queries", json.dumps({"text": "rental return_date"}))
    assert found["queries"][0]["found_in"] == ["app/late.py:12"]
    assert tools.execute(ctx, "search_queries", json.dumps({"text": "payment"}))["queries"] == []


def test_no_tool_answer_carries_the_connection_url(ctx):
    answers = [
        tools.execute(ctx, "list_tables", "{}"),
        tools.execute(ctx, "describe_table", json.dumps({"table": "public.payment"})),
        tools.execute(ctx, "run_query", json.dumps({"sql": "SELECT current_database(), current_user"})),
    ]
    text = json.dumps(answers, default=str)
    assert ctx.connection.url not in text and "postgresql://" not in text


def test_without_a_connection_the_tools_say_so(project, member):
    bare = tools.ToolContext(project=project, connection=None, actor=member)
    assert tools.execute(bare, "list_tables", "{}")["code"] == "no_connection"


def test_analytics_are_read_over_a_range_and_a_bad_range_is_explained(ctx):
    found = tools.execute(ctx, "read_analytics", json.dumps({"range": "7d"}))
    assert found["top_queries"] == [] and found["from"] < found["to"]  # no snapshot taken yet on this connection
    assert tools.execute(ctx, "read_analytics", json.dumps({"range": "forever"}))["code"].startswith("invalid")
