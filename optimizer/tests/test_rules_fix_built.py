"""A finding's fix is built from the finding, not copied from the rule's doc page.

- No must-fire case of any rule gets the doc page's fix text back.
- The cases marked `fix_contains` in a rule's YAML name what the fix must say about that query (its tables,
  columns, values, the rewritten statement).
- Every SQL statement a fix shows in backticks parses.
"""

from __future__ import annotations

import re

import pytest
from pglast import parse_sql

from optimizer.rules import RULES, analyze, get_rule
from optimizer.tests.corpus import load_corpus, shared_schema

CORPUS = load_corpus()
_CODE = re.compile(r"`([^`]+)`")
_STATEMENT = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|SET|VACUUM|ANALYZE)\b", re.I)
# The rules whose fix issue 12 found generic; each has a case that pins the fix to its query.
BUILT_FROM_THE_QUERY = {
    "select-star",
    "distinct-with-join",
    "having-without-aggregate",
    "deep-subquery-nesting",
    "union-without-all",
    "non-equi-join",
    "count-for-existence",
    "correlated-subquery-filter",
    "for-update-without-nowait",
    "or-across-columns",
    "order-by-in-subquery",
    "too-many-joins",
    "unfiltered-big-table-scan",
}


def _findings(rule_id: str, sql: str, schema):
    return [f for f in analyze(sql, schema, strict=True) if f.rule_id == rule_id]


FIRE = [
    pytest.param(rule_id, sql, id=f"{rule_id}-{i}")
    for rule_id, cases in CORPUS.items()
    for i, sql in enumerate(cases["fire"])
]


@pytest.mark.parametrize(("rule_id", "sql"), FIRE)
def test_no_fix_is_the_doc_page_text(rule_id, sql):
    doc_fix = get_rule(rule_id).fix
    for schema in (shared_schema(), None):
        for finding in _findings(rule_id, sql, schema):
            assert finding.fix != doc_fix, (rule_id, sql)


@pytest.mark.parametrize(("rule_id", "sql"), FIRE)
def test_sql_shown_in_a_fix_parses(rule_id, sql):
    for schema in (shared_schema(), None):
        for finding in _findings(rule_id, sql, schema):
            for span in _CODE.findall(finding.fix):
                if _STATEMENT.match(span):
                    assert len(parse_sql(span)) == 1, (span, finding.fix)


@pytest.mark.parametrize(
    ("rule_id", "sql", "expected"),
    [
        pytest.param(rule_id, sql, expected, id=f"{rule_id}-{i}")
        for rule_id, cases in CORPUS.items()
        for i, (sql, expected) in enumerate(cases["fix_contains"].items())
    ],
)
def test_fix_names_this_querys_objects(rule_id, sql, expected):
    [finding] = _findings(rule_id, sql, shared_schema())
    for text in expected:
        assert text in finding.fix, (text, finding.fix)


def test_each_reworked_rule_pins_its_fix_with_a_case():
    assert BUILT_FROM_THE_QUERY <= {r.id for r in RULES}
    for rule_id in BUILT_FROM_THE_QUERY:
        assert CORPUS[rule_id]["fix_contains"], f"{rule_id}: add a must-fire case with fix_contains"
