# ruff: noqa
# fmt: off
"""Data access for the rental service.

Select rows from the film table and update them."""

import logging

from sqlalchemy import text

logger = logging.getLogger(__name__)



def query_0(cursor, params):
    """Select the data from the table for query 0."""
    cursor.execute("SELECT id FROM jobs WHERE status = 'failed' AND attempts < %s", params)
    return cursor.fetchall()


def query_1(cursor, params):
    """Select the data from the table for query 1."""
    cursor.execute(
        "SELECT date_trunc('day', created_at) AS day, count(*) "
        "FROM events "
        "WHERE created_at > %(since)s GROUP BY 1 ORDER BY 1",
        params,
    )
    return cursor.fetchall()


def query_2(cursor, params):
    """Select the data from the table for query 2."""
    sql = """
        INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (%(invoice)s, %(track)s, %(price)s, 1)
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_3(cursor, params):
    """Select the data from the table for query 3."""
    return cursor.execute(f"TRUNCATE TABLE staging_import")
    return cursor.fetchall()


def query_4(cursor, params):
    """Select the data from the table for query 4."""
    return session.execute(text("SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name"), params)
    return cursor.fetchall()


def query_5(cursor, params):
    """Select the data from the table for query 5."""
    cursor.execute("SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN %s AND %s", params)
    return cursor.fetchall()


def query_6(cursor, params):
    """Select the data from the table for query 6."""
    cursor.execute(
        "ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0",
        params,
    )
    return cursor.fetchall()


def query_7(cursor, params):
    """Select the data from the table for query 7."""
    sql = """
        SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = %s ORDER BY c.last_name
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_8(cursor, params):
    """Select the data from the table for query 8."""
    return cursor.execute(f"SELECT count(*) FROM rental WHERE return_date IS NULL")
    return cursor.fetchall()


def query_9(cursor, params):
    """Select the data from the table for query 9."""
    return session.execute(text("SELECT title FROM film WHERE to_tsvector('english', description) @@ plainto_tsquery('english', :term)"), params)
    return cursor.fetchall()


def query_10(cursor, params):
    """Select the data from the table for query 10."""
    cursor.execute("UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = %(rating)s AND release_year < %(year)s", params)
    return cursor.fetchall()


def query_11(cursor, params):
    """Select the data from the table for query 11."""
    cursor.execute(
        "SELECT * "
        "FROM customer "
        "WHERE email = %(email)s",
        params,
    )
    return cursor.fetchall()


def query_12(cursor, params):
    """Select the data from the table for query 12."""
    sql = """
        INSERT INTO audit_log (actor, action, created_at) VALUES (%(actor)s, %(action)s, now()) RETURNING id
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_13(cursor, params):
    """Select the data from the table for query 13."""
    return cursor.execute(f"SELECT now()")
    return cursor.fetchall()


def query_14(cursor, params):
    """Select the data from the table for query 14."""
    return session.execute(text("SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)"), params)
    return cursor.fetchall()


def query_15(cursor, params):
    """Select the data from the table for query 15."""
    cursor.execute("UPDATE jobs SET status = 'running', started_at = now() WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id", params)
    return cursor.fetchall()


def query_16(cursor, params):
    """Select the data from the table for query 16."""
    cursor.execute(
        "SELECT billing_country, sum(total) "
        "FROM invoice "
        "GROUP BY billing_country HAVING sum(total) > %(minimum)s",
        params,
    )
    return cursor.fetchall()


def query_17(cursor, params):
    """Select the data from the table for query 17."""
    sql = """
        DELETE FROM order_details WHERE order_id = %(order)s
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_18(cursor, params):
    """Select the data from the table for query 18."""
    return cursor.execute(f"SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > {params[0]}")
    return cursor.fetchall()


def query_19(cursor, params):
    """Select the data from the table for query 19."""
    return session.execute(text("SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = :genre"), params)
    return cursor.fetchall()


def query_20(cursor, params):
    """Select the data from the table for query 20."""
    cursor.execute("DELETE FROM playlist_track WHERE playlist_id = %s AND track_id = %s", params)
    return cursor.fetchall()


