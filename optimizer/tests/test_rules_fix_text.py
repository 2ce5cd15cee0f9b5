"""A finding's fix speaks of the query at hand: the rule's generic example stays on its doc page."""

from __future__ import annotations

import re

import pytest
from pglast import keywords

from optimizer.rules import SchemaInfo, analyze, get_rule
from optimizer.tests.corpus import load_corpus, shared_schema

CORPUS = load_corpus()
_SQL_WORDS = {
    w.lower()
    for w in (
        *keywords.RESERVED_KEYWORDS,
        *keywords.UNRESERVED_KEYWORDS,
        *keywords.COL_NAME_KEYWORDS,
        *keywords.TYPE_FUNC_NAME_KEYWORDS,
    )
}
# PostgreSQL's own vocabulary, not names from anyone's schema.
_POSTGRES_WORDS = {"gin", "gin_trgm_ops", "text_pattern_ops", "pg_trgm", "citext"}
_CODE = re.compile(r"`([^`]+)`")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


def _identifiers(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(_STRING.sub("", text))} - _SQL_WORDS


def _code_identifiers(text: str) -> set[str]:
    return set().union(*(_identifiers(span) for span in _CODE.findall(text))) if text else set()


def _leaks(rule_id: str, sql: str) -> list[tuple[str, set[str]]]:
    rule = get_rule(rule_id)
    # Names the doc page uses for its own example: they must not turn up in a finding about another query.
    doc_names = _code_identifiers(rule.fix) | _identifiers(rule.example) | _identifiers(rule.better)
    out = []
    for finding in analyze(sql, shared_schema(), strict=True):
        if finding.rule_id != rule_id:
            continue
        # The query's own words, and the columns of the tables it names (an INSERT's column list).
        known = _identifiers(sql) | _POSTGRES_WORDS
        for name, table in shared_schema().tables.items():
            if name in known:
                known |= set(table.columns)
        leaked = (_code_identifiers(finding.fix) & doc_names) - known
        if leaked:
            out.append((finding.fix, leaked))
    return out


@pytest.mark.parametrize(
    ("rule_id", "sql"),
    [
        pytest.param(rule_id, sql, id=f"{rule_id}-{i}")
        for rule_id, cases in CORPUS.items()
        for i, sql in enumerate(cases["fire"])
    ],
)
def test_fix_names_only_what_the_query_has(rule_id, sql):
    assert _leaks(rule_id, sql) == []


def test_seed_query_fix_names_its_table_and_column():
    # The demo shop as a new user has it: no index on orders.status.
    schema = SchemaInfo.from_dict(
        {
            "tables": {
                "orders": {
                    "columns": {"id": "bigint", "customer_id": "bigint", "status": "text", "total": "numeric"},
                    "indexes": [{"name": "orders_pkey", "columns": ["id"], "unique": True}],
                    "row_estimate": 1_000_000,
                }
            }
        }
    )
    sql = "SELECT * FROM orders WHERE status = 'paid'"
    finding = next(f for f in analyze(sql, schema) if f.rule_id == "filter-without-index")
    assert finding.message == "No index on orders serves this filter on status: the table is scanned."
    assert "`CREATE INDEX CONCURRENTLY ON orders (status)`" in finding.fix
    assert "`CREATE INDEX CONCURRENTLY ON orders (status) WHERE status = 'paid'`" in finding.fix
    assert "note" not in finding.fix
    # The doc page keeps the rule's own example.
    assert "orders (note)" in get_rule("filter-without-index").fix


def test_select_star_fix_lists_the_tables_columns():
    sql = "SELECT * FROM orders WHERE status = 'paid'"
    [star] = [f for f in analyze(sql, None) if f.rule_id == "select-star"]
    assert star.fix == "List the columns the caller uses from orders, not *."
    [star] = [f for f in analyze(sql, shared_schema()) if f.rule_id == "select-star"]
    assert star.fix.startswith("List the columns the caller uses from orders (id, customer_id, status, total,")
