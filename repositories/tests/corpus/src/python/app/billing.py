# ruff: noqa
# fmt: off
"""Data access for the rental service.

Select rows from the film table and update them."""

import logging

from sqlalchemy import text

logger = logging.getLogger(__name__)



def query_0(cursor, params):
    """Select the data from the table for query 0."""
    cursor.execute("ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0", params)
    return cursor.fetchall()


def query_1(cursor, params):
    """Select the data from the table for query 1."""
    cursor.execute(
        "SELECT now()",
        params,
    )
    return cursor.fetchall()


def query_2(cursor, params):
    """Select the data from the table for query 2."""
    sql = """
        UPDATE employee SET reports_to = %(manager)s WHERE employee_id = %(employee)s
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_3(cursor, params):
    """Select the data from the table for query 3."""
    return cursor.execute(f"INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES ({params[0]}, {params[0]}, {params[0]}, {params[0]}, now())")
    return cursor.fetchall()


def query_4(cursor, params):
    """Select the data from the table for query 4."""
    return session.execute(text("SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > :minimum"), params)
    return cursor.fetchall()


def query_5(cursor, params):
    """Select the data from the table for query 5."""
    cursor.execute("SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to", params)
    return cursor.fetchall()


def query_6(cursor, params):
    """Select the data from the table for query 6."""
    cursor.execute(
        "UPDATE customer "
        "SET active = false "
        "WHERE last_update < %s",
        params,
    )
    return cursor.fetchall()


def query_7(cursor, params):
    """Select the data from the table for query 7."""
    sql = """
        SELECT f.title, count(r.rental_id) AS rentals FROM film f JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_8(cursor, params):
    """Select the data from the table for query 8."""
    return cursor.execute(f"SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name")
    return cursor.fetchall()


def query_9(cursor, params):
    """Select the data from the table for query 9."""
    return session.execute(text("INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (:invoice, :track, :price, 1)"), params)
    return cursor.fetchall()


def query_10(cursor, params):
    """Select the data from the table for query 10."""
    cursor.execute("SELECT i.invoice_id, i.total FROM invoice i WHERE i.customer_id = %s AND i.invoice_date >= %s", params)
    return cursor.fetchall()


def query_11(cursor, params):
    """Select the data from the table for query 11."""
    cursor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)",
        params,
    )
    return cursor.fetchall()


def query_12(cursor, params):
    """Select the data from the table for query 12."""
    sql = """
        UPDATE users SET last_login_at = now() WHERE id = %(user)s
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_13(cursor, params):
    """Select the data from the table for query 13."""
    return cursor.execute(f"SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name")
    return cursor.fetchall()


def query_14(cursor, params):
    """Select the data from the table for query 14."""
    return session.execute(text("INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES (:order, :product, :price, :qty, 0)"), params)
    return cursor.fetchall()


def query_15(cursor, params):
    """Select the data from the table for query 15."""
    cursor.execute("INSERT INTO audit_log (actor, action, created_at) VALUES (%s, %s, now()) RETURNING id", params)
    return cursor.fetchall()


def query_16(cursor, params):
    """Select the data from the table for query 16."""
    cursor.execute(
        "SELECT 1",
        params,
    )
    return cursor.fetchall()


def query_17(cursor, params):
    """Select the data from the table for query 17."""
    sql = """
        SELECT count(*) FROM rental WHERE return_date IS NULL
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_18(cursor, params):
    """Select the data from the table for query 18."""
    return cursor.execute(f"UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = {params[0]} AND release_year < {params[0]}")
    return cursor.fetchall()


def query_19(cursor, params):
    """Select the data from the table for query 19."""
    return session.execute(text("TRUNCATE TABLE staging_import"), params)
    return cursor.fetchall()


def query_20(cursor, params):
    """Select the data from the table for query 20."""
    cursor.execute("DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)", params)
    return cursor.fetchall()


def query_21(cursor, params):
    """Select the data from the table for query 21."""
    cursor.execute(
        "SELECT payload->>'type' AS kind, count(*) "
        "FROM events "
        "GROUP BY payload->>'type'",
        params,
    )
    return cursor.fetchall()


def query_22(cursor, params):
    """Select the data from the table for query 22."""
    sql = """
        UPDATE products SET units_in_stock = units_in_stock - %(qty)s WHERE product_id = %(product)s
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_23(cursor, params):
    """Select the data from the table for query 23."""
    return cursor.execute(f"SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = {params[0]} ORDER BY c.last_name")
    return cursor.fetchall()


def query_24(cursor, params):
    """Select the data from the table for query 24."""
    return session.execute(text("SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > :price"), params)
    return cursor.fetchall()


def query_25(cursor, params):
    """Select the data from the table for query 25."""
    cursor.execute("SELECT id FROM jobs WHERE status = 'failed' AND attempts < %(max_attempts)s", params)
    return cursor.fetchall()


def query_26(cursor, params):
    """Select the data from the table for query 26."""
    cursor.execute(
        "SELECT o.order_id, o.order_date, c.company_name "
        "FROM orders o "
        "JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL",
        params,
    )
    return cursor.fetchall()


def query_27(cursor, params):
    """Select the data from the table for query 27."""
    sql = """
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_28(cursor, params):
    """Select the data from the table for query 28."""
    return cursor.execute(f"SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = {params[0]}")
    return cursor.fetchall()


def query_29(cursor, params):
    """Select the data from the table for query 29."""
    return session.execute(text("SELECT film_id, title, release_year FROM film WHERE film_id = :id"), params)
    return cursor.fetchall()


def query_30(cursor, params):
    """Select the data from the table for query 30."""
    cursor.execute("DELETE FROM sessions WHERE expires_at < now()", params)
    return cursor.fetchall()


def query_31(cursor, params):
    """Select the data from the table for query 31."""
    cursor.execute(
        "SELECT r.rental_id, f.title, c.email "
        "FROM rental r "
        "JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN %(start)s AND %(end)s",
        params,
    )
    return cursor.fetchall()


def query_32(cursor, params):
    """Select the data from the table for query 32."""
    sql = """
        INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (%s, %s, %s) ON CONFLICT (token_hash) DO NOTHING
    """
    cursor.execute(sql, params)
    return cursor.fetchall()


def query_33(cursor, params):
    """Select the data from the table for query 33."""
    return cursor.execute(f"INSERT INTO film_category (film_id, category_id) SELECT film_id, {params[0]} FROM film WHERE rating = {params[0]}")
    return cursor.fetchall()


def fail():
    raise ValueError("CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80))")


def fail():
    raise ValueError("Please select the files you want to delete.")


logger.warning("Drop table rows here to reorder them.", 'x')


HELP_TEXT_433 = "SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10"


def build(table):
    return "SELECT * FROM {table} WHERE id = %s".format(table=table)


logger.warning("SELECT TOP 10 * FROM Orders ORDER BY OrderDate DESC", 'x')


HELP_TEXT_944 = "select failed: %s"


HELP_TEXT_830 = "SELECT * FROM `users` WHERE `email` = ?"


logger.warning("Update your profile settings before continuing.", 'x')


logger.warning("Insert into search index skipped: %s", 'x')


logger.warning("insert into queue timed out after %d ms", 'x')


def fail():
    raise ValueError("update from upstream failed for %s")


logger.warning("SELECT * FROM products LIMIT 20, 10", 'x')


def fail():
    raise ValueError("Select the rows you want to export, then press Save.")


def fail():
    raise ValueError("delete from bucket %s returned %d")


logger.warning("Update set for org %s computed in %.2fs", 'x')