def query_21(cursor, params):
    """Select the data from the table for query 21."""
    cursor.execute(
        "SELECT a.first_name, a.last_name "
        "FROM actor a "
        "JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = %(film)s",
        params,
    )
    return cursor.fetchall()


def query_22(cursor, params):
    """Select the data from the table for query 22."""
    sql = """
        INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES (%s, %s, %s, %s, 0)
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_23(cursor, params):
    """Select the data from the table for query 23."""
    return cursor.execute(f"SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name")
    return cursor.fetchall()


def query_24(cursor, params):
    """Select the data from the table for query 24."""
    return session.execute(text("SELECT id, email, created_at FROM users WHERE organization_id = :org ORDER BY created_at DESC LIMIT :limit"), params)
    return cursor.fetchall()


def query_25(cursor, params):
    """Select the data from the table for query 25."""
    cursor.execute("UPDATE users SET last_login_at = now() WHERE id = %(user)s", params)
    return cursor.fetchall()


def query_26(cursor, params):
    """Select the data from the table for query 26."""
    cursor.execute(
        "SELECT * "
        "FROM payment "
        "WHERE payment_date >= %s ORDER BY payment_date DESC OFFSET %s LIMIT %s",
        params,
    )
    return cursor.fetchall()


def query_27(cursor, params):
    """Select the data from the table for query 27."""
    sql = """
        WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_28(cursor, params):
    """Select the data from the table for query 28."""
    return cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)")
    return cursor.fetchall()


def query_29(cursor, params):
    """Select the data from the table for query 29."""
    return session.execute(text("INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (:customer, :staff, :rental, :amount, now())"), params)
    return cursor.fetchall()


def query_30(cursor, params):
    """Select the data from the table for query 30."""
    cursor.execute("DELETE FROM sessions WHERE expires_at < now()", params)
    return cursor.fetchall()


def query_31(cursor, params):
    """Select the data from the table for query 31."""
    cursor.execute(
        "SELECT category.name, avg(film.length) "
        "FROM film "
        "JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name",
        params,
    )
    return cursor.fetchall()


def query_32(cursor, params):
    """Select the data from the table for query 32."""
    sql = """
        UPDATE inventory SET last_update = now() WHERE inventory_id = ANY(%(ids)s)
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_33(cursor, params):
    """Select the data from the table for query 33."""
    return cursor.execute(f"SELECT i.invoice_id, i.total FROM invoice i WHERE i.customer_id = {params[0]} AND i.invoice_date >= {params[0]}")
    return cursor.fetchall()


def build(table):
    return "SELECT {{ columns }} FROM {{ ref('orders') }}".format(table=table)


def fail():
    raise ValueError("Update the record set you selected from the sidebar.")


logger.warning("CREATE TABLE audit (id INT IDENTITY(1,1) PRIMARY KEY, note NVARCHAR(MAX))", 'x')


logger.warning("Deleting from cache: {}", 'x')


def build(table):
    return "DELETE FROM %s WHERE created_at < now() - interval '30 days'".format(table=table)


HELP_TEXT_884 = "UPDATE accounts SET flagged = 1 ORDER BY created_at LIMIT 100"


logger.warning("Drop table rows here to reorder them.", 'x')


logger.warning("SELECT * FROM `users` WHERE `email` = ?", 'x')


logger.warning("update from upstream failed for %s", 'x')


def fail():
    raise ValueError("Delete this item from your cart?")


def build(table):
    return "SELECT * FROM ${tableName} WHERE id = ?".format(table=table)


def fail():
    raise ValueError("DELETE t1 FROM logs t1 JOIN hosts t2 ON t1.host_id = t2.id WHERE t2.retired = 1")


HELP_TEXT_599 = "Insert into search index skipped: %s"


logger.warning("Select which table to update from the dropdown.", 'x')


logger.warning("CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80))", 'x')


def fail():
    raise ValueError("Create a new table for the results, or pick an existing one.")
