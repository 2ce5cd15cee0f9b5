"""Gaps the advisor corpus found, each on a real planner (PostgreSQL 15 + HypoPG): a skewed parameter, a DML
statement's subquery, a small table scanned whole, and candidates nothing can measure."""

import psycopg
import pytest

from optimizer import advisor
from optimizer.query_shape import select_shapes

# A few sites take most visits (as umami's websites do): site 1 alone holds half of them. The statistics target
# makes ANALYZE read every row (300 x 1000 > 200,000), so the frequency it records is exactly 50%, not a sample's.
SKEWED_VISITS = """
CREATE TABLE visits (id bigserial PRIMARY KEY, site_id int NOT NULL, kind text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO visits (site_id, kind, created_at)
SELECT CASE WHEN g % 2 = 0 THEN 1 ELSE 2 + g % 399 END, CASE WHEN g % 100 = 0 THEN 'download' ELSE 'view' END,
       '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 200000) g;
CREATE INDEX visits_site_created_kind ON visits (site_id, created_at, kind);
ALTER TABLE visits ALTER site_id SET STATISTICS 1000;
VACUUM ANALYZE visits;
"""
SKEWED_QUERY = "SELECT count(*) FROM visits WHERE kind = 'download' AND site_id = $1"


def _advise(url, query, **kwargs):
    with psycopg.connect(url) as conn:
        try:
            return advisor.advise(conn, query, **kwargs)
        finally:
            conn.rollback()


def _run(url, script):
    """Each statement on its own (VACUUM refuses to run inside the implicit transaction of a batch)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)


@pytest.mark.hypopg
def test_a_skewed_parameter_is_planned_for_its_heaviest_call_too(hypopg_database):
    _run(hypopg_database, SKEWED_VISITS)
    result = _advise(hypopg_database, SKEWED_QUERY)
    # The generic plan costs the average site (250 visits, cheap through the existing index); the call for site 1
    # reads 100,000 index entries to count 1,000 downloads. An index that seeks on both columns serves both.
    [index] = result.suggestions
    assert set(index.candidate.keys) == {"site_id", "kind"}, index.sql
    assert any("heaviest" in n and "site_id = '1' (50% of the rows)" in n for n in result.notes), result.notes


@pytest.mark.hypopg
def test_without_the_heaviest_call_the_skewed_parameter_looks_cheap(hypopg_database, monkeypatch):
    # The same statement planned only generically (what the advisor did before): it looks already served.
    _run(hypopg_database, SKEWED_VISITS)
    monkeypatch.setattr(advisor, "skewed_call", lambda conn, query: None)
    assert _advise(hypopg_database, SKEWED_QUERY).suggestions == []


@pytest.mark.hypopg
def test_a_delete_s_subquery_is_advised_like_the_select_it_is(hypopg_database):
    _run(hypopg_database, "CREATE INDEX orders_by_customer ON orders (customer_id); VACUUM ANALYZE orders")
    query = (
        "DELETE FROM orders WHERE customer_id IN "
        "(SELECT id FROM customers WHERE created_at BETWEEN '2024-01-05' AND '2024-01-05 06:00')"
    )
    result = _advise(hypopg_database, query)
    # Deleting the orders through orders_by_customer costs the same whatever customers gets: the subquery's scan of
    # customers is what an index on created_at saves, as it would for the SELECT alone.
    [index] = result.suggestions
    assert (index.candidate.table, index.candidate.keys[0]) == ("customers", "created_at"), index.sql
    statement_gain = (index.cost_before - index.cost_after) / index.cost_before
    assert statement_gain < 0.2  # under the usual margin for the statement as a whole: read on its part instead
    subquery = _advise(hypopg_database, query.split(" IN ", 1)[1].strip("()"))
    assert [s.candidate.keys[0] for s in subquery.suggestions] == ["created_at"]


@pytest.mark.hypopg
def test_a_lookup_in_a_small_table_scanned_whole_is_still_advised(hypopg_database):
    # 4,000 tracks, as in chinook: the scan costs under a hundred, the lookup of a few rows a tenth of it.
    _run(
        hypopg_database,
        """CREATE TABLE tracks (id int PRIMARY KEY, composer text, name text NOT NULL);
           INSERT INTO tracks SELECT g, 'Composer ' || g / 5, 'Track ' || g FROM generate_series(1, 4000) g;
           VACUUM ANALYZE tracks;""",
    )
    result = _advise(hypopg_database, "SELECT * FROM tracks WHERE composer = 'Composer 42'")
    assert result.cost_before < 100
    [index] = result.suggestions
    assert index.candidate.keys == ("composer",)
    # A table under min_rows is still tiny: nothing to gain there.
    tiny = _advise(hypopg_database, "SELECT * FROM countries WHERE name = 'Israel'")
    assert tiny.suggestions == []


@pytest.mark.hypopg
def test_an_unselective_btree_is_rejected_with_its_reason_where_it_can_be_measured(hypopg_database):
    # orders.status has three values: `status = $1` keeps a third of the table, where a scan is as good.
    result = _advise(hypopg_database, "SELECT id, total FROM orders WHERE status = 'pending'")
    assert not any(s.candidate.keys == ("status",) for s in result.suggestions)
    reasons = [r["reason"] for r in result.rejected if r["index"].endswith("ON public.orders (status)")]
    assert reasons and "generic form keeps about 33% of the rows" in reasons[0]


def test_order_by_an_output_alias_or_an_ordinal_reaches_the_column():
    [aliased] = select_shapes("SELECT rental_id, rental_date AS d FROM rental WHERE customer_id = 42 ORDER BY d DESC")
    assert [(s.column, s.descending) for s in aliased.order_by] == [("rental_date", True)]
    [ordinal] = select_shapes("SELECT r.staff_id, count(*) FROM rental r GROUP BY 1 ORDER BY 1")
    assert [(g.alias, g.column) for g in ordinal.group_by] == [("r", "staff_id")]
    assert [(s.alias, s.column) for s in ordinal.order_by] == [("r", "staff_id")]
    # A name that is a column and no output's alias stays the column.
    [plain] = select_shapes("SELECT id AS x FROM rental ORDER BY rental_date")
    assert [s.column for s in plain.order_by] == ["rental_date"]
