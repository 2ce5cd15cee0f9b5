"""Every migration-safety rule against its own must-fire and must-not cases, and the registry's shape."""

import re
from pathlib import Path

import pytest
from pglast import parse_sql
from pglast.parser import ParseError

from migration_safety import all_rules, review, rule_by_id
from migration_safety.cases import CASE_FACTS
from migration_safety.model import SEVERITIES, CodeQuery, Facts

RULES = all_rules()


def _fired(rule_id: str, sql: str):
    return [f for f in review(sql, CASE_FACTS).findings if f.rule == rule_id]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_fires_on_each_must_fire_case(rule):
    assert rule.must_fire, f"{rule.id} has no must-fire case"
    for case in rule.must_fire:
        assert _fired(rule.id, case), f"{rule.id} did not fire on: {case}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_silent_on_each_must_not_case(rule):
    assert rule.must_not, f"{rule.id} has no must-not case"
    for case in rule.must_not:
        assert not _fired(rule.id, case), f"{rule.id} fired on: {case}"


def test_at_least_25_rules_each_in_a_file_named_for_its_id():
    assert len(RULES) >= 25
    files = {p.stem for p in (Path(__file__).parents[1] / "rules").glob("*.py")} - {"__init__"}
    assert files == {r.id.replace("-", "_") for r in RULES}
    for rule in RULES:
        assert rule.severity in SEVERITIES and rule.title and len(rule.why) > 40
        assert rule_by_id(rule.id) is rule
    assert rule_by_id("no-such-rule") is None


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_sql_rewrite_the_rules_offer_parses(rule):
    """A `safer` text is either SQL that PostgreSQL's parser accepts, or a sentence (no half-SQL)."""
    for case in rule.must_fire:
        for finding in _fired(rule.id, case):
            safer = finding.safer
            assert safer, f"{rule.id} gives no safer way for: {case}"
            if re.match(r"^(CREATE|ALTER|DROP|SET|REFRESH|REINDEX)\b", safer):
                sql = re.sub(r"<[^>]+>", "x", safer) if "<" in safer else safer
                sql = sql.replace("<type>", "text")
                parse_sql(re.sub(r"\bx\b", "text", sql) if "ADD COLUMN" in sql else sql)


def test_findings_name_the_objects_of_the_statement_in_front_of_them():
    finding = _fired("setting-column-not-null", "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;")[0]
    assert "customers.email" in finding.message
    assert "ADD CONSTRAINT email_not_null CHECK (email IS NOT NULL) NOT VALID" in finding.safer


def test_dropping_a_column_code_still_reads_names_where_and_is_an_error():
    finding = _fired("dropping-column", "ALTER TABLE orders DROP COLUMN total;")[0]
    assert finding.severity == "error" and "app/orders.py:42" in finding.message
    unread = _fired("dropping-column", "ALTER TABLE orders DROP COLUMN legacy_flag;")[0]
    assert unread.severity == "warning" and "Code still reads" not in unread.message


def test_a_string_or_comment_mentioning_the_column_is_not_a_reader():
    facts = Facts(code_queries=[CodeQuery("a.py:1", "SELECT 'status' FROM orders -- status")])
    finding = [
        f for f in review("ALTER TABLE orders DROP COLUMN status;", facts).findings if f.rule == "dropping-column"
    ]
    assert finding[0].severity == "warning"


def test_each_statement_gets_its_lock_what_it_blocks_and_the_table_size():
    result = review(
        "SET lock_timeout = '3s';\n"
        "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n"
        "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;",
        CASE_FACTS,
    )
    setting, index, column, fk = result.statements
    assert setting.lock == "" and setting.blocks == "nothing"
    assert index.lock == "SHARE UPDATE EXCLUSIVE" and "reads and writes go on" in index.blocks
    assert column.lock == "ACCESS EXCLUSIVE" and column.rewrites_table and column.table_rows == 1_000_000
    assert fk.lock == "SHARE ROW EXCLUSIVE" and fk.tables == ("orders", "customers")
    assert result.worst == "error"
    assert result.as_dict()["statements"][1]["sql"] == "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status)"


def test_a_syntax_error_is_raised_not_reviewed():
    with pytest.raises(ParseError):
        review("ALTER TABLE orders ADD COLUMN;")
