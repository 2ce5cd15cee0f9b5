"""Plan warnings that are true of the plan shown, on plans PostgreSQL produced for pagila and northwind.

The foreign keys passed to the analyser are those the catalog reader finds (the explain page's source), so
`rental.customer_id` (pagila) and `orders.customer_id` (northwind) really have no index. Every assertion is on
plan structure, loops and row counts: nothing here depends on how fast the machine is.
"""

import uuid

import psycopg
import pytest

from schema_metadata.catalog import read_catalog
from schema_metadata.plan import summarize
from schema_metadata.tests.conftest import DATASETS, load_sql_file

pytestmark = pytest.mark.xdist_group("pg_datasets")
NO_HASH_OR_MERGE = (
    "SET enable_hashjoin = off",
    "SET enable_mergejoin = off",
    "SET max_parallel_workers_per_gather = 0",
)


@pytest.fixture(scope="module")
def dataset(django_db_blocker):
    from conftest import _admin_conninfo, url_for_database

    names = {}

    def load(which):
        if which not in names:
            name = f"scratch_plan_{which}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            load_sql_file(url_for_database(name), DATASETS / f"{which}.sql")
            with psycopg.connect(url_for_database(name), autocommit=True) as conn:
                conn.execute("ANALYZE")
            names[which] = name
        return url_for_database(names[which])

    yield load
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _explain(url, query, *settings, analyze=True):
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    with psycopg.connect(url) as conn:
        for setting in settings:
            conn.execute(setting)
        plan = conn.execute(f"EXPLAIN ({options}) {query}").fetchone()[0]
        foreign_keys = [
            {
                "table": fk["table_name"],
                "columns": fk["columns"],
                "referred_table": fk["referred_table"],
                "has_index": fk["has_index"],
            }
            for fk in read_catalog(conn).foreign_keys
        ]
        conn.rollback()
    return plan, foreign_keys


def _unindexed(foreign_keys, table, column):
    [fk] = [fk for fk in foreign_keys if fk["table"] == table and fk["columns"] == [column]]
    assert fk["has_index"] is False  # the dataset as published: no index leads with this column
    return fk


def _node(summary, **match):
    return next(n for n in summary["nodes"] if all(n[k] == v for k, v in match.items()))


def _warnings(summary, kind):
    return [w for w in summary["warnings"] if w["kind"] == kind]


# --- foreign-key index advice --------------------------------------------------------------------


def test_no_fk_advice_for_the_probe_side_of_a_hash_join(dataset):
    url = dataset("northwind")
    query = "SELECT o.order_id, c.company_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id"
    plan, fks = _explain(url, query, "SET max_parallel_workers_per_gather = 0")
    _unindexed(fks, "orders", "customer_id")
    summary = summarize(plan, foreign_keys=fks)
    join = _node(summary, node_type="Hash Join")
    probe = next(n for n in summary["nodes"] if n["parent_id"] == join["id"])
    assert probe["relation"] == "orders"  # orders is read once, in full, and probes the hash of customers
    assert _warnings(summary, "unindexed_foreign_key") == []


def test_no_fk_advice_for_the_outer_side_of_a_nested_loop(dataset):
    url = dataset("pagila")
    query = (
        "SELECT r.rental_id, c.email FROM rental r JOIN customer c ON c.customer_id = r.customer_id "
        "WHERE r.rental_date >= '2022-08-23'"
    )
    # (No Memoize: the inner index scan's condition sits right under the loop, where it names r.customer_id.)
    plan, fks = _explain(url, query, *NO_HASH_OR_MERGE, "SET enable_memoize = off")
    _unindexed(fks, "rental", "customer_id")
    summary = summarize(plan, foreign_keys=fks)
    loop = _node(summary, node_type="Nested Loop")
    outer, inner = [n for n in summary["nodes"] if n["parent_id"] == loop["id"]]
    assert outer["relation"] == "rental" and "customer_pkey" in str(
        inner["index"] or _node(summary, relation="customer")
    )
    assert _warnings(summary, "unindexed_foreign_key") == []


