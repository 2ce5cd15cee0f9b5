"""Schema sync: the catalog in constant queries, one-transaction snapshots, drift, the job, the API."""

import psycopg
import pytest
from django.db import connection as django_db
from django.test.utils import CaptureQueriesContext

from dbooster.testing import RESET_THIS_DATABASE_STATEMENTS, run_pending_jobs
from schema_metadata import catalog, services, target
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata, SchemaSync
from schema_metadata.signals import schema_sync_finished
from schema_metadata.tests.conftest import drop_database, run_sql, sync_paused_at_index
from tests.factories import ProjectFactory

TRICKY_SQL = """
CREATE SCHEMA sales;
CREATE SCHEMA "Audit Log";
CREATE TABLE sales."Region" ("RegionId" int, "Code" text, name text NOT NULL, PRIMARY KEY ("RegionId", "Code"));
CREATE TABLE sales.shipments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id int NOT NULL,
    region_code text NOT NULL,
    "Tracking No" varchar(40),
    weight_kg numeric(8, 3) DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    email text,
    delivered boolean DEFAULT false,
    weight_g numeric GENERATED ALWAYS AS (weight_kg * 1000) STORED,
    FOREIGN KEY (region_id, region_code) REFERENCES sales."Region" ("RegionId", "Code") ON DELETE CASCADE
);
CREATE INDEX "Ship By Region" ON sales.shipments (region_code, region_id) INCLUDE (created_at);
CREATE INDEX shipments_lower_email ON sales.shipments (lower(email));
CREATE INDEX shipments_pending ON sales.shipments (created_at) WHERE NOT delivered;
CREATE INDEX shipments_tracking_hash ON sales.shipments USING hash ("Tracking No");
CREATE TABLE "Audit Log"."Événements" (id serial PRIMARY KEY, shipment_id bigint REFERENCES sales.shipments(id), "Ça" jsonb);
CREATE VIEW sales.pending AS SELECT * FROM sales.shipments WHERE NOT delivered;
CREATE MATERIALIZED VIEW sales.per_region AS SELECT region_id, count(*) AS n FROM sales.shipments GROUP BY 1;
"""


def _sync(connection):
    sync = services.sync_request(project=connection.project, connection_id=connection.pk, defer=False)
    return services.sync_execute(sync_id=sync.pk)


def _columns(connection, table):
    return {row.column_name: row for row in SchemaMetadata.objects.filter(connection=connection, table_name=table)}


@pytest.mark.django_db
def test_sync_writes_the_seed_columns(shop_connection):
    sync = _sync(shop_connection)
    assert sync.status == "succeeded", sync.error
    assert sync.progress == 100 and sync.finished_at is not None
    orders = _columns(shop_connection, "orders")
    assert list(orders) == ["id", "customer_id", "status", "total"]
    assert orders["customer_id"].is_foreign_key and orders["customer_id"].referred_table == "customers"
    assert orders["customer_id"].referred_column == "id"
    assert orders["customer_id"].is_indexed is False  # the index a real app forgets
    assert orders["id"].is_indexed is True and orders["status"].is_indexed is False
    assert orders["total"].column_type == "numeric(10,2)" and orders["status"].column_type == "text"
    assert orders["status"].column_default == "'pending'::text" and orders["status"].is_nullable is False
    assert [c.ordinal_position for c in orders.values()] == [1, 2, 3, 4]
    table = DbTable.objects.get(connection=shop_connection, name="orders")
    assert table.kind == "table" and table.row_estimate == 20000 and table.size_bytes > 500_000
    assert table.last_analyze is not None
    fk = DbForeignKey.objects.get(connection=shop_connection, table_name="orders")
    assert fk.columns == ["customer_id"] and fk.has_index is False
    # The seed's table, with exactly its columns among ours.
    with django_db.cursor() as cur:
        cur.execute("SELECT table_name, column_name, column_type, is_indexed, is_foreign_key, referred_table, "
                    "referred_column FROM db_schema_metadata WHERE column_name = 'email'")  # fmt: skip
        assert cur.fetchall() == [("customers", "email", "text", True, False, None, None)]
    assert sync.stats["catalog_statements"] == 4 and sync.stats["tables"] == 2
    assert sync.diff["initial"] is True and sync.diff["tables"]["added"] == ["public.customers", "public.orders"]


