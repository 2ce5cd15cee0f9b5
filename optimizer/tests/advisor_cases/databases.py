"""The advisor corpus's databases on a PostgreSQL 15 + HypoPG cluster, built once and reused.

Six schemas nobody on this team designed for the advisor: pagila, chinook and northwind (the public sample
databases, loaded from their dumps and grown with skewed copies of their fact tables), the demo shop, listmonk's
schema.sql and umami's Prisma migrations (from the corpora, data generated at a realistic skew: a few lists,
websites and campaigns hold most rows). Each database records a digest of what built it; a changed recipe
rebuilds it, an unchanged one is reused across test runs and benchmark runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tarfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

# The shared inputs sit beside the checkout (../shared) or beside the worktrees' folder (../../shared).
SHARED = (
    Path(os.environ["DBOOSTER_SHARED"])
    if os.environ.get("DBOOSTER_SHARED")
    else next(
        (p / "shared" for p in Path(__file__).resolve().parents if (p / "shared" / "datasets").is_dir()),
        Path("../shared"),
    )
)
DATASETS = SHARED / "datasets"
CORPORA = SHARED / "corpora"

GROW_PAGILA = """
SELECT setseed(0.11);
-- rentals of a few popular films and loyal customers: ten times the dump, skewed by power(); stamped at one fixed
-- moment, not now(): the database is kept between runs, and a case about "the last hour" must not change its
-- answer an hour after the build
INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
SELECT r.rental_date + (n * interval '37 days'), 1 + floor(4581 * power(random(), 2))::int,
       1 + floor(599 * power(random(), 3))::int,
       CASE WHEN random() < 0.97 THEN r.rental_date + (n * interval '37 days') + interval '4 days' END,
       r.staff_id, timestamptz '2026-01-01 12:00+00'
  FROM rental r, generate_series(1, 9) n
ON CONFLICT DO NOTHING;
"""

GROW_CHINOOK = """
SELECT setseed(0.13);
INSERT INTO "Invoice" ("InvoiceId", "CustomerId", "InvoiceDate", "BillingAddress", "BillingCity", "BillingState",
                       "BillingCountry", "BillingPostalCode", "Total")
SELECT "InvoiceId" + n * 1000, 1 + floor(59 * power(random(), 2))::int, "InvoiceDate" + n * interval '400 days',
       "BillingAddress", "BillingCity", "BillingState", "BillingCountry", "BillingPostalCode", "Total"
  FROM "Invoice", generate_series(1, 99) n;
INSERT INTO "InvoiceLine" ("InvoiceLineId", "InvoiceId", "TrackId", "UnitPrice", "Quantity")
SELECT "InvoiceLineId" + n * 10000, "InvoiceId" + n * 1000, 1 + floor(3503 * power(random(), 3))::int,
       "UnitPrice", "Quantity"
  FROM "InvoiceLine", generate_series(1, 99) n;
"""

GROW_NORTHWIND = """
SELECT setseed(0.19);
ALTER TABLE order_details ALTER order_id TYPE int;
ALTER TABLE orders ALTER order_id TYPE int;
INSERT INTO orders (order_id, customer_id, employee_id, order_date, required_date, shipped_date, ship_via, freight,
                    ship_name, ship_address, ship_city, ship_region, ship_postal_code, ship_country)
SELECT order_id + n * 1000, customer_id, employee_id, order_date + n * interval '30 days',
       required_date + n * interval '30 days',
       CASE WHEN random() < 0.98 THEN shipped_date + n * interval '30 days' END,
       ship_via, freight, ship_name, ship_address, ship_city, ship_region, ship_postal_code, ship_country
  FROM orders, generate_series(1, 29) n;
INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount)
SELECT order_id + n * 1000, product_id, unit_price, quantity, discount
  FROM order_details, generate_series(1, 29) n;
"""

LISTMONK_DATA = """
SELECT setseed(0.17);
INSERT INTO lists (uuid, name, type, optin, tags)
SELECT gen_random_uuid(), 'List ' || g, (ARRAY['public','private','temporary'])[1 + g % 3]::list_type,
       (ARRAY['single','double'])[1 + g % 2]::list_optin, ARRAY['tag' || g % 5]
  FROM generate_series(1, 40) g;
INSERT INTO subscribers (uuid, email, name, attribs, status, created_at, updated_at)
SELECT gen_random_uuid(), 'Sub' || g || '@' || (ARRAY['gmail.com','yahoo.com','example.org','corp.io'])[1 + g % 4],
       'Subscriber ' || g,
       jsonb_build_object('city', (ARRAY['Berlin','Paris','Lagos','Lima','Pune'])[1 + g % 5],
                          'plan', CASE WHEN g % 20 = 0 THEN 'pro' ELSE 'free' END, 'age', 18 + g % 60),
       CASE WHEN random() < 0.95 THEN 'enabled' WHEN random() < 0.7 THEN 'disabled' ELSE 'blocklisted' END
         ::subscriber_status,
       timestamptz '2021-01-01' + g * interval '7 minutes', timestamptz '2021-01-01' + g * interval '8 minutes'
  FROM generate_series(1, 150000) g;
