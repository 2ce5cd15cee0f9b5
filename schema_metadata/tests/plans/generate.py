"""Regenerate the real plans the text-format parser is tested on: pagila, EXPLAIN in TEXT and JSON.

Usage: python generate.py <libpq URL of a database with pagila loaded> <label, e.g. pg18>
Each query is explained twice in one transaction per format with the same settings; the JSON
is the ground truth the parsed text is compared with (same tree, same numbers). Timings differ
between the two runs, so the tests compare structure, rows, loops and buffers, not times.
"""

import json
import sys
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent

SETTINGS = {
    "plain": [],
    "spill": ["SET LOCAL work_mem = '64kB'"],
    "parallel": [
        "SET LOCAL parallel_setup_cost = 0",
        "SET LOCAL parallel_tuple_cost = 0",
        "SET LOCAL min_parallel_table_scan_size = 0",
        "SET LOCAL max_parallel_workers_per_gather = 2",
    ],
    "nohash": ["SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off"],
}

QUERIES = {
    "join_group_sort": (
        "plain",
        """
        SELECT c.first_name, c.last_name, count(*) AS rentals, sum(p.amount) AS paid
        FROM customer c JOIN rental r ON r.customer_id = c.customer_id
        JOIN payment p ON p.rental_id = r.rental_id
        GROUP BY c.customer_id ORDER BY paid DESC LIMIT 10""",
    ),
    "index_scan": ("plain", "SELECT * FROM film WHERE film_id = 42"),
    "bitmap_scan": ("plain", "SELECT * FROM rental WHERE inventory_id IN (1, 2, 3, 500, 900)"),
    "left_join_filter": (
        "plain",
        """
        SELECT f.title, l.name FROM film f LEFT JOIN language l ON l.language_id = f.original_language_id
        WHERE f.rating = 'PG-13' AND f.length > 120""",
    ),
    "anti_join": (
        "plain",
        """
        SELECT f.title FROM film f WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.film_id = f.film_id)""",
    ),
    "cte_window": (
        "plain",
        """
        WITH monthly AS MATERIALIZED (
            SELECT date_trunc('month', payment_date) AS month, staff_id, sum(amount) AS total
            FROM payment GROUP BY 1, 2)
        SELECT month, staff_id, total, rank() OVER (PARTITION BY month ORDER BY total DESC) FROM monthly""",
    ),
    "subplan": (
        "plain",
        """
        SELECT a.first_name, (SELECT count(*) FROM film_actor fa WHERE fa.actor_id = a.actor_id) AS films
        FROM actor a WHERE a.last_name LIKE 'B%'""",
    ),
    "initplan_union": (
        "plain",
        """
        SELECT title FROM film WHERE length = (SELECT max(length) FROM film)
        UNION ALL SELECT name FROM category""",
    ),
    "partitioned_payment": (
        "plain",
        """
        SELECT customer_id, sum(amount) FROM payment
        WHERE payment_date >= '2022-02-01' AND payment_date < '2022-04-01' GROUP BY customer_id""",
    ),
    "external_sort": ("spill", "SELECT * FROM rental ORDER BY return_date, rental_date"),
    "hash_batches": (
        "spill",
        """
        SELECT r.rental_id, p.amount FROM rental r JOIN payment p ON p.rental_id = r.rental_id""",
    ),
    "parallel_agg": (
        "parallel",
        """
        SELECT staff_id, count(*), avg(amount) FROM payment GROUP BY staff_id""",
    ),
    "nested_loop": (
        "nohash",
        """
        SELECT c.email, a.address FROM customer c JOIN address a ON a.address_id = c.address_id
        WHERE c.active = 1 AND a.district = 'California'""",
    ),
    "never_executed": (
        "plain",
        """
        SELECT * FROM film f JOIN film_actor fa ON fa.film_id = f.film_id WHERE f.film_id < 0""",
    ),
    "distinct_in": (
        "plain",
        """
        SELECT DISTINCT ci.city FROM city ci JOIN address a ON a.city_id = ci.city_id
        WHERE a.address_id IN (SELECT address_id FROM store)""",
    ),
}


def explain(conn, setting: str, sql: str, fmt: str):
    with conn.transaction():
        conn.execute("SET LOCAL track_io_timing = on")
        for statement in SETTINGS[setting]:
            conn.execute(statement)
        rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT {fmt}) {sql}").fetchall()
    return rows


def main(url: str, label: str) -> None:
    out = HERE / label
    out.mkdir(exist_ok=True)
    with psycopg.connect(url, autocommit=True) as conn:
        for name, (setting, sql) in QUERIES.items():
            explain(conn, setting, sql, "JSON")  # warm the cache: both runs below then read the same buffers
            text = "\n".join(row[0] for row in explain(conn, setting, sql, "TEXT"))
            plan = explain(conn, setting, sql, "JSON")[0][0]
            (out / f"{name}.txt").write_text(text + "\n")
            (out / f"{name}.json").write_text(json.dumps(plan, indent=2) + "\n")
            print(name, len(text.splitlines()), "lines")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
