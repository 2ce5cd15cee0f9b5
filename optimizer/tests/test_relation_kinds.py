"""Every relation kind and statement kind through /query/optimize and the workload page: views, catalogs,
partitions, foreign tables and DML never answer a 500, and get advice on the tables that can carry an index."""

import psycopg
import pytest

from dbooster.testing import RESET_THIS_DATABASE_STATEMENTS
from optimizer import advisor, workload
from optimizer.models import WorkloadImport
from optimizer.tests.conftest import forget_the_load, vacuum_away_dead_rows
from optimizer.tests.test_pages import _session

VIEW_SQL = """
CREATE VIEW recent_orders AS SELECT id, customer_id, status, created_at, total FROM orders WHERE status <> 'failed';
CREATE MATERIALIZED VIEW order_days AS
  SELECT id, created_at::date AS day, customer_id, total FROM orders;
-- 100,000 rows: ANALYZE reads them all (300 x 400), never a sample. Autovacuum off, as on the shop's tables: its
-- lock would make a sandboxed CREATE INDEX on the view wait, and its visibility map change index-only scan costs,
-- at a moment the machine's load decides.
ALTER MATERIALIZED VIEW order_days ALTER id SET STATISTICS 400;
ALTER MATERIALIZED VIEW order_days SET (autovacuum_enabled = off);
ANALYZE order_days;
"""


