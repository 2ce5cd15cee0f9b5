"""GET /projects/{id}/assistant/report on real databases: pagila (its size, the checks, pg_stat_statements) and a
scratch database that grows between two analytics snapshots; the prose from templates, or from the real openai
SDK talking to the fake server, where every number must be one of the facts."""

import json
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from ai_usage.models import ModelCall
from analytics import services as analytics_services
from assistant.report import numbers_in
from assistant.tests.fake_openai import Reply
from health.models import HealthRun
from schema_metadata.models import DatabaseConnection

pytestmark = pytest.mark.django_db

PAGILA_QUERIES = [
    "SELECT c.customer_id, sum(p.amount) FROM customer c JOIN payment p ON p.customer_id = c.customer_id "
    "GROUP BY c.customer_id ORDER BY 2 DESC LIMIT 5",
    "SELECT r.rental_id FROM rental r WHERE r.return_date IS NULL AND r.inventory_id = 10",
]


@pytest.fixture
def measured(pagila):
    """pagila with pg_stat_statements, and a few of an application's queries run."""
    with psycopg.connect(pagila.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        for _ in range(3):
            for query in PAGILA_QUERIES:
                conn.execute(query)
    return pagila


def report_of(client, project, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.get(f"/projects/{project.pk}/assistant/report" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.content
    return response.json()


def sections(body) -> dict:
    return {s["key"]: s for s in body["sections"]}


def every_number_is_a_fact(body) -> None:
    for section in body["sections"]:
        allowed = numbers_in(json.dumps(section["facts"], ensure_ascii=False)) | numbers_in(section["template_prose"])
        foreign = numbers_in(section["prose"]) - allowed
        assert not foreign, (section["key"], section["prose"], foreign)


def test_without_a_model_the_report_is_written_from_templates(viewer_client, project, measured):
    body = report_of(viewer_client, project)
    assert body["written_by"] == "templates" and body["database"] == "pagila"
    assert any("No AI model is configured" in note and "OPENAI_BASE_URL" in note for note in body["notes"])
    parts = sections(body)
    size = parts["size"]["facts"]
    assert size["size"].endswith("MB")
    assert {t["table"] for t in size["largest_tables"]} & {"public.rental", "public.payment", "public.film"}
    assert size["growth"]["available"] is False and "snapshots" in size["growth"]["reason"]
    assert "Growth is not available" in parts["size"]["prose"]
    health = parts["health"]["facts"]
    assert health["checked_at"] and health["findings_total"] == len(health["findings"])
    queries = parts["queries"]["facts"]
    assert queries["source"] == "pg_stat_statements"
    shown = " ".join(q["query"] for q in queries["queries"])
    assert "rental" in shown or "payment" in shown
    assert all(q["mean"].endswith(("ms", " s")) for q in queries["queries"])
    every_number_is_a_fact(body)
    assert not ModelCall.objects.exists()


def _prose_from_the_facts(body) -> str:
    """A model that writes about the facts it was sent, with their numbers as it was told."""
    sent = json.loads(body["messages"][1]["content"])
    texts = {}
    for section in sent["sections"]:
        facts = section["facts"]
        if section["key"] == "size":
            texts["size"] = f"The database {facts['database']} holds {facts['size']} of data."
        elif section["key"] == "health":
            texts["health"] = f"The checks raised {facts['findings_total']} findings, {facts['critical']} critical."
        elif section["key"] == "queries":
            top = facts["queries"][0]
            texts["queries"] = f"The slowest statement averages {top['mean']} per call."
        else:
            texts["first"] = "Work down the list in order; each step names its evidence."
    return Reply(content=json.dumps(texts))


def test_the_models_prose_keeps_only_numbers_of_the_facts(member_client, project, measured, fake_openai):
    fake_openai.responder = _prose_from_the_facts
    body = report_of(member_client, project)
    assert body["written_by"] == "model", [s["rejected"] for s in body["sections"]]
    assert all(s["prose_source"] == "model" for s in body["sections"])
    assert sections(body)["size"]["prose"].startswith("The database pagila holds ")
    every_number_is_a_fact(body)
    [request] = fake_openai.requests
    sent = request["body"]
    assert sent["model"] == "fake-chat-model"
    assert "Use only numbers that appear in the facts" in sent["messages"][0]["content"]
    assert measured.url not in json.dumps(sent)  # never the credentials
    call = ModelCall.objects.get()
    assert call.purpose == "report" and call.project_id == project.pk


def test_prose_with_a_foreign_number_is_rejected_for_the_template(member_client, project, measured, fake_openai):
    fake_openai.json(
        {
            "size": "The database is small, about 31415.9 GB, and grows 271828% a month.",
            "health": "All is well.",
            "queries": "Most statements are fast.",
            "first": "Start at the top.",
        }
    )
    body = report_of(member_client, project)
    size = sections(body)["size"]
    assert size["prose_source"] == "template" and size["prose"] == size["template_prose"]
    assert size["rejected"] == "the model wrote numbers that are not among the facts (271828, 31415.9)"
    assert sections(body)["health"]["prose"] == "All is well."
    every_number_is_a_fact(body)


def test_a_model_that_fails_leaves_the_template_report(member_client, project, measured, fake_openai, settings):
    settings.OPENAI_MAX_RETRIES = 0
    fake_openai.status(500, {"error": {"message": "boom"}})
    body = report_of(member_client, project)
    assert body["written_by"] == "templates"
    assert any("the templates wrote it" in note for note in body["notes"]), body["notes"]
    every_number_is_a_fact(body)
    assert report_of(member_client, project, model="false")["written_by"] == "templates"


def test_a_stored_critical_finding_comes_first(member_client, project, measured):
    finding = {
        "check": "xid_wraparound", "severity": "critical", "title": "Transaction IDs near wraparound",
        "objects": ["public.rental"], "detail": "age 1,900,000,000 of 2,000,000,000", "why": "writes stop",
        "fix": "Run `VACUUM (FREEZE) public.rental`", "fix_sql": "VACUUM (FREEZE) public.rental;", "fix_kind": "",
        "data": {},
    }  # fmt: skip
    HealthRun.objects.create(project=project, connection=measured, findings=[finding])
    body = report_of(member_client, project, model="false")
    first = body["priorities"][0]
    assert first == {
        "rank": 1,
        "title": "Transaction IDs near wraparound",
        "why": "critical: age 1,900,000,000 of 2,000,000,000",
        "action": "Run `VACUUM (FREEZE) public.rental`",
        "sql": "VACUUM (FREEZE) public.rental;",
    }
    assert sections(body)["first"]["prose"].startswith("Start with Transaction IDs near wraparound")
    every_number_is_a_fact(body)


def test_growth_comes_from_the_analytics_snapshots(member_client, project, scratch_database, settings):
    settings.TARGET_ALLOW_LOCAL = True
    connection = DatabaseConnection.objects.create(
        project=project, name="growing", url=scratch_database, is_default=True, environment="development"
    )
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE events (id bigint PRIMARY KEY, payload text)")
    then = timezone.now() - timedelta(days=2)
    assert analytics_services.snapshot_take(connection=connection, now=then) is not None
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("INSERT INTO events SELECT g, repeat('x', 200) FROM generate_series(1, 50000) g")
    assert analytics_services.snapshot_take(connection=connection, now=timezone.now()) is not None
    body = report_of(member_client, project, model="false")
    growth = sections(body)["size"]["facts"]["growth"]
    assert growth["available"] is True
    assert growth["since"] == then.date().isoformat()
    assert growth["tables"][0]["table"].endswith("events") and growth["tables"][0]["change"].endswith("MB")
    assert " it grew by " in sections(body)["size"]["prose"]
    every_number_is_a_fact(body)


def test_errors_are_clear(member_client, project, other_org_user, client_for, measured):
    assert member_client.get(f"/projects/{project.pk}/assistant/report?model=maybe").status_code == 400
    assert member_client.get(f"/projects/{project.pk}/assistant/report?connection=999999").status_code == 404
    other = client_for(other_org_user)
    assert other.get(f"/projects/{project.pk}/assistant/report").status_code == 404


def test_no_connection_is_a_404_naming_what_to_do(member_client, project):
    response = member_client.get(f"/projects/{project.pk}/assistant/report")
    assert response.status_code == 404
    assert "add one to get a report" in response.json()["detail"]


def test_the_report_page_shows_sections_without_raw_backticks(client, viewer, project, measured):
    client.force_login(viewer)
    HealthRun.objects.create(
        project=project, connection=measured,
        findings=[{"check": "x", "severity": "warning", "title": "Unused index", "objects": [], "detail": "d",
                   "why": "w", "fix": "Drop it: `DROP INDEX public.idx_unused`", "fix_sql": "", "fix_kind": "",
                   "data": {}}],
    )  # fmt: skip
    response = client.get(f"/app/projects/{project.pk}/report/?model=false")
    assert response.status_code == 200
    html = response.content.decode()
    for part in ("section-first", "section-size", "section-health", "section-queries", "growth-unavailable"):
        assert f'id="{part}"' in html
    assert "<code>DROP INDEX public.idx_unused</code>" in html
    assert "`" not in html.split("<main", 1)[-1]
