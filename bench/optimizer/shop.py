"""The demo shop for the optimizer benchmark: skewed data, generated with SQL, missing the indexes apps forget.

Only primary keys exist. `build(url, orders=N)` creates it once; a marker table records the scale so a
later run with the same scale reuses it.
"""

from __future__ import annotations

import psycopg

SCHEMA = """
DROP TABLE IF EXISTS bench_marker, events, payments, order_items, orders, products, customers CASCADE;
CREATE TABLE customers (
    id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL, country text NOT NULL, city text NOT NULL,
    created_at timestamptz NOT NULL, is_active boolean NOT NULL);
CREATE TABLE products (
    id bigint PRIMARY KEY, sku text NOT NULL, name text NOT NULL, category text NOT NULL, price numeric(10, 2) NOT NULL,
    attrs jsonb NOT NULL);
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL,
    created_at timestamptz NOT NULL, total numeric(12, 2) NOT NULL, shipping_country text NOT NULL,
    coupon_code text);
CREATE TABLE order_items (
    id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders, product_id bigint NOT NULL REFERENCES products,
    quantity int NOT NULL, unit_price numeric(10, 2) NOT NULL);
CREATE TABLE payments (
    id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders, amount numeric(12, 2) NOT NULL,
    method text NOT NULL, status text NOT NULL, paid_at timestamptz NOT NULL);
CREATE TABLE events (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL, kind text NOT NULL, payload jsonb NOT NULL,
    created_at timestamptz NOT NULL);
"""

FILL = """
SELECT setseed(0.42);
INSERT INTO customers
SELECT g, 'User' || g || '@Example.com', 'Customer ' || g,
       (ARRAY['US','US','US','DE','DE','FR','GB','IL','IN','BR'])[1 + (g % 10)],
       (ARRAY['North','South','East','West','Haifa','Central','Harbor','Lake'])[1 + (g * 7 % 8)],
       timestamptz '2022-01-01' + (g * interval '1 second') * (126000000.0 / {customers}), g % 17 <> 0
  FROM generate_series(1, {customers}) g;
INSERT INTO products
SELECT g, 'SKU-' || lpad(g::text, 7, '0'),
       (ARRAY['Red','Blue','Green','Black','White','Silver'])[1 + g % 6] || ' ' ||
       (ARRAY['Widget','Gadget','Lamp','Chair','Table','Phone','Cable','Shoe','Shirt','Watch'])[1 + (g / 6) % 10] ||
       ' ' || md5(g::text),
       (ARRAY['toys','home','garden','tech','fashion','sport'])[1 + g % 6], (g % 500) + 0.99,
       jsonb_build_object('color', (ARRAY['red','blue','green'])[1 + g % 3], 'size', g % 5)
  FROM generate_series(1, {products}) g;
-- Skewed: a few customers place many orders; 1% pending, 5% failed.
INSERT INTO orders
SELECT g, 1 + floor({customers} * power(random(), 2.5))::bigint,
       CASE WHEN random() < 0.01 THEN 'pending' WHEN random() < 0.05 THEN 'failed'
            WHEN random() < 0.15 THEN 'shipped' ELSE 'paid' END,
       timestamptz '2023-01-01' + random() * interval '730 days', round((random() * 500)::numeric, 2),
       (ARRAY['US','DE','FR','GB','IL'])[1 + (g % 5)],
       CASE WHEN g % 40 = 0 THEN 'C' || (g % 997) END
  FROM generate_series(1, {orders}) g;
INSERT INTO order_items
SELECT g, 1 + (g - 1) / 3, 1 + floor({products} * power(random(), 2))::bigint, 1 + g % 4, (g % 300) + 0.5
  FROM generate_series(1, {orders} * 3) g;
INSERT INTO payments
SELECT g, g, round((random() * 500)::numeric, 2), (ARRAY['card','card','paypal','wire'])[1 + g % 4],
       CASE WHEN g % 50 = 0 THEN 'declined' ELSE 'ok' END, timestamptz '2023-01-01' + random() * interval '730 days'
  FROM generate_series(1, {orders}) g;
INSERT INTO events
SELECT g, 1 + floor({customers} * power(random(), 2))::bigint,
       (ARRAY['view','view','view','click','click','cart','refund'])[1 + g % 7],
       jsonb_build_object('campaign', 'c' || (g % 500), 'device', (ARRAY['ios','android','web'])[1 + g % 3]),
       timestamptz '2023-01-01' + random() * interval '730 days'
  FROM generate_series(1, {orders}) g;
CREATE TABLE bench_marker (orders bigint);
INSERT INTO bench_marker VALUES ({orders});
VACUUM ANALYZE;
"""


def sizes(orders: int) -> dict:
    return {"orders": orders, "customers": max(orders // 5, 1000), "products": max(orders // 50, 200)}


def build(url: str, *, orders: int, force: bool = False) -> bool:
    """Create the shop at `url` unless it already holds this scale. Returns True if it was (re)built."""
    with psycopg.connect(url, autocommit=True) as conn:
        if not force:
            try:
                row = conn.execute("SELECT orders FROM bench_marker").fetchone()
                if row and row[0] == orders:
                    return False
            except psycopg.errors.UndefinedTable:
                pass
        conn.execute(SCHEMA)
        # VACUUM cannot run inside the implicit transaction of a multi-statement string.
        body, _, _ = FILL.partition("VACUUM ANALYZE;")
        params = sizes(orders)
        with conn.cursor() as cur:
            for key, value in params.items():
                body = body.replace("{" + key + "}", str(int(value)))
            cur.execute(body)
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return True
