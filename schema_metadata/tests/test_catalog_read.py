"""The catalog reader's shortcuts give exactly what the costly catalog functions give.

Index definitions of plain indexes are assembled from catalog columns instead of calling
pg_get_indexdef; sizes come from pg_class.relpages once a relation has statistics.
"""

import pytest

from schema_metadata import catalog, target
from schema_metadata.tests.conftest import run_sql

# Every shape an index definition can take: plain ones (assembled) and decorated ones (asked).
INDEX_SHAPES_SQL = """
CREATE SCHEMA "Mixed Case";
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN short_text AS varchar(20);
CREATE TABLE "Mixed Case"."Orders" (
    "Id" bigint PRIMARY KEY, "user" int, "order" text, email varchar(200), code char(4), name name,
    tags text[], doc jsonb, span int4range, feeling mood, label short_text, at timestamptz,
    "select" text COLLATE "C", amount numeric, ip inet, flag boolean, raw bytea, uid uuid, body tsvector
);
CREATE INDEX ON "Mixed Case"."Orders" ("user", "order");
CREATE UNIQUE INDEX "Orders By Email" ON "Mixed Case"."Orders" (email) INCLUDE (code, "order");
CREATE INDEX ON "Mixed Case"."Orders" (code);
CREATE INDEX ON "Mixed Case"."Orders" (name);
CREATE INDEX ON "Mixed Case"."Orders" (label);
CREATE INDEX ON "Mixed Case"."Orders" (feeling);
CREATE INDEX ON "Mixed Case"."Orders" (span);
CREATE INDEX ON "Mixed Case"."Orders" (tags);
CREATE INDEX ON "Mixed Case"."Orders" USING gin (tags);
CREATE INDEX ON "Mixed Case"."Orders" USING gin (doc);
CREATE INDEX ON "Mixed Case"."Orders" USING gin (doc jsonb_path_ops);
CREATE INDEX ON "Mixed Case"."Orders" USING hash (email);
CREATE INDEX ON "Mixed Case"."Orders" USING brin (at);
CREATE INDEX ON "Mixed Case"."Orders" USING gist (span);
CREATE INDEX ON "Mixed Case"."Orders" USING gist (body tsvector_ops (siglen = 100));
CREATE INDEX ON "Mixed Case"."Orders" USING gist (ip inet_ops);
CREATE INDEX ON "Mixed Case"."Orders" (at DESC);
CREATE INDEX ON "Mixed Case"."Orders" (at NULLS FIRST);
CREATE INDEX ON "Mixed Case"."Orders" ("order" COLLATE "C");
CREATE INDEX ON "Mixed Case"."Orders" ("select");
CREATE INDEX ON "Mixed Case"."Orders" ("select" COLLATE "default");
CREATE INDEX ON "Mixed Case"."Orders" ("order" text_pattern_ops);
CREATE INDEX ON "Mixed Case"."Orders" (email varchar_pattern_ops);
CREATE INDEX ON "Mixed Case"."Orders" (email text_ops);
CREATE INDEX ON "Mixed Case"."Orders" (lower(email), amount);
CREATE INDEX ON "Mixed Case"."Orders" (amount) WHERE flag AND amount > 0;
CREATE INDEX ON "Mixed Case"."Orders" (amount) WITH (fillfactor = 70);
CREATE UNIQUE INDEX ON "Mixed Case"."Orders" (uid) NULLS NOT DISTINCT;
CREATE INDEX ON "Mixed Case"."Orders" (raw, flag, ip);
CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON events (at);
CREATE INDEX ON ONLY events (id);
"""


def _read(url):
    with target.connect(url) as conn:
        result = catalog.read_catalog(conn)
        truth = dict(
            conn.execute(
                "SELECT n.nspname || '.' || c.relname, pg_get_indexdef(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('i', 'I') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
            ).fetchall()
        )
    return result, truth


def test_index_definitions_equal_pg_get_indexdef(local_targets, scratch_database):
    run_sql(scratch_database, INDEX_SHAPES_SQL)
    result, truth = _read(scratch_database)
    ours = {f"{i['schema_name']}.{i['name']}": i["definition"] for i in result.indexes}
    assert len(ours) == len(truth) >= 30
    assert ours == truth


@pytest.mark.parametrize("sql", ["", "ANALYZE big", "VACUUM big"])
def test_sizes_match_the_files_once_counted(local_targets, scratch_database, sql):
    run_sql(
        scratch_database,
        "CREATE TABLE big (id int PRIMARY KEY, note text);"
        "INSERT INTO big SELECT g, repeat(md5(g::text), 500) FROM generate_series(1, 3000) g;",
    )
    if sql:
        run_sql(scratch_database, sql)
    exact = run_sql(
        scratch_database,
        "SELECT pg_relation_size('big') + pg_relation_size(reltoastrelid) + pg_relation_size('big_pkey'), "
        "pg_relation_size('big_pkey') FROM pg_class WHERE relname = 'big'",
    )[0]
    result, _ = _read(scratch_database)
    (table,) = result.tables
    (index,) = result.indexes
    # Never analyzed: measured from the files; analyzed or vacuumed: pg_class's count, which is then current.
    # (ANALYZE does not count the TOAST table; its table has pages, so its files are asked.)
    assert (table["size_bytes"], index["size_bytes"]) == tuple(exact)
    assert table["size_bytes"] > 100_000 and index["size_bytes"] > 8192


DEFAULTS_SQL = """
CREATE SEQUENCE "Odd Seq";
CREATE TABLE "Mixed Case"."Defaults" (
    id serial, big bigserial, named int DEFAULT nextval('"Odd Seq"'), at timestamptz DEFAULT now(),
    day date DEFAULT CURRENT_DATE, flag boolean DEFAULT false, note varchar(20) DEFAULT 'new',
    tags text[] DEFAULT '{}', doc jsonb DEFAULT '{"a": 1}'::jsonb, price numeric(8, 2) DEFAULT 0.5,
    "Total" numeric GENERATED ALWAYS AS (price * 2) STORED, label text GENERATED ALWAYS AS (upper(note)) STORED,
    kind mood DEFAULT 'happy', uid uuid DEFAULT gen_random_uuid(), ident int GENERATED ALWAYS AS IDENTITY
);
"""


def test_column_defaults_equal_pg_get_expr(local_targets, scratch_database):
    run_sql(scratch_database, INDEX_SHAPES_SQL + DEFAULTS_SQL)
    result, _ = _read(scratch_database)
    truth = {
        (table, column): (text, generated)
        for table, column, text, generated in run_sql(
            scratch_database,
            "SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid), a.attgenerated FROM pg_attrdef d "
            "JOIN pg_class c ON c.oid = d.adrelid JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum",
        )
    }
    ours = {(c["table_name"], c["column_name"]): c["column_default"] for c in result.columns if c["column_default"]}
    expected = {
        key: f"GENERATED ALWAYS AS ({text}) STORED" if generated == "s" else text
        for key, (text, generated) in truth.items()
    }
    expected[("Defaults", "ident")] = "GENERATED ALWAYS AS IDENTITY"
    assert len(expected) >= 14 and ours == expected
    assert ours[("Defaults", "Total")] == "GENERATED ALWAYS AS ((price * (2)::numeric)) STORED"
