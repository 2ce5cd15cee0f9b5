"""Every rule against its corpus: each must-fire case fires, no must-not case does (with and without schema)."""

from __future__ import annotations

import pytest

from optimizer.rules import RULES, analyze, get_rule
from optimizer.tests.corpus import load_corpus, shared_schema

CORPUS = load_corpus()


def _cases(kind: str):
    for rule_id, cases in CORPUS.items():
        for i, sql in enumerate(cases[kind]):
            yield pytest.param(rule_id, sql, id=f"{rule_id}-{kind}-{i}")


def fired(rule_id: str, sql: str, schema) -> list:
    return [f for f in analyze(sql, schema, strict=True) if f.rule_id == rule_id]


def test_every_rule_has_a_corpus_with_two_cases_each_way():
    assert len(RULES) >= 30
    assert len({r.id for r in RULES}) == len(RULES), "rule ids must be unique"
    for rule in RULES:
        assert rule.id in CORPUS, f"no corpus file for {rule.id}"
        assert len(CORPUS[rule.id]["fire"]) >= 2, rule.id
        assert len(CORPUS[rule.id]["no_fire"]) >= 2, rule.id
    assert set(CORPUS) <= {r.id for r in RULES}, "corpus file for an unknown rule"


@pytest.mark.parametrize(("rule_id", "sql"), list(_cases("fire")))
def test_must_fire(rule_id, sql):
    findings = fired(rule_id, sql, shared_schema())
    assert findings, f"{rule_id} missed: {sql}"
    rule = get_rule(rule_id)
    for f in findings:
        assert f.severity in ("info", "warning", "critical")
        assert f.doc_url == f"/app/rules/{rule_id}/"
        assert f.message and f.fix
        if f.location is not None:
            assert 0 <= f.location["start"] < f.location["end"] <= len(sql)
    if not rule.needs_schema and sql not in CORPUS[rule_id]["schema_only"]:
        assert fired(rule_id, sql, None), f"{rule_id} needs no schema but missed without one: {sql}"


@pytest.mark.parametrize(("rule_id", "sql"), list(_cases("no_fire")))
def test_must_not_fire(rule_id, sql):
    assert not fired(rule_id, sql, shared_schema()), f"{rule_id} false positive: {sql}"
    if sql not in CORPUS[rule_id]["schema_only"]:
        assert not fired(rule_id, sql, None), f"{rule_id} false positive without schema: {sql}"


@pytest.mark.parametrize(("rule_id", "sql"), [p for p in _cases("fire") if get_rule(p.values[0]).needs_schema])
def test_schema_rules_stay_silent_without_schema(rule_id, sql):
    assert not fired(rule_id, sql, None)
