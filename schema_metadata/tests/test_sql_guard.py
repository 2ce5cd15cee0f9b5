import pytest

from dbooster.errors import InvalidInput
from schema_metadata.sql_guard import parse_single_statement, refuse_utility, to_positional_params


@pytest.mark.parametrize(
    "sql, kind",
    [
        ("SELECT * FROM orders WHERE status = 'paid'", "select"),
        ("WITH t AS (SELECT 1) SELECT * FROM t", "select"),
        ("VALUES (1), (2)", "select"),
        ("INSERT INTO t VALUES (1)", "insert"),
        ("UPDATE t SET a = 1", "update"),
        ("DELETE FROM t", "delete"),
        ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", "merge"),
        # A data-changing CTE makes the statement data-changing, whatever its outer SELECT.
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d", "delete"),
        ("WITH u AS (UPDATE t SET a = 2 RETURNING *) SELECT * FROM u", "update"),
        ("DROP TABLE orders", "utility"),
        ("VACUUM orders", "utility"),
        ("EXPLAIN SELECT 1", "utility"),
        ("SELECT 1 INTO new_table", "utility"),
        ("COMMIT", "utility"),
    ],
)
def test_kinds(sql, kind):
    assert parse_single_statement(sql)[1] == kind


@pytest.mark.parametrize("sql", ["SELECT 1; DROP TABLE x", "SELECT 1; SELECT 2;", "BEGIN; DELETE FROM t; COMMIT"])
def test_more_than_one_statement_is_refused(sql):
    with pytest.raises(InvalidInput, match="exactly one statement"):
        parse_single_statement(sql)


@pytest.mark.parametrize("sql", ["", "   ", "-- only a comment"])
def test_empty_is_refused(sql):
    with pytest.raises(InvalidInput, match="exactly one"):
        parse_single_statement(sql)


def test_unparsable_names_the_place():
    with pytest.raises(InvalidInput, match='syntax error at or near "FORM"'):
        parse_single_statement("SELECT * FORM orders")


def test_trailing_semicolon_is_one_statement():
    assert parse_single_statement("SELECT 1;")[1] == "select"


@pytest.mark.parametrize(
    "sql, message",
    [
        ("DROP TABLE orders", "utility or DDL statement (DropStmt)"),
        ("EXPLAIN ANALYZE SELECT 1", "without EXPLAIN"),
        ("SELECT * INTO copy FROM orders", "creates a table"),
    ],
)
def test_utility_refusal_says_why(sql, message):
    stmt, kind = parse_single_statement(sql)
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        refuse_utility(stmt, kind)


@pytest.mark.parametrize(
    "sql, expected, count",
    [
        ("SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = $1 AND b = $2", 2),
        ("SELECT * FROM t WHERE a = %s AND b = %s", "SELECT * FROM t WHERE a = $1 AND b = $2", 2),
        (
            "SELECT * FROM t WHERE a = %(x)s OR b = %(x)s AND c = %(y)s",
            "SELECT * FROM t WHERE a = $1 OR b = $1 AND c = $2",
            2,
        ),
        ("SELECT * FROM t WHERE a = ? AND b IN (?, ?)", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)", 3),
        ("SELECT * FROM t WHERE a = :id AND b > :id", "SELECT * FROM t WHERE a = $1 AND b > $1", 1),
        # Casts, slices, the jsonb ? operators, literals and comments are not placeholders.
        (
            "SELECT a::int, b[1:2] FROM t WHERE j ? 'k' AND j ?| array['x']",
            "SELECT a::int, b[1:2] FROM t WHERE j ? 'k' AND j ?| array['x']",
            0,
        ),
        ("SELECT ':x ? %s', \"odd:name\" FROM t -- :y ?", "SELECT ':x ? %s', \"odd:name\" FROM t -- :y ?", 0),
        ("SELECT $$ :x $$ FROM t WHERE a = :x", "SELECT $$ :x $$ FROM t WHERE a = $1", 1),
        ("SELECT * FROM t WHERE a LIKE 'x%%' AND b = %s", "SELECT * FROM t WHERE a LIKE 'x%' AND b = $1", 1),
        ("SELECT 7 % 3", "SELECT 7 % 3", 0),
        ("UPDATE t SET a = ? WHERE id = ? RETURNING a", "UPDATE t SET a = $1 WHERE id = $2 RETURNING a", 2),
        ("SELECT * FROM t WHERE a = $1 AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2", 2),
    ],
)
def test_placeholders_become_positional(sql, expected, count):
    assert to_positional_params(sql) == (expected, count)
    parse_single_statement(expected)  # and PostgreSQL's parser accepts the result