def _add_views(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(VIEW_SQL)
        # The view's 100,000 rows are counted now, before a test resets the counters; left to this backend's
        # next flush or its exit, they could land after the reset and weigh as writes on order_days.
        conn.execute("SELECT pg_stat_force_next_flush()")


@pytest.mark.django_db(transaction=True)
def test_optimize_a_query_reading_a_view_advises_on_its_base_table(
    member_client, project, connection_for, shop_database
):
    _add_views(shop_database)
    connection_for(shop_database)
    payload = {"query": "SELECT * FROM recent_orders WHERE customer_id = 42", "project": project.pk, "ai": False}
    response = member_client.post("/query/optimize", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plan_status"] == "planned"
    [index] = [s for s in body["suggestions"] if s["kind"] == "index"]
    assert "ON public.orders (customer_id" in index["sql"] and index["verified"]
    assert "through view public.recent_orders" in index["rationale"]


@pytest.mark.django_db(transaction=True)
def test_optimize_a_catalog_query_says_it_is_skipped(member_client, project, connection_for, shop_database):
    connection_for(shop_database)
    payload = {"query": "SELECT * FROM pg_tables WHERE tablename = 'orders'", "project": project.pk, "ai": False}
    response = member_client.post("/query/optimize", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [s for s in body["suggestions"] if s["kind"] == "index"] == []
    assert any("pg_catalog.pg_class is a system catalog" in n for n in body["notes"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "query, key",
    [
        ("UPDATE orders SET status = 'failed' WHERE customer_id = 42", "customer_id"),
        ("DELETE FROM orders WHERE created_at < '2024-01-01 01:00'", "created_at"),
        ("SELECT id FROM orders WHERE customer_id = 7 FOR UPDATE", "customer_id"),
    ],
)
def test_optimize_data_changing_statements_gets_index_advice(
    member_client, project, connection_for, shop_database, query, key
):
    connection_for(shop_database)
    response = member_client.post(
        "/query/optimize", {"query": query, "project": project.pk, "ai": False}, format="json"
    )
    assert response.status_code == 201, response.content
    [index] = [s for s in response.json()["suggestions"] if s["kind"] == "index"]
    assert f"ON public.orders ({key}" in index["sql"]
    with psycopg.connect(shop_database) as conn:  # nothing was changed on the target
        assert conn.execute("SELECT count(*) FROM orders WHERE status = 'failed'").fetchone()[0] == 9000


@pytest.mark.django_db(transaction=True)
def test_workload_page_with_view_catalog_and_dml_statements(member, project, connection_for, shop_database):
    _add_views(shop_database)
    connection_for(shop_database)
    with psycopg.connect(shop_database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute(RESET_THIS_DATABASE_STATEMENTS)
        forget_the_load(conn)
        for i in range(40):
            conn.execute("SELECT * FROM recent_orders WHERE customer_id = %s", [i])
            conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", ["public"])
            conn.execute("UPDATE orders SET total = total WHERE customer_id = %s", [20000 - i])
            conn.execute("SELECT day, total FROM order_days WHERE day = %s::date", ["2024-01-02"])
        # The UPDATEs' rows are in pg_stat_user_tables before the page reads them (the write cost it weighs), not
        # whenever this backend's next flush or exit comes.
        conn.execute("SELECT pg_stat_force_next_flush()")
        # The sandbox's orders index must be visible to the transaction that builds it: see vacuum_away_dead_rows
        # (test_sandbox_hidden_index.py covers the advice when it is not).
        vacuum_away_dead_rows(conn, "orders")
    client = _session(member)
    response = client.post("/app/workload/", {"project": project.pk, "budget_mb": 100, "max_indexes": 5})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    assert page.status_code == 200
    advice = WorkloadImport.objects.get().advice
    skipped = {s["query"]: s["reason"] for s in advice["skipped"]}
    assert any("pg_tables" in q and "system catalogs" in r for q, r in skipped.items())
    assert "reads only system catalogs" in page.content.decode()
    # The view's and the UPDATE's statements are planned, not skipped; the materialized view gets its index.
    planned = {q["query"] for q in advice["queries"]}
    assert any("recent_orders" in q for q in planned) and any(q.startswith("UPDATE orders") for q in planned), planned
    assert advice["not_measured"] == [], advice["not_measured"]
    # The orders index, reached through the view, serves the view's statement and the UPDATE's; the materialized
    # view gets its own.
    by_table = {i["table"]: i for i in advice["indexes"]}
    assert set(by_table) == {"public.orders", "public.order_days"}, advice["indexes"]
    assert "ON public.orders (customer_id" in by_table["public.orders"]["sql"]
    served = {q["query"] for q in advice["queries"] if q["position"] in by_table["public.orders"]["serves"]}
    assert any("recent_orders" in q for q in served) and any(q.startswith("UPDATE orders") for q in served), served


@pytest.mark.django_db
def test_one_bad_statement_never_sinks_a_workload(hypopg_database):
    items = [
        workload.WorkloadItem("SELECT * FROM no_such_table WHERE id = $1", 50.0),
        workload.WorkloadItem("SELECT * FROM orders WHERE customer_id = $1", 100.0),
        workload.WorkloadItem("SELECT relname FROM pg_class WHERE relname = $1", 80.0),
    ]
    with psycopg.connect(hypopg_database) as conn:
        advice = workload.advise_workload(conn, items, write_cost_ms_per_row=0)
    reasons = {s["position"]: s["reason"] for s in advice["skipped"]}
    assert "no_such_table" in reasons[0] and "system catalogs" in reasons[2]
    assert [i["table"] for i in advice["indexes"]] == ["public.orders"]


PARTS_SQL = """
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE events_2024h1 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE events_2024h2 PARTITION OF events FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
INSERT INTO events SELECT g, '2024-01-01'::date + g % 360, 'k' || g % 500, '{}' FROM generate_series(1, 60000) g;
CREATE EXTENSION postgres_fdw;
CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
CREATE FOREIGN TABLE remote_orders (id bigint, customer_id bigint) SERVER elsewhere;
-- Each partition holds about 30,000 rows, the parent 60,000: ANALYZE reads them all (300 x 300), never a sample.
ALTER TABLE events ALTER id SET STATISTICS 300;
ANALYZE events;
"""


@pytest.mark.django_db
def test_partitioned_table_gets_per_partition_ddl_that_runs(hypopg_database):
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        conn.execute(PARTS_SQL)
    with psycopg.connect(hypopg_database) as conn:
        result = advisor.advise(conn, "SELECT id FROM events WHERE kind = $1")
        conn.rollback()
        foreign = advisor.advise(conn, "SELECT id FROM remote_orders WHERE customer_id = 3")
        conn.rollback()
    [advice] = result.suggestions
    ddl = advice.sql
    assert advice.candidate.table == "events" and "ON ONLY public.events" in ddl
    assert ddl.count("CREATE INDEX CONCURRENTLY") == 2 and ddl.count("ATTACH PARTITION") == 2
    assert foreign.suggestions == [] and any("foreign table" in n for n in foreign.notes)
    # Every statement runs as written (CONCURRENTLY needs autocommit), and the parent's index ends valid.
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        valid = _run_and_check_valid(conn, ddl, advice.candidate.name)
    assert valid


def _run_and_check_valid(conn, ddl: str, index_name: str) -> bool:
    """Run the advice's DDL statement by statement (CONCURRENTLY needs autocommit); is the parent's index valid?"""
    for statement in ddl.rstrip(";").split(";\n"):
        conn.execute(statement)
    query = "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass"
    return conn.execute(query, [f"public.{index_name}"]).fetchone()[0]


@pytest.mark.django_db
def test_partitions_own_indexes_are_attached_not_rebuilt_or_duplicated(hypopg_database):
    """Indexed partition by partition with one partition left out (pagila's payment): the parent's index attaches
    the partition's equal index and builds only the missing one; no INCLUDE variant duplicates the keys."""
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        conn.execute(PARTS_SQL)
        conn.execute("CREATE INDEX events_h1_kind ON events_2024h1 (kind)")
    with psycopg.connect(hypopg_database) as conn:
        result = advisor.advise(conn, "SELECT id, at FROM events WHERE kind = $1")
        conn.rollback()
    [advice] = result.suggestions
    assert advice.candidate.keys == ("kind",) and not advice.candidate.include, advice.sql
    assert any("partitions already index these keys (events_h1_kind" in r["reason"] for r in result.rejected)
    ddl = advice.sql
    assert ddl.count("CREATE INDEX CONCURRENTLY") == 1 and "ON public.events_2024h2 (kind)" in ddl
    assert "ATTACH PARTITION public.events_h1_kind" in ddl
    with psycopg.connect(hypopg_database, autocommit=True) as conn:
        valid = _run_and_check_valid(conn, ddl, advice.candidate.name)
        h1_indexes = conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'events_2024h1'::regclass").fetchone()
        # Every partition with its own index and none on the parent: nothing to propose, and the reason says so.
        conn.execute(f"DROP INDEX public.{advice.candidate.name}")  # and the partitions' indexes attached to it
        conn.execute("CREATE INDEX events_h1_kind ON events_2024h1 (kind)")
        conn.execute("CREATE INDEX events_h2_kind ON events_2024h2 (kind)")
    assert valid and h1_indexes[0] == 1
    with psycopg.connect(hypopg_database) as conn:
        served = advisor.advise(conn, "SELECT id FROM events WHERE kind = $1")
        conn.rollback()
    assert served.suggestions == []
    assert any("already served on every partition" in r["reason"] for r in served.rejected), served.rejected