@pytest.mark.django_db
def test_tricky_schema(shop_connection):
    run_sql(shop_connection.url, TRICKY_SQL)
    sync = _sync(shop_connection)
    assert sync.status == "succeeded", sync.error
    kinds = dict(DbTable.objects.filter(connection=shop_connection).values_list("name", "kind"))
    assert kinds["Region"] == "table" and kinds["pending"] == "view" and kinds["per_region"] == "materialized_view"
    assert kinds["Événements"] == "table"
    assert DbTable.objects.get(connection=shop_connection, name="pending").row_estimate is None

    shipments = _columns(shop_connection, "shipments")
    assert shipments["Tracking No"].column_type == "character varying(40)"
    assert shipments["id"].column_default == "GENERATED ALWAYS AS IDENTITY"
    assert shipments["weight_g"].column_default == "GENERATED ALWAYS AS ((weight_kg * (1000)::numeric)) STORED"
    assert shipments["region_id"].referred_table == "Region" and shipments["region_id"].referred_column == "RegionId"
    assert shipments["region_code"].referred_column == "Code"
    assert all(c.schema_name == "sales" for c in shipments.values())

    fk = DbForeignKey.objects.get(connection=shop_connection, table_name="shipments")
    assert fk.columns == ["region_id", "region_code"] and fk.referred_columns == ["RegionId", "Code"]
    assert fk.referred_schema == "sales" and fk.on_delete == "cascade"
    assert fk.has_index is True  # "Ship By Region" leads with the same two columns, in another order

    indexes = {i.name: i for i in DbIndex.objects.filter(connection=shop_connection, table_name="shipments")}
    by_region = indexes["Ship By Region"]
    assert by_region.columns == ["region_code", "region_id"] and by_region.include_columns == ["created_at"]
    assert by_region.definition.startswith('CREATE INDEX "Ship By Region" ON sales.shipments')
    assert indexes["shipments_lower_email"].columns == ["lower(email)"]
    assert indexes["shipments_lower_email"].expressions == "lower(email)"
    assert indexes["shipments_pending"].predicate == "(NOT delivered)"
    assert indexes["shipments_tracking_hash"].method == "hash"
    assert indexes["shipments_pkey"].is_primary and indexes["shipments_pkey"].is_unique
    # Only a leading, whole-table key makes a column "indexed".
    assert shipments["region_code"].is_indexed and not shipments["region_id"].is_indexed
    assert not shipments["created_at"].is_indexed and not shipments["email"].is_indexed

    region = _columns(shop_connection, "Region")
    assert region["RegionId"].is_indexed and not region["Code"].is_indexed
    events = _columns(shop_connection, "Événements")
    assert events["shipment_id"].referred_table == "sales.shipments"  # another schema: qualified
    assert events["Ça"].column_type == "jsonb" and events["id"].schema_name == "Audit Log"


class CountingCursor(psycopg.Cursor):
    count = 0

    def execute(self, *args, **kwargs):
        CountingCursor.count += 1
        return super().execute(*args, **kwargs)


def _make_tables(url, n):
    statements = ["CREATE TABLE parent (id int PRIMARY KEY)"]
    for i in range(n):
        statements.append(
            f"CREATE TABLE t{i} (id int PRIMARY KEY, parent_id int REFERENCES parent(id), a text, b int);"
            f"CREATE INDEX ON t{i} (a, b)"
        )
    run_sql(url, ";".join(statements))


@pytest.mark.parametrize("n_tables", [5, 50])
def test_catalog_is_read_in_a_constant_number_of_queries(local_targets, scratch_database, n_tables):
    _make_tables(scratch_database, n_tables)
    CountingCursor.count = 0
    with target.connect(scratch_database, cursor_factory=CountingCursor) as conn:
        result = catalog.read_catalog(conn)
    assert len(result.tables) == n_tables + 1
    assert len(result.columns) == 4 * n_tables + 1 and len(result.indexes) == 2 * n_tables + 1
    assert CountingCursor.count == 4 == result.statements


