"""Schema sync on real schemas no one here wrote: pagila, chinook, northwind.

Loading them takes a few seconds each, so they are grouped on one xdist worker and
each database is loaded once per module.
"""

import uuid

import psycopg
import pytest

from schema_metadata import services
from schema_metadata.models import DbForeignKey, DbIndex, DbTable, SchemaMetadata
from schema_metadata.tests.conftest import DATASETS, load_sql_file, run_sql

pytestmark = pytest.mark.xdist_group("pg_datasets")


def _loaded(dataset):
    from conftest import _admin_conninfo, url_for_database

    name = f"scratch_{dataset}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url_for_database(name)
    load_sql_file(url, DATASETS / f"{dataset}.sql")
    return name, url


@pytest.fixture(scope="module")
def dataset_urls():
    from conftest import _admin_conninfo

    urls = {}
    yield lambda dataset: urls.setdefault(dataset, _loaded(dataset))[1]
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        for name, _ in urls.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _synced(project, url, name):
    connection = services.connection_create(project=project, name=name, url=url)
    sync = services.sync_execute(sync_id=services.sync_request(project=project, connection_id=connection.pk,
                                                               defer=False).pk)  # fmt: skip
    assert sync.status == "succeeded", sync.error
    return connection, sync


def _column(connection, table, column):
    return SchemaMetadata.objects.get(connection=connection, table_name=table, column_name=column)


@pytest.mark.django_db
def test_pagila(project, local_targets, dataset_urls):
    url = dataset_urls("pagila")
    # The dump declares a non-ASCII domain and nothing uses it: give it a column.
    run_sql(url, 'ALTER TABLE public.actor ADD COLUMN fans public."bıgınt"')
    connection, sync = _synced(project, url, "pagila")
    counts = {k: sync.stats[k] for k in ("tables", "columns", "indexes", "foreign_keys", "catalog_statements")}
    assert counts == {"tables": 30, "columns": 174, "indexes": 56, "foreign_keys": 36, "catalog_statements": 4}
    tables = {t.name: t for t in DbTable.objects.filter(connection=connection)}
    assert tables["payment"].kind == "partitioned" and tables["payment"].partition_key == "RANGE (payment_date)"
    partitions = [t for t in tables.values() if t.kind == "partition"]
    assert len(partitions) == 7 and {t.parent_table for t in partitions} == {"payment"}
    assert tables["payment_p2022_03"].partition_bound == (
        "FOR VALUES FROM ('2022-03-01 00:00:00+00') TO ('2022-04-01 00:00:00+00')"
    )
    assert tables["rental_by_category"].kind == "materialized_view"
    assert {n for n, t in tables.items() if t.kind == "view"} == {
        "actor_info", "customer_list", "film_list", "nicer_but_slower_film_list", "sales_by_film_category",
        "sales_by_store", "staff_list",
    }  # fmt: skip
    assert tables["rental"].row_estimate == 16044 and tables["rental"].size_bytes > 1_000_000

    assert _column(connection, "actor", "fans").column_type == '"bıgınt"'
    assert _column(connection, "film", "release_year").column_type == "year"  # a domain
    assert _column(connection, "film", "rating").column_type == "mpaa_rating"  # an enum
    assert _column(connection, "film", "special_features").column_type == "text[]"
    assert _column(connection, "film", "fulltext").is_indexed  # a GiST index
    assert _column(connection, "actor_info", "first_name").column_type == "text"  # view columns too
    rental_id = _column(connection, "payment_p2022_01", "rental_id")
    assert rental_id.is_foreign_key and rental_id.referred_table == "rental" and not rental_id.is_indexed

    fulltext = DbIndex.objects.get(connection=connection, name="film_fulltext_idx")
    assert fulltext.method == "gist" and fulltext.columns == ["fulltext"]
    pkey = DbIndex.objects.get(connection=connection, name="payment_pkey")
    assert pkey.columns == ["payment_date", "payment_id"] and pkey.is_primary
    assert "ON ONLY public.payment" in pkey.definition
    film_actor = DbForeignKey.objects.get(connection=connection, name="film_actor_film_id_fkey")
    assert film_actor.on_delete == "restrict" and film_actor.on_update == "cascade" and film_actor.has_index