def test_fk_advice_for_the_inner_side_of_a_nested_loop(dataset):
    url = dataset("pagila")
    query = (
        "SELECT c.email, r.rental_date FROM customer c JOIN rental r ON r.customer_id = c.customer_id "
        "WHERE c.customer_id <= 3"
    )
    plan, fks = _explain(url, query, *NO_HASH_OR_MERGE)
    summary = summarize(plan, foreign_keys=fks)
    loop = _node(summary, node_type="Nested Loop")
    outer, inner = [n for n in summary["nodes"] if n["parent_id"] == loop["id"]]
    # rental is read on the inner side, through no index that leads with customer_id
    assert outer["relation"] == "customer" and _node(summary, relation="rental")["id"] >= inner["id"]
    [warning] = _warnings(summary, "unindexed_foreign_key")
    assert warning["table"] == "rental" and warning["columns"] == ["customer_id"]
    assert "CREATE INDEX ON rental (customer_id)" in warning["message"]


# --- nested loops ---------------------------------------------------------------------------------


def test_an_inner_index_scan_gets_no_advice_to_index_the_inner_column(dataset):
    url = dataset("pagila")
    query = "SELECT count(*) FROM rental r JOIN customer c ON c.customer_id = r.customer_id"
    plan, _ = _explain(url, query, *NO_HASH_OR_MERGE)
    summary = summarize(plan)
    [warning] = _warnings(summary, "nested_loop_loops")
    assert warning["loops"] == 16044 and warning["inner_index"] == "customer_pkey"
    assert "index on the inner join column" not in warning["message"]
    assert "through customer_pkey 16,044 times" in warning["message"]


def test_an_inner_seq_scan_still_gets_the_index_advice(dataset):
    url = dataset("pagila")
    query = "SELECT count(*) FROM rental r JOIN customer c ON c.customer_id = r.customer_id"
    settings = (
        *NO_HASH_OR_MERGE,
        "SET enable_indexscan = off",
        "SET enable_bitmapscan = off",
        "SET enable_memoize = off",
    )
    plan, _ = _explain(url, query, *settings, analyze=False)
    summary = summarize(plan)
    [warning] = _warnings(summary, "nested_loop_loops")
    assert warning["inner_index"] is None and warning["loops"] >= 16000
    assert "index on the inner join column" in warning["message"]


def test_loops_under_a_limit_are_not_a_problem(dataset):
    url = dataset("pagila")
    query = "SELECT r.rental_id, c.email FROM rental r JOIN customer c ON c.customer_id = r.customer_id LIMIT 10"
    settings = (
        *NO_HASH_OR_MERGE,
        "SET enable_indexscan = off",
        "SET enable_bitmapscan = off",
        "SET enable_memoize = off",
    )
    plan, _ = _explain(url, query, *settings, analyze=False)
    summary = summarize(plan)
    limit, loop = summary["nodes"][0], summary["nodes"][1]
    assert limit["node_type"] == "Limit" and loop["node_type"] == "Nested Loop"
    # The planner's outer estimate is the whole table, but the LIMIT stops the loop after 10 rows.
    outer = next(n for n in summary["nodes"] if n["parent_id"] == loop["id"])
    assert outer["estimated_rows"] >= 16000
    assert _warnings(summary, "nested_loop_loops") == []
    # Without the LIMIT the same loop is flagged.
    unlimited, _ = _explain(url, query.removesuffix(" LIMIT 10"), *settings, analyze=False)
    assert _warnings(summarize(unlimited), "nested_loop_loops")


def test_rows_cut_short_by_a_limit_are_no_misestimate(dataset):
    url = dataset("pagila")
    plan, _ = _explain(url, "SELECT * FROM rental ORDER BY rental_date LIMIT 5")
    summary = summarize(plan)
    scan = summary["nodes"][1]
    assert scan["estimated_rows"] == 16044 and scan["actual_rows"] == 5  # stopped by the LIMIT, as planned
    assert _warnings(summary, "row_misestimate") == []


def test_a_sort_under_a_limit_reads_all_its_input(dataset):
    # Limit -> Sort -> scan: the sort consumes every row, so the scan below it is not cut short by the LIMIT
    # and a nested loop there runs in full: its loops are still reported.
    url = dataset("pagila")
    query = (
        "SELECT r.rental_id, c.email FROM rental r JOIN customer c ON c.customer_id = r.customer_id "
        "ORDER BY c.email, r.rental_id LIMIT 10"
    )
    settings = (
        *NO_HASH_OR_MERGE,
        "SET enable_indexscan = off",
        "SET enable_bitmapscan = off",
        "SET enable_memoize = off",
    )
    plan, _ = _explain(url, query, *settings, analyze=False)
    summary = summarize(plan)
    assert [n["node_type"] for n in summary["nodes"][:3]] == ["Limit", "Sort", "Nested Loop"]
    assert _warnings(summary, "nested_loop_loops")
