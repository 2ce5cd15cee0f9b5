"""The move to ai_usage loses nothing: the assistant's recorded calls and the optimizer's earlier AI runs (not its
cached answers) are there afterwards, on their own dates, and count as before."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("assistant", "0001_initial"), ("optimizer", "0001_initial"), ("ai_usage", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_earlier_calls_and_runs_are_moved_with_their_dates():
    old = migrate(BEFORE)
    org = old.get_model("organizations", "Organization").objects.create(name=f"Moved {uuid.uuid4().hex[:8]}")
    last_week = timezone.now() - timedelta(days=7)
    call = old.get_model("assistant", "ModelCall").objects.create(
        organization_id=org.pk, purpose="sql", request=uuid.uuid4(), model="m", prompt_tokens=10, completion_tokens=5,
        cost_usd="0.000100", ok=True,
    )  # fmt: skip
    old.get_model("assistant", "ModelCall").objects.filter(pk=call.pk).update(created_at=last_week)
    runs = old.get_model("optimizer", "OptimizationRun").objects
    runs.create(organization_id=org.pk, query="SELECT 1", ai_status="used", ai_model="gpt-x")
    runs.create(organization_id=org.pk, query="SELECT 2", ai_status="used", ai_reason="cached answer")
    runs.create(organization_id=org.pk, query="SELECT 3", ai_status="unavailable")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    moved = new.get_model("ai_usage", "ModelCall").objects.filter(organization_id=org.pk)
    assert sorted(moved.values_list("purpose", "model", "prompt_tokens", "completion_tokens")) == [
        ("optimizer", "gpt-x", 0, 0),
        ("sql", "m", 10, 5),
    ]
    assert moved.get(purpose="sql").created_at == last_week
    assert "assistant_modelcall" not in connection.introspection.table_names()
