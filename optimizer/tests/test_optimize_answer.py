"""POST /query/optimize answers from what it just stored, in a fixed list of SQL statements, and the analysis it keeps
per process for a query's text is the fresh analysis's twin, shared with no one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from optimizer import selectors, services
from optimizer.models import AICache, OptimizationRun, Suggestion
from optimizer.tests.conftest import VARIED_AI_ANSWER
from projects.services import set_current_project

pytestmark = pytest.mark.django_db

QUERY = "SELECT * FROM orders WHERE status = 'paid' AND note = NULL"
OR_QUERY = "SELECT c.id FROM customers c WHERE c.country = 'IL' OR c.email = 'a@b.c'"
_WRITTEN = re.compile(r'\s*(?:INSERT INTO|DELETE FROM)\s+"(\w+)"', re.I)
_WITH_WRITTEN = re.compile(r'\bINSERT INTO\s+"(\w+)"', re.I)
_READ = re.compile(r'\bFROM\s+"(\w+)"', re.I)


def statement(sql: str) -> str:
    """ "INSERT optimization_runs", "SELECT projects_current", "SAVEPOINT": what a statement does, to what."""
    verb = sql.split()[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    if verb == "WITH":  # data-modifying CTEs: the tables it writes
        return "WITH " + " ".join(f"INSERT {t}" for t in _WITH_WRITTEN.findall(sql))
    if verb in ("INSERT", "DELETE"):
        return f"{verb} {_WRITTEN.match(sql).group(1)}"
    # A SELECT's own table comes last (the sign-in's EXISTS reads another first); names are quoted, values are not.
    return f"{verb} {_READ.findall(sql)[-1]}"


def post_counting(client, capture_on_commit, body: dict) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as captured, capture_on_commit(execute=True):
        response = client.post("/query/optimize", body, format="json")
    assert response.status_code == 201, response.content[:300]
    return response.json(), [statement(q["sql"]) for q in captured]


# Every statement of an optimization without a connection, in order, whatever the organization holds:
STORE = "WITH INSERT optimization_runs INSERT audit_log"
FIXED = [
    "SELECT users",  # sign-in: the user, their organization and session state (one query)
    "INSERT dbooster_rate_limits",  # the rate limit: every window counted in one upsert
    # The user's current project (the body names none) and its default connection: read once per data version of
    # the user (optimizer.selectors); storing a run leaves that version as it is, so the next request reads none.
    "SELECT projects_current",
    # The run and its audit line (and its suggestions, when it has any: STORED_WITH_SUGGESTIONS): one statement,
    # so they commit together. In the same statement, the history: earlier runs of the same query in the project.
    # The dashboard's counts version is raised by PostgreSQL's triggers in that statement (dashboard.cache).
    STORE,
]
AGAIN = [step for step in FIXED if step != "SELECT projects_current"]
STORED_WITH_SUGGESTIONS = "WITH INSERT optimization_runs INSERT optimization_suggestions INSERT audit_log"
# Not read: the run and its suggestions once stored (the answer is built from what was written).


def test_an_optimization_is_a_fixed_list_of_statements_whatever_the_organization_holds(
    admin_user, project, client_for, django_capture_on_commit_callbacks
):
    set_current_project(user=admin_user, project=project)
    client = client_for(admin_user)
    body = {"query": QUERY, "ai": False}
    first, statements = post_counting(client, django_capture_on_commit_callbacks, body)
    assert not first["suggestions"] and first["history"] == []
    assert statements == FIXED
    for _ in range(24):  # more history than a page of it (20) holds
        client.post("/query/optimize", body, format="json")
    later, statements = post_counting(client, django_capture_on_commit_callbacks, body)
    assert len(later["history"]) == selectors.HISTORY_LENGTH
    assert statements == AGAIN


def test_suggestions_are_written_in_one_statement(admin_user, project, client_for, django_capture_on_commit_callbacks):
    set_current_project(user=admin_user, project=project)
    body, statements = post_counting(
        client_for(admin_user), django_capture_on_commit_callbacks, {"query": OR_QUERY, "ai": False}
    )
    assert body["suggestions"]
    assert statements == [*FIXED[:3], STORED_WITH_SUGGESTIONS]
    stored = Suggestion.objects.filter(run_id=body["id"])
    assert sorted(s.pk for s in stored) == sorted(s["id"] for s in body["suggestions"] + body["dropped"])


def test_the_answer_is_what_get_reads_back(member_client, project, fake_openai):
    # Rewrites from the rules and the AI, a setting, an index it could not measure and one it refused: several
    # suggestions, kept and dropped, in the order every answer lists them.
    fake_openai.answer(VARIED_AI_ANSWER)
    posted = member_client.post("/query/optimize", {"query": OR_QUERY, "project": project.pk}, format="json").json()
    assert len(posted["suggestions"]) >= 3 and len(posted["dropped"]) == 1
    assert posted["findings"] and posted["ai"]["status"] == "used"
    assert member_client.get(f"/query/optimize/{posted['id']}").json() == posted


def test_the_in_memory_order_is_the_databases(org):
    run = OptimizationRun.objects.create(organization=org, query="SELECT 1")
    speedups = [None, 2.0, None, 7.5, 2.0, 1.1]
    for i, speedup in enumerate(speedups * 2):
        Suggestion.objects.create(run=run, kind="index", sql=f"s{i}", speedup=speedup, dropped=i >= len(speedups))
    stored = list(Suggestion.objects.filter(run=run).order_by("?"))
    read = selectors.run_get(org=org, pk=run.pk).suggestions.all()
    assert [s.pk for s in selectors.in_display_order(stored)] == [s.pk for s in read]


# --- what is kept per process ------------------------------------------------------------------------------


def test_a_kept_analysis_is_the_fresh_one_and_no_caller_can_change_it():
    services._prepared.cache_clear()
    services._schemaless_rules.cache_clear()
    fresh_prepared = services.prepare(OR_QUERY)
    fresh_findings, fresh_drafts = services.rule_findings_and_rewrites(OR_QUERY, fresh_prepared["sql"], None)
    assert fresh_findings and fresh_drafts
    assert services._schemaless_rules.cache_info().currsize == 1

    # A caller that changes what it was given changes nothing for the next one.
    fresh_prepared["sql"] = "changed"
    fresh_prepared["side_effects"].append("changed")
    fresh_findings[0]["message"] = "changed"
    fresh_findings[0]["location"]["start"] = -1
    fresh_drafts[0].sql, fresh_drafts[0].verified = "changed", True

    kept_prepared = services.prepare(OR_QUERY)
    kept_findings, kept_drafts = services.rule_findings_and_rewrites(OR_QUERY, kept_prepared["sql"], None)
    assert services._schemaless_rules.cache_info().hits >= 1
    services._prepared.cache_clear()
    services._schemaless_rules.cache_clear()
    again = services.prepare(OR_QUERY)
    assert kept_prepared == again and "changed" not in again["side_effects"]
    findings, drafts = services.rule_findings_and_rewrites(OR_QUERY, again["sql"], None)
    assert kept_findings == findings and kept_drafts == drafts
    assert all(not d.verified and d.sql != "changed" for d in kept_drafts)


def test_long_texts_are_not_kept(settings):
    services._prepared.cache_clear()
    long_query = "SELECT 1 AS " + "x" * services.MEMO_MAX_CHARS
    assert services.prepare(long_query)["kind"] == "select"
    assert services._prepared.cache_info().currsize == 0


def test_two_organizations_sending_the_same_text_get_their_own_answers(member_client, client_for, other_org_user):
    services._schemaless_rules.cache_clear()
    body = {"query": QUERY, "ai": False}
    mine = member_client.post("/query/optimize", body, format="json").json()
    theirs = client_for(other_org_user).post("/query/optimize", body, format="json").json()
    assert services._schemaless_rules.cache_info().hits >= 1  # the second answer came from what was kept
    assert theirs["id"] != mine["id"] and theirs["history"] == [] == mine["history"]
    same = ("query", "normalized", "fingerprint", "findings", "suggestions", "dropped", "notes", "plan_status")
    assert {k: theirs[k] for k in same} == {k: mine[k] for k in same}
    # Each organization reads its own run, never the other's.
    assert client_for(other_org_user).get(f"/query/optimize/{mine['id']}").status_code == 404
    assert member_client.get(f"/query/optimize/{theirs['id']}").status_code == 404


def test_the_ai_adds_its_cache_its_quota_and_its_usage_one_statement_each(
    admin_user, project, client_for, fake_openai, django_capture_on_commit_callbacks
):
    set_current_project(user=admin_user, project=project)
    client = client_for(admin_user)
    empty = {"summary": "", "indexes": [], "rewrites": [], "settings": []}
    fake_openai.answer(empty)
    asked, statements = post_counting(client, django_capture_on_commit_callbacks, {"query": QUERY})
    assert asked["ai"]["status"] == "used" and len(fake_openai.requests) == 1
    ai = [
        "SELECT optimizer_ai_cache",  # this question's answer for this schema, if the model gave it before
        "SELECT ai_model_calls",  # the plan's AI limit: the month's requests, counted in one query
        "INSERT ai_model_calls",  # the call, its tokens and cost
        "INSERT optimizer_ai_cache",  # the answer kept: one upsert
    ]
    assert statements == FIXED[:3] + ai + FIXED[3:]
    cached, statements = post_counting(client, django_capture_on_commit_callbacks, {"query": QUERY})
    assert cached["ai"]["reason"] == "cached answer" and len(fake_openai.requests) == 1
    assert statements == AGAIN[:2] + ai[:1] + AGAIN[2:]


def test_a_second_answer_to_the_same_question_replaces_the_first():
    key = {"fingerprint": "f" * 16, "schema_version": "v1", "model_name": "m"}
    services.keep_ai_answer(**key, answer={"summary": "first"})
    services.keep_ai_answer(**key, answer={"summary": "second"})
    services.keep_ai_answer(**{**key, "schema_version": "v2"}, answer={"summary": "other schema"})
    assert AICache.objects.get(**key).answer == {"summary": "second"}
    assert AICache.objects.count() == 2


def test_the_history_reads_a_page_of_rows_however_many_runs_are_kept(org, project):
    """Every answer carries its history: with thousands of runs of the same query, reading it must not mean
    reading (and sorting) all of them."""
    first = OptimizationRun.objects.create(organization=org, project=project, query="SELECT 1", fingerprint="f1")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO optimization_runs (organization_id, project_id, query, normalized, fingerprint, findings,"
            " plan_status, plan_error, measurement, ai_status, ai_reason, ai_model, notes, rejected, created_at)"
            " SELECT organization_id, project_id, query, normalized, fingerprint, findings, plan_status, plan_error,"
            " measurement, ai_status, ai_reason, ai_model, notes, rejected, created_at + g * interval '1 second'"
            " FROM optimization_runs, generate_series(1, 3000) g WHERE id = %s",
            [first.pk],
        )
        cursor.execute("ANALYZE optimization_runs")  # 3,001 rows: read whole, the same statistics every run
        query = selectors._past_runs(project_id=project.pk, fingerprint="f1", run_id=first.pk, limit=20)
        sql, params = query.values_list(*selectors.HISTORY_FIELDS).query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    scans = [n for n in nodes if "Scan" in n["Node Type"]]
    assert [n.get("Index Name") for n in scans] == ["optrun_project_fp_latest"]
    assert scans[0]["Actual Rows"] <= 20 and not [n for n in nodes if n["Node Type"] == "Sort"]
    assert len(selectors.past_run_rows(run=first)) == 20


def test_several_projects_and_no_choice_is_a_400_that_names_them(
    admin_user, client_for, django_capture_on_commit_callbacks
):
    from tests.factories import ProjectFactory

    named = [ProjectFactory(organization=admin_user.organization, name=f"shop {i}") for i in range(3)]
    client = client_for(admin_user)
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/query/optimize", {"query": QUERY}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "project_required"
    assert all(f"{p.name} ({p.pk})" in response.json()["detail"] for p in named)
    # Sign-in, rate limit, the user's choice (none) and the first two projects, whether there are any, the first
    # few to name: the choice is not asked for twice, nothing is written.
    assert [statement(q["sql"]) for q in captured] == [
        "SELECT users", "INSERT dbooster_rate_limits", "SELECT projects_current", "SELECT projects",
        "SELECT projects", "SELECT projects",
    ]  # fmt: skip


def test_history_lines_are_drf_s_own_rendering_of_the_runs(org, project):
    """`past_run_lines` renders plain rows; DRF's ModelSerializer, given the same runs as instances, answers the same
    (a float, a None, a time with and without microseconds, each status)."""
    from rest_framework import serializers as drf

    from optimizer.api import past_run_lines

    class DRFPastRun(drf.ModelSerializer):
        class Meta:
            model = OptimizationRun
            fields = list(selectors.HISTORY_FIELDS)

    at = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)
    runs = [
        OptimizationRun.objects.create(
            organization=org, project=project, query="SELECT 1", fingerprint="f1", cost_before=cost, ai_status=ai,
            plan_status=plan,
        )
        for cost, ai, plan in ((None, "off", "no_connection"), (12.5, "used", "planned"), (3.0, "unavailable", "failed"))
    ]  # fmt: skip
    OptimizationRun.objects.filter(pk=runs[0].pk).update(created_at=at)
    OptimizationRun.objects.filter(pk=runs[1].pk).update(created_at=at + dt.timedelta(microseconds=250))
    latest = OptimizationRun.objects.create(organization=org, project=project, query="SELECT 1", fingerprint="f1")
    lines = past_run_lines(latest)
    assert len(lines) == 3
    assert lines == DRFPastRun(selectors.past_runs(run=latest), many=True).data
    assert {line["created_at"] for line in lines} >= {"2026-12-03T09:30:00Z", "2026-12-03T09:30:00.000250Z"}
