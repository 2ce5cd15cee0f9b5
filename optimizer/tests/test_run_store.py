"""A run, its suggestions and its audit line are stored in one statement: each column as the ORM stores it, the
keys in the order the suggestions were drafted, and nothing at all when any part fails."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from audit import services as audit
from audit.models import AuditEvent
from dbooster import json_records
from dbooster.json_records import insert_from_json, json_param, record_values, written_fields
from optimizer import selectors, services
from optimizer.models import OptimizationRun, Suggestion
from optimizer.tests.conftest import VARIED_AI_ANSWER
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

OR_QUERY = "SELECT c.id FROM customers c WHERE c.country = 'IL' OR c.email = 'a@b.c'"


def stored_columns(model, pk) -> dict:
    fields = [f.attname for f in written_fields(model) if f.attname != "created_at"]
    return model.objects.filter(pk=pk).values(*fields).get()


def orm_twin(instance, **changes):
    """The same values saved by the ORM, in a row of their own."""
    twin = type(instance)(**{f.attname: getattr(instance, f.attname) for f in written_fields(type(instance))})
    for name, value in changes.items():
        setattr(twin, name, value)
    twin.save()
    return twin


@pytest.fixture
def varied_run(admin_user, project, fake_openai):
    """A run with kept and dropped suggestions from the rules and the AI, findings, notes and refused candidates."""
    fake_openai.answer(VARIED_AI_ANSWER)
    return services.optimize_query(user=admin_user, query=OR_QUERY, target=(project, None))


def test_each_column_is_stored_as_the_orm_stores_it(varied_run):
    run = varied_run
    assert len(run.suggestions_in_order) >= 4 and any(s.dropped for s in run.suggestions_in_order)
    assert run.findings and run.notes
    stored = OptimizationRun.objects.get(pk=run.pk)
    # The instances are as `save()` leaves them: their keys, their time, no longer "adding".
    assert stored.created_at == run.created_at and not run._state.adding
    assert {s.pk for s in run.suggestions_in_order} == set(stored.suggestions.values_list("pk", flat=True))
    assert stored_columns(OptimizationRun, run.pk) == stored_columns(OptimizationRun, orm_twin(run).pk)
    for suggestion in run.suggestions_in_order:
        twin = orm_twin(suggestion)
        assert stored_columns(Suggestion, suggestion.pk) == stored_columns(Suggestion, twin.pk)


def test_the_audit_line_is_the_one_record_writes(varied_run, admin_user, project):
    line = AuditEvent.objects.get(action="optimizer.optimize", target_id=str(varied_run.pk))
    expected = audit.record(
        action="optimizer.optimize",
        actor=admin_user,
        organization=admin_user.organization,
        target=varied_run,
        metadata={
            "project": project.pk,
            "connection": None,
            "fingerprint": varied_run.fingerprint,
            "suggestions": len(varied_run.suggestions_in_order),
            "ai": "used",
        },
    )
    assert stored_columns(AuditEvent, line.pk) == stored_columns(AuditEvent, expected.pk)
    assert line.target_repr == str(varied_run) and line.target_type == "optimizer.optimizationrun"


def test_suggestions_take_their_keys_in_the_order_they_were_drafted(admin_user, project, fake_openai):
    fake_openai.answer({"summary": "", "indexes": [], "settings": [], "rewrites": [
        {"sql": f"SELECT id FROM customers WHERE country = 'C{i}'", "rationale": f"r{i}"} for i in range(6)
    ]})  # fmt: skip
    run = services.optimize_query(user=admin_user, query=OR_QUERY, target=(project, None))
    by_key = sorted(run.suggestions_in_order, key=lambda s: s.pk)
    ai = [s for s in by_key if s.source == "ai"]
    drafted = [s.rationale for s in ai if s.rationale.startswith("r")]
    assert len(drafted) >= 3 and drafted == [f"r{i}" for i in range(len(drafted))]
    for suggestion in run.suggestions_in_order:
        assert Suggestion.objects.get(pk=suggestion.pk).sql == suggestion.sql


def test_nothing_is_stored_when_a_part_fails(admin_user, project, monkeypatch):
    real_event = audit.event

    def too_long(**fields):
        line = real_event(**fields)
        line.action = "x" * 500  # longer than the column: PostgreSQL refuses the audit line, last of the three
        return line

    monkeypatch.setattr(audit, "event", too_long)
    runs, suggestions, lines = OptimizationRun.objects.count(), Suggestion.objects.count(), AuditEvent.objects.count()
    with pytest.raises(DataError), transaction.atomic():  # a savepoint: the test's transaction goes on
        services.optimize_query(user=admin_user, query=OR_QUERY, target=(project, None), use_ai=False)
    assert (OptimizationRun.objects.count(), Suggestion.objects.count(), AuditEvent.objects.count()) == (
        runs,
        suggestions,
        lines,
    )


def test_the_history_read_with_the_write_is_the_one_get_reads(admin_user, project, org):
    first = services.optimize_query(user=admin_user, query=OR_QUERY, target=(project, None), use_ai=False)
    assert first.history_rows == [] == selectors.past_run_rows(run=first)
    # More runs than a page of history, several at one instant (the key breaks the tie), and the same query
    # elsewhere: in another project, and with no project.
    at = first.created_at + dt.timedelta(seconds=1)
    fingerprint = first.fingerprint
    earlier = OptimizationRun.objects.bulk_create(
        [OptimizationRun(organization=org, project=project, query=OR_QUERY, fingerprint=fingerprint, cost_before=i)
         for i in range(30)]
        + [OptimizationRun(organization=org, project=ProjectFactory(organization=org), query=OR_QUERY,
                           fingerprint=fingerprint),
           OptimizationRun(organization=org, query=OR_QUERY, fingerprint=fingerprint)]
    )  # fmt: skip
    for group in range(10):  # three runs per instant, the instants out of the keys' order
        stamped = [r.pk for r in earlier[group * 3 : group * 3 + 3]]
        OptimizationRun.objects.filter(pk__in=stamped).update(created_at=at + dt.timedelta(seconds=(group * 7) % 10))
    run = services.optimize_query(user=admin_user, query=OR_QUERY, target=(project, None), use_ai=False)
    assert len(run.history_rows) == selectors.HISTORY_LENGTH
    assert run.history_rows == selectors.past_run_rows(run=run)
    no_project = services.optimize_query(user=admin_user, query=OR_QUERY, target=(None, None), use_ai=False)
    assert no_project.history_rows == [] == selectors.past_run_rows(run=no_project)


def test_a_run_without_suggestions_inserts_none(admin_user, project):
    """No INSERT of no suggestions: it would still fire the suggestions' statement triggers."""
    query = "SELECT id FROM customers WHERE id = 7"
    with CaptureQueriesContext(connection) as queries:
        run = services.optimize_query(user=admin_user, query=query, target=(project, None), use_ai=False)
    assert run.suggestions_in_order == [] and run.pk is not None
    (store,) = [q["sql"] for q in queries if "optimization_runs" in q["sql"]]
    assert "optimization_suggestions" not in store
    assert AuditEvent.objects.filter(action="optimizer.optimize", target_id=str(run.pk)).count() == 1
    # The same query again: stored, and its history holds the first run, as GET reads it.
    again = services.optimize_query(user=admin_user, query=query, target=(project, None), use_ai=False)
    assert [row[0] for row in again.history_rows] == [run.pk]
    assert again.history_rows == selectors.past_run_rows(run=again)
    # With suggestions, the same statement stores them (`test_suggestions_take_their_keys_...` checks their keys).
    with CaptureQueriesContext(connection) as queries:
        varied = services.optimize_query(user=admin_user, query=OR_QUERY, target=(project, None), use_ai=False)
    assert varied.suggestions_in_order
    assert any("optimization_suggestions" in q["sql"] for q in queries)


def test_floats_json_has_no_number_for_are_stored_as_floats(org):
    run = OptimizationRun.objects.create(organization=org, query="SELECT 1")
    suggestion = Suggestion(
        run=run, kind="index", sql="CREATE INDEX ON t (a)", cost_before=math.inf, cost_after=-math.inf,
        time_before_ms=math.nan, size_bytes=2**40,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(insert_from_json(Suggestion, "%s", returning="id"), [json_param(record_values(suggestion))])
        (pk,) = cursor.fetchone()
    stored = Suggestion.objects.get(pk=pk)
    assert stored.cost_before == math.inf and stored.cost_after == -math.inf and math.isnan(stored.time_before_ms)
    assert stored.size_bytes == 2**40 and stored.created_at == suggestion.created_at


def test_a_value_with_no_json_form_is_refused_before_anything_is_sent():
    # No column of DBooster's takes bytes or a duration today; one that does must not reach PostgreSQL as a guess.
    with pytest.raises(TypeError, match="OptimizationRun.query: bytes has no JSON form"):
        json_records._json_value(OptimizationRun._meta.get_field("query"), b"bytes")