@pytest.mark.django_db
def test_second_sync_reports_drift(shop_connection):
    _sync(shop_connection)
    run_sql(
        shop_connection.url,
        """
        CREATE TABLE refunds (id int);
        ALTER TABLE orders ADD COLUMN note text;
        ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);
        ALTER TABLE customers DROP COLUMN country;
        CREATE INDEX orders_status_idx ON orders (status);
        """,
    )
    sync = _sync(shop_connection)
    diff = sync.diff
    assert diff["initial"] is False and diff["has_changes"] is True
    assert diff["tables"]["added"] == ["public.refunds"] and diff["tables"]["removed"] == []
    assert diff["columns"]["added"] == ["public.orders.note", "public.refunds.id"]
    assert diff["columns"]["removed"] == ["public.customers.country"]
    changed = {c["name"]: c["changes"] for c in diff["columns"]["changed"]}
    assert changed["public.orders.total"]["column_type"] == {"from": "numeric(10,2)", "to": "numeric(12,2)"}
    assert diff["indexes"]["added"] == ["public.orders_status_idx"]
    assert _columns(shop_connection, "orders")["status"].is_indexed is True
    third = _sync(shop_connection)
    assert third.diff["has_changes"] is False
    # Unchanged rows are left alone: a resync writes only what moved.
    assert third.stats["rows_written"]["columns"] == {"deleted": 0, "inserted": 0}
    assert third.stats["rows_written"]["indexes"]["inserted"] <= third.stats["indexes"]
    assert SchemaMetadata.objects.filter(connection=shop_connection).count() == 8


@pytest.mark.django_db
def test_failure_midway_keeps_the_previous_snapshot(shop_connection):
    first = _sync(shop_connection)
    before = sorted(SchemaMetadata.objects.filter(connection=shop_connection).values_list("table_name", "column_name"))
    run_sql(shop_connection.url, "CREATE TABLE extra (id int PRIMARY KEY); CREATE INDEX explode_idx ON extra (id)")
    # Our own database refuses one index row: the columns and tables are written by then.
    with django_db.cursor() as cur:
        cur.execute(
            """
            CREATE FUNCTION refuse_explode() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.name = 'explode_idx' THEN RAISE EXCEPTION 'disk full while writing %', NEW.name; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_explode BEFORE INSERT ON db_schema_indexes
              FOR EACH ROW EXECUTE FUNCTION refuse_explode();
            """
        )
    failed = _sync(shop_connection)
    assert failed.status == "failed" and "disk full while writing explode_idx" in failed.error
    failed.refresh_from_db()
    assert failed.status == "failed" and failed.finished_at is not None
    after = sorted(SchemaMetadata.objects.filter(connection=shop_connection).values_list("table_name", "column_name"))
    assert after == before and ("extra", "id") not in after
    assert not DbTable.objects.filter(connection=shop_connection, name="extra").exists()
    assert DbIndex.objects.filter(connection=shop_connection).count() == first.stats["indexes"]


@pytest.mark.django_db
def test_unreachable_target_fails_clearly_and_keeps_the_snapshot(shop_connection):
    _sync(shop_connection)
    count = SchemaMetadata.objects.filter(connection=shop_connection).count()
    drop_database(shop_connection.url)
    failed = _sync(shop_connection)
    assert failed.status == "failed" and "does not exist" in failed.error
    assert SchemaMetadata.objects.filter(connection=shop_connection).count() == count == 7