@pytest.mark.django_db
def test_chinook_mixed_case(project, local_targets, dataset_urls):
    connection, sync = _synced(project, dataset_urls("chinook"), "chinook")
    assert sync.stats["tables"] == 11 and sync.stats["foreign_keys"] == 11
    track = {c.column_name: c for c in SchemaMetadata.objects.filter(connection=connection, table_name="Track")}
    assert list(track)[:4] == ["TrackId", "Name", "AlbumId", "MediaTypeId"]
    assert track["AlbumId"].referred_table == "Album" and track["AlbumId"].referred_column == "AlbumId"
    assert track["AlbumId"].is_indexed  # IFK_TrackAlbumId
    assert track["Name"].column_type == "character varying(200)"
    assert track["UnitPrice"].column_type == "numeric(10,2)"
    index = DbIndex.objects.get(connection=connection, name="IFK_TrackAlbumId")
    assert index.table_name == "Track" and index.columns == ["AlbumId"]
    assert index.definition == 'CREATE INDEX "IFK_TrackAlbumId" ON public."Track" USING btree ("AlbumId")'
    playlist_track = DbIndex.objects.get(connection=connection, name="PK_PlaylistTrack")
    assert playlist_track.columns == ["PlaylistId", "TrackId"]
    assert DbTable.objects.get(connection=connection, name="Invoice").row_estimate == 412


@pytest.mark.django_db
def test_northwind(project, local_targets, dataset_urls):
    connection, sync = _synced(project, dataset_urls("northwind"), "northwind")
    assert sync.stats["tables"] == 14 and sync.stats["foreign_keys"] == 13
    details = {
        c.column_name: c for c in SchemaMetadata.objects.filter(connection=connection, table_name="order_details")
    }
    assert details["order_id"].is_foreign_key and details["order_id"].referred_table == "orders"
    assert details["product_id"].referred_table == "products"
    assert details["order_id"].is_indexed and not details["product_id"].is_indexed  # pk (order_id, product_id)
    assert details["unit_price"].column_type == "real"
    reports_to = _column(connection, "employees", "reports_to")
    assert reports_to.referred_table == "employees" and reports_to.referred_column == "employee_id"
    unindexed = set(
        DbForeignKey.objects.filter(connection=connection, has_index=False).values_list("table_name", "name")
    )
    assert ("orders", "fk_orders_customers") in unindexed
    assert DbTable.objects.get(connection=connection, name="orders").row_estimate == 830

    # A second sync of an unchanged schema reports no drift.
    again = services.sync_execute(sync_id=services.sync_request(project=project, connection_id=connection.pk,
                                                                defer=False).pk)  # fmt: skip
    assert again.diff["has_changes"] is False and again.diff["initial"] is False


@pytest.mark.parametrize(
    "sql, allowed, named",
    [
        ("SELECT * FROM actor_info", True, ""),  # views over an immutable custom aggregate
        ("SELECT * FROM film_list WHERE price > 2", True, ""),
        ("SELECT * FROM sales_by_store", True, ""),
        ("SELECT last_day(now())", True, ""),
        ("SELECT * FROM rewards_report(1, 1)", False, "public.rewards_report() (volatile)"),
        ("SELECT film_in_stock(1, 1)", False, "public.film_in_stock() (volatile)"),
        ("UPDATE actor SET last_name = 'X' WHERE actor_id = 1", False, "trigger last_updated"),
        ("INSERT INTO category (name) VALUES ('x')", False, "column default of public.category"),
        ("INSERT INTO category (category_id, name, last_update) VALUES (99, 'x', now())", True, ""),
    ],
)
def test_pagila_execution_guard(local_targets, dataset_urls, sql, allowed, named):
    """The guard on a real schema: its views, functions, aggregates, triggers and defaults."""
    from schema_metadata import sql_guard, target

    with target.session(dataset_urls("pagila"), read_only=False) as conn:
        verdict = sql_guard.execution_verdict(conn, sql)
    assert verdict.allowed is allowed, verdict
    assert named in verdict.reason
