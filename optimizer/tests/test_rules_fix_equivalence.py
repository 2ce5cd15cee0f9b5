"""A fix the rules write for the query in front of the user returns the same rows as the query, on PostgreSQL.

date-function-equality rewrites `date_trunc('day', at) = ...`, `at::date > ...` or `extract(year FROM at) = ...`
as a range on the bare column; each range is run against the original condition on timestamps that straddle
day and year boundaries, in a session time zone that is not UTC.
"""

import re

import psycopg
import pytest

from optimizer.rules import SchemaInfo, analyze

SCHEMA = SchemaInfo.from_dict(
    {
        "tables": {
            "visits": {"columns": {"id": "integer", "at": "timestamp with time zone", "d": "date", "ts": "timestamp"}}
        }
    }
)
CONDITIONS = [
    "date_trunc('day', at) = '2024-03-10'",
    "date_trunc('month', at) = '2024-02-01'",
    "at::date = '2024-03-10'",
    "date(at) > '2024-12-30'",
    "date(at) <= '2024-01-01'",
    "'2024-03-10' < at::date",
    "date(at) >= current_date - 4000",
    "extract(year FROM at) = 2024",
    "extract(year FROM v.at) < 2024",
    "date_part('year', at) >= 2025",
    "d::date = '2024-02-29'",
]


@pytest.fixture
def visits(scratch_database):
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(
            """
            CREATE TABLE visits (id int PRIMARY KEY, at timestamptz NOT NULL, d date NOT NULL, ts timestamp);
            INSERT INTO visits
            SELECT g, timestamptz '2023-12-25 00:00+00' + g * interval '37 minutes 13 seconds',
                   date '2023-12-25' + g / 50, timestamp '2023-12-25' + g * interval '37 minutes'
            FROM generate_series(1, 40000) g;
            """
        )
    return scratch_database


def _fix_condition(query: str) -> str:
    [finding] = [f for f in analyze(query, SCHEMA, strict=True) if f.rule_id == "date-function-equality"]
    [code] = re.findall(r"`([^`]+)`", finding.fix)
    assert "CREATE INDEX" not in code, finding.fix
    return code


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_range_returns_the_same_rows(visits, condition):
    query = f"SELECT id FROM visits v WHERE {condition}"
    fixed = _fix_condition(query)
    with psycopg.connect(visits) as conn:
        conn.execute("SET TIME ZONE 'America/Sao_Paulo'")
        original = conn.execute(f"{query} ORDER BY id").fetchall()
        rewritten = conn.execute(f"SELECT id FROM visits v WHERE {fixed} ORDER BY id").fetchall()
    assert original, condition  # a condition that matches nothing would prove nothing
    assert rewritten == original, (condition, fixed)


@pytest.mark.parametrize(
    "condition",
    [
        "extract(month FROM at) = 3",
        "date_part('dow', at) = 0",
        "extract(month FROM ts) = 3",
        "date_trunc('day', at) > '2024-03-10'",
    ],
)
def test_a_condition_with_no_range_gets_an_expression_index_that_postgresql_builds_and_uses(visits, condition):
    query = f"SELECT id FROM visits WHERE {condition}"
    [finding] = [f for f in analyze(query, SCHEMA) if f.rule_id == "date-function-equality"]
    index, *expression = re.findall(r"`([^`]+)`", finding.fix)
    assert index.startswith("CREATE INDEX CONCURRENTLY ON visits ((")
    # the condition as the fix says to write it: on the indexed expression when it differs from the query's
    where = condition if not expression else condition.replace(condition.rsplit(" ", 2)[0], expression[0], 1)
    with psycopg.connect(visits, autocommit=True) as conn:
        conn.execute(index)  # PostgreSQL accepts it: the expression is immutable
        conn.execute("ANALYZE visits")
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(f"EXPLAIN (FORMAT JSON) SELECT id FROM visits WHERE {where}").fetchone()[0]
    assert "Index" in str(plan), (finding.fix, plan)