@pytest.mark.django_db(transaction=True)
def test_api_sync_runs_as_a_job(admin_client, project, shop_connection):
    finished = []

    def receiver(sender, sync, **kwargs):
        finished.append((sender, sync.pk, sync.status))

    schema_sync_finished.connect(receiver)
    try:
        response = admin_client.post("/metadata/sync", {"project": project.id}, format="json")
        assert response.status_code == 202, response.json()
        queued = response.json()
        assert queued["status"] == "queued" and queued["connection"] == shop_connection.id
        assert admin_client.get(f"/metadata/syncs/{queued['id']}").json()["status"] == "queued"
        again = admin_client.post("/metadata/sync", {"project": project.id}, format="json")
        assert again.status_code == 409 and again.json()["sync"] == queued["id"]
        run_pending_jobs()
    finally:
        schema_sync_finished.disconnect(receiver)
    done = admin_client.get(f"/metadata/syncs/{queued['id']}").json()
    assert done["status"] == "succeeded" and done["progress"] == 100, done
    assert done["stats"]["tables"] == 2 and done["duration_ms"] is not None
    assert finished == [(SchemaSync, queued["id"], "succeeded")]

    rows = admin_client.get(f"/metadata?project={project.id}&table=orders").json()
    assert rows["count"] == 4
    first = rows["results"][1]
    assert {k: first[k] for k in ("table_name", "column_name", "column_type", "is_indexed", "is_foreign_key",
                                  "referred_table", "referred_column")} == {  # fmt: skip
        "table_name": "orders", "column_name": "customer_id", "column_type": "integer", "is_indexed": False,
        "is_foreign_key": True, "referred_table": "customers", "referred_column": "id",
    }  # fmt: skip
    tables = admin_client.get(f"/metadata/tables?project={project.id}").json()
    assert [t["name"] for t in tables["results"]] == ["customers", "orders"]
    indexes = admin_client.get(f"/metadata/indexes?project={project.id}&table=public.customers").json()
    assert {i["name"] for i in indexes["results"]} == {"customers_pkey", "customers_email_key"}
    fks = admin_client.get(f"/metadata/foreign-keys?project={project.id}").json()
    assert fks["results"][0]["has_index"] is False
    history = admin_client.get(f"/metadata/syncs?project={project.id}").json()
    assert history["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_failed_job_sends_the_signal_too(admin_client, project, shop_connection):
    finished = []
    schema_sync_finished.connect(lambda sender, sync, **kw: finished.append(sync.status), weak=False,
                                 dispatch_uid="test-failed")  # fmt: skip
    try:
        drop_database(shop_connection.url)
        sync_id = admin_client.post("/metadata/sync", {"project": project.id}, format="json").json()["id"]
        run_pending_jobs()
    finally:
        schema_sync_finished.disconnect(dispatch_uid="test-failed")
    body = admin_client.get(f"/metadata/syncs/{sync_id}").json()
    assert body["status"] == "failed" and "does not exist" in body["error"]
    assert finished == ["failed"]


@pytest.mark.django_db
def test_wait_runs_inline(admin_client, project, shop_connection):
    response = admin_client.post("/metadata/sync", {"project": project.id, "wait": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "succeeded"


@pytest.mark.django_db
def test_sync_errors_and_tenancy(admin_client, client_for, other_org_user, viewer, project, shop_connection):
    # The seed's bare POST /metadata/sync answers for the organization's only project; with two it asks which.
    ProjectFactory(organization=project.organization)
    assert admin_client.post("/metadata/sync", {}, format="json").json()["code"] == "project_required"
    missing = admin_client.post("/metadata/sync", {"project": project.id, "connection": 999999}, format="json")
    assert missing.status_code == 404
    assert admin_client.get("/metadata").json()["code"] == "project_required"
    assert admin_client.get("/metadata?project=abc").status_code == 400
    outsider = client_for(other_org_user)
    assert outsider.post("/metadata/sync", {"project": project.id}, format="json").status_code == 404
    assert outsider.get(f"/metadata?project={project.id}").status_code == 404
    sync = _sync(shop_connection)
    assert outsider.get(f"/metadata/syncs/{sync.id}").status_code == 404
    assert client_for(viewer).post("/metadata/sync", {"project": project.id}, format="json").status_code == 403
    assert client_for(viewer).get(f"/metadata?project={project.id}").status_code == 200


@pytest.mark.django_db
def test_project_without_connection(admin_client, project):
    response = admin_client.post("/metadata/sync", {"project": project.id}, format="json")
    assert response.status_code == 400
    assert "no database connection" in response.json()["detail"]


@pytest.mark.django_db
def test_empty_database_then_tables_then_none(project, local_targets, scratch_database):
    connection = services.connection_create(project=project, name="empty", url=scratch_database)
    empty = _sync(connection)
    assert empty.status == "succeeded" and empty.stats["tables"] == 0 and empty.diff["has_changes"] is False
    run_sql(scratch_database, "CREATE TABLE a (id int PRIMARY KEY, b_id int)")
    grown = _sync(connection)
    assert grown.diff["tables"]["added"] == ["public.a"] and grown.diff["indexes"]["added"] == ["public.a_pkey"]
    run_sql(scratch_database, "DROP TABLE a")
    gone = _sync(connection)
    assert gone.diff["tables"]["removed"] == ["public.a"] and gone.diff["columns"]["removed"] == [
        "public.a.b_id",
        "public.a.id",
    ]
    assert not SchemaMetadata.objects.filter(connection=connection).exists()
    assert not DbIndex.objects.filter(connection=connection).exists()


@pytest.mark.django_db(transaction=True)
def test_readers_see_the_previous_snapshot_until_the_sync_commits(shop_connection):
    import threading

    _sync(shop_connection)
    run_sql(shop_connection.url, "CREATE TABLE extra (id int PRIMARY KEY)")
    own = django_db.settings_dict
    reader_url = f"host={own['HOST']} port={own['PORT']} user={own['USER']} dbname={own['NAME']}"
    seen = {}

    def sync_in_thread():
        from django.db import connections

        try:
            _sync(shop_connection)
        finally:
            connections.close_all()  # this thread's own connection, or the test database stays busy

    syncing = threading.Thread(target=sync_in_thread)
    # The sync's transaction stays open, rows written, while a reader looks: a lock the test holds, not a sleep.
    with sync_paused_at_index("extra_pkey") as pause:
        syncing.start()
        pause.wait()
        with psycopg.connect(reader_url) as reader:
            seen["during"] = reader.execute(
                "SELECT array_agg(DISTINCT table_name ORDER BY table_name) FROM db_schema_metadata "
                "WHERE connection_id = %s",
                [shop_connection.pk],
            ).fetchone()[0]
            seen["running"] = reader.execute(
                "SELECT status FROM schema_syncs WHERE connection_id = %s ORDER BY id DESC LIMIT 1",
                [shop_connection.pk],
            ).fetchone()[0]
        pause.release()
        syncing.join()
    assert seen == {"during": ["customers", "orders"], "running": "running"}
    assert SchemaMetadata.objects.filter(connection=shop_connection, table_name="extra").exists()


def _statements_sent(url) -> int:
    return run_sql(
        url,
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE %s",
        ["%pg_stat_statements%"],
    )[0][0]


@pytest.mark.django_db
@pytest.mark.parametrize("n_tables", [5, 50])
def test_a_whole_sync_sends_a_constant_number_of_statements(project, local_targets, scratch_database, n_tables):
    try:
        run_sql(scratch_database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        run_sql(scratch_database, RESET_THIS_DATABASE_STATEMENTS)
    except psycopg.Error:
        pytest.skip("pg_stat_statements is not loaded on this server")
    _make_tables(scratch_database, n_tables)
    connection = services.connection_create(project=project, name="count", url=scratch_database)
    before = _statements_sent(scratch_database)
    sync = _sync(connection)
    assert sync.stats["tables"] == n_tables + 1
    # Two sessions sharing one snapshot: BEGIN, timeouts, export/import, 4 catalog reads, ROLLBACK, and per
    # session the two statements that make sure the target is not DBooster's own database.
    assert _statements_sent(scratch_database) - before == 16


def test_foreign_key_to_a_partitioned_table_is_one_foreign_key(shop_connection):
    # PostgreSQL clones such a key once per partition (pg_constraint.conparentid); the clones are internal.
    run_sql(
        shop_connection.url,
        """
        CREATE TABLE p (id int, k int, PRIMARY KEY (id, k)) PARTITION BY HASH (k);
        CREATE TABLE p0 PARTITION OF p FOR VALUES WITH (MODULUS 2, REMAINDER 0);
        CREATE TABLE p1 PARTITION OF p FOR VALUES WITH (MODULUS 2, REMAINDER 1);
        CREATE TABLE child (id int PRIMARY KEY, pid int, pk int, FOREIGN KEY (pid, pk) REFERENCES p);
        """,
    )
    sync = _sync(shop_connection)
    assert sync.status == "succeeded", sync.error
    keys = DbForeignKey.objects.filter(connection=shop_connection, table_name="child")
    assert [(k.referred_table, k.columns) for k in keys] == [("p", ["pid", "pk"])]
    assert _columns(shop_connection, "child")["pid"].referred_table == "p"


@pytest.mark.django_db
def test_snapshot_pages_are_cached_until_the_next_sync(
    admin_client, client_for, other_org_user, project, shop_connection
):
    """A page of the snapshot is served from the shared cache; a sync (not a timer) makes it stale."""
    assert _sync(shop_connection).status == "succeeded"
    url = f"/metadata?project={project.id}&table=orders"
    assert admin_client.get(url).json()["count"] == 4
    with CaptureQueriesContext(django_db) as cached:
        again = admin_client.get(url).json()
    assert again["count"] == 4
    assert not any("db_schema_metadata" in q["sql"] for q in cached.captured_queries)  # the rows were not read

    run_sql(shop_connection.url, "ALTER TABLE orders ADD COLUMN note text")
    assert admin_client.get(url).json()["count"] == 4  # the snapshot has not changed: no sync yet
    assert admin_client.get(f"/metadata?project={project.id}&table=orders&page_size=2").json()["count"] == 4
    assert client_for(other_org_user).get(url).status_code == 404  # the tenant check comes before the cache

    assert _sync(shop_connection).status == "succeeded"
    rows = admin_client.get(url).json()
    assert rows["count"] == 5 and rows["results"][-1]["column_name"] == "note"