-- most subscriptions sit on the first few lists (power law), most confirmed
INSERT INTO subscriber_lists (subscriber_id, list_id, status, created_at)
SELECT s.id, 1 + floor(40 * power(random(), 4))::int,
       (CASE WHEN random() < 0.8 THEN 'confirmed' WHEN random() < 0.5 THEN 'unconfirmed' ELSE 'unsubscribed' END)
         ::subscription_status,
       s.created_at
  FROM subscribers s
ON CONFLICT DO NOTHING;
INSERT INTO templates (name, type, subject, body, is_default) VALUES ('Default', 'campaign', '', '', true);
INSERT INTO campaigns (uuid, name, subject, from_email, body, status, messenger, template_id, tags, created_at,
                       send_at, archive)
SELECT gen_random_uuid(), 'Campaign ' || g, 'Subject ' || g, 'news@example.org', 'body',
       (CASE WHEN g <= 1980 THEN 'finished' WHEN g % 4 = 0 THEN 'running' WHEN g % 4 = 1 THEN 'scheduled'
             ELSE 'draft' END)::campaign_status,
       'email', 1, ARRAY['t' || g % 7], timestamptz '2021-01-01' + g * interval '8 hours',
       timestamptz '2021-01-01' + g * interval '8 hours' + interval '1 day', g % 10 = 0
  FROM generate_series(1, 2000) g;
INSERT INTO links (uuid, url) SELECT gen_random_uuid(), 'https://example.org/p/' || g FROM generate_series(1, 3000) g;
INSERT INTO link_clicks (campaign_id, link_id, subscriber_id, created_at)
SELECT 1 + floor(2000 * power(random(), 3))::int, 1 + floor(3000 * power(random(), 2))::int,
       1 + floor(150000 * random())::int, timestamptz '2021-01-01' + g * interval '3 minutes'
  FROM generate_series(1, 200000) g;
INSERT INTO campaign_views (campaign_id, subscriber_id, created_at)
SELECT 1 + floor(2000 * power(random(), 3))::int, 1 + floor(150000 * random())::int,
       timestamptz '2021-01-01' + g * interval '2 minutes'
  FROM generate_series(1, 200000) g;
INSERT INTO bounces (subscriber_id, campaign_id, type, source, created_at)
SELECT 1 + floor(150000 * random())::int, 1 + floor(2000 * random())::int,
       (ARRAY['soft','hard','complaint'])[1 + g % 3]::bounce_type, (ARRAY['api','ses','sendgrid'])[1 + g % 3],
       timestamptz '2021-01-01' + g * interval '30 minutes'
  FROM generate_series(1, 20000) g;
"""

UMAMI_DATA = """
SELECT setseed(0.23);
INSERT INTO "user" (user_id, username, password, role, created_at)
SELECT md5('u' || g)::uuid, 'user' || g, 'x', 'user', now() FROM generate_series(1, 50) g;
INSERT INTO website (website_id, name, domain, user_id, created_at, deleted_at)
SELECT md5('w' || g)::uuid, 'Site ' || g, 'site' || g || '.example', md5('u' || (1 + g % 50))::uuid,
       now() - g * interval '1 day', CASE WHEN g % 25 = 0 THEN now() END
  FROM generate_series(1, 200) g;
-- a few websites get most of the traffic
INSERT INTO session (session_id, website_id, browser, os, device, screen, language, country, created_at)
SELECT md5('s' || g)::uuid, md5('w' || (1 + floor(200 * power(random(), 4))::int))::uuid,
       (ARRAY['chrome','chrome','safari','firefox','edge'])[1 + g % 5], (ARRAY['Windows','Mac OS','iOS','Android'])[1 + g % 4],
       (ARRAY['desktop','mobile','tablet'])[1 + g % 3], '1920x1080', 'en-US',
       (ARRAY['US','US','DE','GB','FR','IN','BR'])[1 + g % 7], timestamptz '2024-01-01' + g * interval '2 minutes'
  FROM generate_series(1, 60000) g;
INSERT INTO website_event (event_id, website_id, session_id, visit_id, created_at, url_path, url_query, referrer_domain,
                           page_title, event_type, event_name, hostname)
