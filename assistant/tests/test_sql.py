"""Questions to SQL: checked against the synced schema (an unknown column is repaired on the second try),
explained, run read-only when asked; a statement that writes is never run and becomes a draft proposal."""

import json

import pytest

from approvals.models import Proposal
from workbench.models import SqlRun

pytestmark = pytest.mark.django_db


def ask(client, project, question, **extra):
    return client.post(f"/projects/{project.pk}/assistant/sql", {"question": question, **extra}, format="json")


def test_a_good_answer_is_checked_explained_and_run(member_client, project, pagila, fake_openai):
    sql = "SELECT c.name, count(*) AS films FROM category c JOIN film_category fc USING (category_id) GROUP BY c.name"
    fake_openai.json({"sql": sql, "explanation": "Counts films per category."})
    response = ask(member_client, project, "How many films are in each category?", run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sql"] == sql and body["read_only"] is True and body["attempts"] == 1
    assert set(body["tables"]) == {"public.category", "public.film_category"}
    assert "public.category" in body["grounded_tables"]
    assert body["plan"]["total_cost"] > 0 and body["plan_error"] == ""
    assert body["result"]["row_count"] == 16 and [c["name"] for c in body["result"]["columns"]] == ["name", "films"]
    assert SqlRun.objects.get().sql == sql
    request = fake_openai.requests[0]["body"]
    assert request["model"] == "fake-sql-model" and request["response_format"] == {"type": "json_object"}
    assert "public.film_category" in request["messages"][0]["content"]


def test_an_unknown_column_is_repaired_on_the_second_try(member_client, project, pagila, fake_openai):
    fake_openai.json({"sql": "SELECT title, rating, length_minutes FROM film", "explanation": "x"})
    fake_openai.json({"sql": "SELECT title, rating, length FROM film", "explanation": "Films with their length."})
    body = ask(member_client, project, "Films and their length").json()
    assert body["sql"] == "SELECT title, rating, length FROM film" and body["attempts"] == 2
    retry = fake_openai.requests[1]["body"]["messages"]
    assert 'column "length_minutes" does not exist' in retry[-1]["content"]
    assert retry[-2]["role"] == "assistant"


def test_an_unknown_table_that_stays_wrong_is_a_422_after_the_limit(
    member_client, project, pagila, fake_openai, settings
):
    settings.ASSISTANT_SQL_REPAIRS = 1
    fake_openai.json({"sql": "SELECT * FROM movies", "explanation": "x"})
    fake_openai.json({"sql": "SELECT * FROM movie", "explanation": "x"})
    response = ask(member_client, project, "all movies")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "sql_unresolved" and 'table "movie" does not exist' in body["detail"]
    assert len(fake_openai.requests) == 2


def test_a_statement_that_writes_is_never_run_and_becomes_a_draft(member_client, project, pagila, fake_openai):
    ddl = "ALTER TABLE customer ADD COLUMN loyalty_points integer"
    fake_openai.json({"sql": ddl, "explanation": "Adds a column for loyalty points."})
    body = ask(member_client, project, "Add loyalty points to customers", run=True).json()
    assert body["read_only"] is False and body["result"] is None and body["statement_kind"] == "utility"
    proposal = Proposal.objects.get()
    assert body["proposal"]["id"] == proposal.pk and proposal.state == "draft" and proposal.kind == "ddl"
    assert proposal.safety_review["statements"]
    assert SqlRun.objects.count() == 0


def test_a_data_change_is_never_run_and_becomes_a_data_change_draft(member_client, project, pagila, fake_openai):
    fake_openai.json({"sql": "DELETE FROM payment WHERE amount = 0", "explanation": "Removes free payments."})
    body = ask(member_client, project, "remove free payments", run=True).json()
    assert body["result"] is None and body["read_only"] is False and SqlRun.objects.count() == 0
    assert body["proposal_error"] == ""
    proposal = Proposal.objects.get()
    assert body["proposal"]["id"] == proposal.pk and body["proposal"]["kind"] == "data"
    assert proposal.state == "draft" and proposal.sql == "DELETE FROM payment WHERE amount = 0"
    assert proposal.evidence["source"] == "assistant"
    assert proposal.evidence["plan"][0]["Plan"]["Node Type"] == "ModifyTable"
    assert body["proposal"]["estimated_rows"] == proposal.evidence["estimated_rows"] >= 0


def test_malformed_output_asks_nothing_more_and_says_so(member_client, project, pagila, fake_openai):
    fake_openai.text("Sure! Here is your query: SELECT 1")
    response = ask(member_client, project, "anything")
    assert response.status_code == 502 and response.json()["code"] == "model_malformed"
    fake_openai.json({"explanation": "no sql key"})
    assert ask(member_client, project, "anything").json()["code"] == "model_malformed"


def test_a_429_then_an_answer(member_client, project, pagila, fake_openai):
    fake_openai.status(429).json({"sql": "SELECT count(*) FROM actor", "explanation": "x"})
    assert ask(member_client, project, "how many actors").json()["sql"] == "SELECT count(*) FROM actor"


def test_a_timeout_is_a_502_naming_the_setting(member_client, project, pagila, fake_openai, settings):
    settings.OPENAI_TIMEOUT = 0.3
    settings.OPENAI_MAX_RETRIES = 0
    fake_openai.json({"sql": "SELECT 1", "explanation": "x"}, delay=1.5)
    response = ask(member_client, project, "q")
    assert response.status_code == 502 and response.json()["code"] == "model_timeout"


def test_without_a_model_sql_answers_503_naming_the_settings(member_client, project, settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None
    response = ask(member_client, project, "q")
    assert response.status_code == 503 and "OPENAI_BASE_URL" in response.json()["detail"]


def test_the_prompt_never_carries_the_connection_url(member_client, project, pagila, fake_openai):
    fake_openai.json({"sql": "SELECT 1", "explanation": "x"})
    ask(member_client, project, "customers in each city")
    assert pagila.url not in json.dumps(fake_openai.requests)