SELECT md5('e' || g)::uuid, s.website_id, s.session_id, md5('v' || g / 4)::uuid,
       s.created_at + (g % 30) * interval '10 seconds',
       (ARRAY['/', '/pricing', '/blog', '/docs', '/blog/post-' || g % 500])[1 + floor(5 * power(random(), 2))::int],
       CASE WHEN g % 9 = 0 THEN 'utm_source=news' END,
       CASE WHEN g % 3 = 0 THEN 'google.com' WHEN g % 3 = 1 THEN NULL ELSE 'twitter.com' END,
       'Page ' || g % 100, CASE WHEN g % 10 = 0 THEN 2 ELSE 1 END,
       CASE WHEN g % 10 = 0 THEN (ARRAY['signup','click','download'])[1 + g % 3] END, 'site.example'
  FROM generate_series(1, 300000) g
  JOIN session s ON s.session_id = md5('s' || (1 + g % 60000))::uuid;
"""


SHOP_EXTRA = """
SELECT setseed(0.31);
CREATE VIEW paid_orders AS SELECT id, customer_id, total, created_at FROM orders WHERE status = 'paid';
CREATE VIEW customer_orders AS
  SELECT o.id, o.customer_id, c.email, c.country, o.status, o.total, o.created_at
    FROM orders o JOIN customers c ON c.id = o.customer_id;
CREATE MATERIALIZED VIEW customer_totals AS
  SELECT customer_id, count(*) AS orders, sum(total) AS spent, max(created_at) AS last_order
    FROM orders GROUP BY customer_id;
CREATE TABLE reviews (
    id bigint PRIMARY KEY, product_id bigint NOT NULL, customer_id bigint NOT NULL, rating int NOT NULL,
    body text NOT NULL, starred boolean NOT NULL, hidden boolean NOT NULL, tags text[] NOT NULL,
    "ReviewerName" text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO reviews
SELECT g, 1 + floor(1000 * power(random(), 2))::bigint, 1 + floor(10000 * random())::bigint, 1 + g % 5,
       'Review ' || g || CASE WHEN g % 40 = 0 THEN ' broken on arrival' ELSE ' works fine' END,
       g % 50 = 0, g % 30 = 0, ARRAY[(ARRAY['gift','bulk','repeat','promo'])[1 + g % 4]],
       'Reviewer ' || (g % 5000), timestamptz '2023-01-01' + g * interval '9 minutes'
  FROM generate_series(1, 60000) g;
CREATE TABLE audit_log (id bigint NOT NULL, actor_id bigint NOT NULL, action text NOT NULL,
                        logged_at timestamptz NOT NULL) PARTITION BY RANGE (logged_at);
CREATE TABLE audit_log_2024q1 PARTITION OF audit_log FOR VALUES FROM ('2024-01-01') TO ('2024-04-01');
CREATE TABLE audit_log_2024q2 PARTITION OF audit_log FOR VALUES FROM ('2024-04-01') TO ('2024-07-01');
CREATE TABLE audit_log_2024q3 PARTITION OF audit_log FOR VALUES FROM ('2024-07-01') TO ('2024-10-01');
INSERT INTO audit_log
SELECT g, 1 + floor(2000 * power(random(), 3))::bigint,
       (ARRAY['login','login','login','view','update','delete'])[1 + g % 6],
       timestamptz '2024-01-01' + (g % 270) * interval '1 day' + (g % 1440) * interval '1 minute'
  FROM generate_series(1, 90000) g;
CREATE SCHEMA billing;
CREATE TABLE billing."Invoices" ("Id" bigint PRIMARY KEY, "CustomerId" bigint NOT NULL, "DueOn" date NOT NULL,
                                 "PaidOn" date, "Amount" numeric(12, 2) NOT NULL);
INSERT INTO billing."Invoices"
SELECT g, 1 + floor(10000 * random())::bigint, date '2023-01-01' + g % 700,
       CASE WHEN g % 25 <> 0 THEN date '2023-01-01' + g % 700 + 10 END, g % 900
  FROM generate_series(1, 80000) g;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
CREATE FOREIGN TABLE remote_customers (id bigint, email text, country text) SERVER elsewhere;
"""


def _tar_member(archive: str, member: str) -> str:
    with tarfile.open(CORPORA / archive) as tar:
        return tar.extractfile(member).read().decode()


def _umami_schema() -> str:
    with tarfile.open(CORPORA / "umami-software+umami.tar.gz") as tar:
        members = sorted(
            (m for m in tar.getmembers() if re.search(r"prisma/migrations/\d+_[^/]+/migration\.sql$", m.name)),
            key=lambda m: int(re.search(r"migrations/(\d+)_", m.name).group(1)),
        )
        return "\n".join(tar.extractfile(m).read().decode() for m in members)


def _demo_shop_sql() -> list[tuple[str, dict | None]]:
    from schema_metadata import demo_shop

    sizes = {"orders": 100_000, "customers": 10_000, "products": 1000, "events": 50_000}
    return [(demo_shop.SCHEMA_SQL, None)] + [(s, sizes if "%" in s else None) for s in demo_shop.DATA_SQL]


def recipes() -> dict[str, list]:
    """name -> steps: ("psql", path) loads a dump; ("sql", text, params) runs a statement batch."""
    return {
        "pagila": [("psql", DATASETS / "pagila.sql"), ("sql", GROW_PAGILA, None)],
        "chinook": [("psql", DATASETS / "chinook.sql"), ("sql", GROW_CHINOOK, None)],
        "northwind": [("psql", DATASETS / "northwind.sql"), ("sql", GROW_NORTHWIND, None)],
        "shop": [*(("sql", text, params) for text, params in _demo_shop_sql()), ("sql", SHOP_EXTRA, None)],
        "listmonk": [
            ("sql", _tar_member("knadh+listmonk.tar.gz", "knadh+listmonk/schema.sql"), None),
            ("sql", LISTMONK_DATA, None),
        ],
        "umami": [("sql", _umami_schema(), None), ("sql", UMAMI_DATA, None)],
    }


# Part of every database's digest: a change to how `_build` finishes a database rebuilds them all.
BUILD_VERSION = "3: vacuumed until every page is all-visible; ANALYZE reads every row"


def _digest(steps: list) -> str:
    h = hashlib.sha1(BUILD_VERSION.encode())
    for step in steps:
        h.update(repr(step[1]).encode() if step[0] == "psql" else step[1].encode())
    return h.hexdigest()[:16]


def database_name(schema: str) -> str:
    return f"advisor_corpus_{schema}"


def ensure(base_url: str, schema: str) -> str:
    """The URL of the corpus database for `schema` on the cluster at `base_url`, built if missing or stale."""
    steps = recipes()[schema]
    digest = _digest(steps)
    name = database_name(schema)
    url = base_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            comment = admin.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
            ).fetchone()[0]
            if comment == digest:
                return url
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _build(url, steps)
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(digest)))
    return url


def _build(url: str, steps: list) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS hypopg")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for step in steps:
        if step[0] == "psql":
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=0", "-d", url, "-f", str(step[1])],
                check=True,
                capture_output=True,
            )
            continue
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute(step[1], step[2], prepare=False) if step[2] else conn.execute(step[1], prepare=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path = public")
        _vacuum_until_all_visible(conn)
        _analyze_every_row(conn)


_TABLES_AND_FIRST_COLUMN = """
SELECT c.relkind, format('%I.%I', n.nspname, c.relname), a.attname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid
   AND a.attnum = (SELECT min(attnum) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped)
 WHERE c.relkind IN ('r', 'm', 'p') AND NOT c.relispartition AND c.relispopulated
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""


def _analyze_every_row(conn) -> None:
    """ANALYZE that reads every row of every table, so each build gets the same statistics.

    ANALYZE samples 300 x the largest statistics target of a table's columns (30,000 rows by default): on the bigger
    tables the most common values' shares, n_distinct and the row count come from a random sample, and a plan near
    a threshold (index or not) flips between builds. Raising one column's target (the first; a partitioned
    parent's reaches its partitions) past rows / 300 makes the sample the whole table; the other columns keep the
    default target, so their lists stay as long as a real database's."""
    for kind, table, column in conn.execute(_TABLES_AND_FIRST_COLUMN).fetchall():
        rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(table))).fetchone()[0]
        if rows <= 30_000:
            continue
        conn.execute(
            sql.SQL("ALTER {} {} ALTER {} SET STATISTICS {}").format(
                sql.SQL("MATERIALIZED VIEW" if kind == "m" else "TABLE"),
                sql.SQL(table),
                sql.Identifier(column),
                sql.Literal(min(rows // 300 + 1, 10_000)),
            )
        )
    conn.execute("ANALYZE")


_NOT_ALL_VISIBLE = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND c.relpages > 0 AND c.relallvisible < c.relpages
"""


def _vacuum_until_all_visible(conn, attempts: int = 10) -> None:
    """VACUUM until the visibility map covers every table, as autovacuum leaves a real database after a bulk load.

    A VACUUM that runs while autovacuum's own ANALYZE holds a snapshot cannot mark the freshly loaded pages
    all-visible; then index-only scans are costed with a heap fetch per row, and whether a covering index wins
    would depend on that race (a verdict that flips between builds)."""
    for _ in range(attempts):
        conn.execute("VACUUM")
        if not conn.execute(_NOT_ALL_VISIBLE).fetchone()[0]:
            return
        time.sleep(1)
