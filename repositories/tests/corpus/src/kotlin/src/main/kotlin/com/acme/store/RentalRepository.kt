package com.acme.store

import org.springframework.data.jpa.repository.Query

interface RentalRepository : JpaRepository<Rental, Long> {
    @Query(value = "CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false)", nativeQuery = true)
    fun native0(): List<Rental>

    @Query(value = "UPDATE jobs SET status = 'running', started_at = now() WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id", nativeQuery = true)
    fun native1(): List<Rental>

    @Query(value = "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (:customer, :staff, :rental, :amount, now())", nativeQuery = true)
    fun native2(): List<Rental>

    @Query(value = "SELECT * FROM payment WHERE payment_date >= :since ORDER BY payment_date DESC OFFSET :offset LIMIT :limit", nativeQuery = true)
    fun native3(): List<Rental>

    @Query(value = "SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to", nativeQuery = true)
    fun native4(): List<Rental>

    @Query(value = "SELECT id FROM jobs WHERE status = 'failed' AND attempts < :max_attempts", nativeQuery = true)
    fun native5(): List<Rental>

    @Query(value = "SELECT id, email, created_at FROM users WHERE organization_id = :org ORDER BY created_at DESC LIMIT :limit", nativeQuery = true)
    fun native6(): List<Rental>

    @Query(value = "UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = :rating AND release_year < :year", nativeQuery = true)
    fun native7(): List<Rental>

    @Query(value = "SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name", nativeQuery = true)
    fun native8(): List<Rental>

    @Query(value = "WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id", nativeQuery = true)
    fun native9(): List<Rental>

    @Query(value = "DELETE FROM playlist_track WHERE playlist_id = :playlist AND track_id = :track", nativeQuery = true)
    fun native10(): List<Rental>

    @Query("SELECT new com.acme.dto.Summary(c.id, c.name) FROM Customer c")
    fun jpql0(): List<Rental>

    @Query("SELECT o FROM Order o JOIN FETCH o.items WHERE o.id = :id")
    fun jpql1(): List<Rental>

    @Query("SELECT u FROM User u WHERE u.email = :email")
    fun jpql2(): List<Rental>

    @Query("SELECT COUNT(p) FROM Product p WHERE p.category = :category")
    fun jpql3(): List<Rental>

    @Query("SELECT c FROM Customer c WHERE c.lastName LIKE :name ORDER BY c.lastName")
    fun jpql4(): List<Rental>

    @Query("DELETE FROM Session s WHERE s.expiresAt < :now")
    fun jpql5(): List<Rental>

}

class RentalDao(private val jdbc: JdbcTemplate) {
    private val SQL_0 = "SELECT count(*) FROM rental WHERE return_date IS NULL"
    private val BLOCK_1 = """
        UPDATE customer SET active = false WHERE last_update < ?
        """.trimIndent()
    private val CONCAT_2 =
        "SELECT * " +
        "FROM customer " +
        "WHERE email = ?"
    private val SQL_3 = "SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = ? ORDER BY c.last_name"
    private val BLOCK_4 = """
        INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES (?, ?, ?, ?, 0)
        """.trimIndent()
    private val CONCAT_5 =
        "DELETE " +
        "FROM order_details " +
        "WHERE order_id = ?"
    private val SQL_6 = "SELECT o.order_id, o.order_date, c.company_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL"
    private val BLOCK_7 = """
        DELETE FROM rental WHERE rental_id = ?
        """.trimIndent()
    private val CONCAT_8 =
        "INSERT INTO film_category (film_id, category_id) SELECT film_id, ? " +
        "FROM film " +
        "WHERE rating = ?"
    private val SQL_9 = "UPDATE employee SET reports_to = ? WHERE employee_id = ?"
    private val BLOCK_10 = """
        INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (?, ?, ?, 1)
        """.trimIndent()
    private val CONCAT_11 =
        "TRUNCATE TABLE staging_import"
    private val SQL_12 = "SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = ?"
    private val BLOCK_13 = """
        SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name
        """.trimIndent()
    private val CONCAT_14 =
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)"
    private val SQL_15 = "SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > ?"
    private val BLOCK_16 = """
        INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (?, ?, ?) ON CONFLICT (token_hash) DO NOTHING
        """.trimIndent()
    private val CONCAT_17 =
        "SELECT title " +
        "FROM film " +
        "WHERE to_tsvector('english', description) @@ plainto_tsquery('english', ?)"
    private val SQL_18 = "SELECT date_trunc('day', created_at) AS day, count(*) FROM events WHERE created_at > ? GROUP BY 1 ORDER BY 1"
    private val BLOCK_19 = """
        SELECT film_id, title, release_year FROM film WHERE film_id = ?
        """.trimIndent()
    private val CONCAT_20 =
        "DELETE " +
        "FROM payment " +
        "WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)"
    private val SQL_21 = "SELECT now()"
    private val BLOCK_22 = """
        SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name
        """.trimIndent()
    fun warn903104() { log.warn("INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1"); }
    fun warn936839() { log.warn("CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80))"); }
    fun warn273778() { log.warn("SELECT * FROM orders WITH (NOLOCK) WHERE status = 'open'"); }
    fun warn672335() { log.warn("SELECT * FROM `users` WHERE `email` = ?"); }
    fun warn908211() { log.warn("Update set for org %s computed in %.2fs"); }
    fun warn164896() { log.warn("select from replica lagging by %d seconds"); }
    fun warn536347() { log.warn("insert into queue timed out after %d ms"); }
    fun warn256078() { log.warn("update from upstream failed for %s"); }
    val q297227 = em.createQuery("SELECT new com.acme.dto.Summary(c.id, c.name) FROM Customer c")
    fun warn525706() { log.warn("SELECT * FROM products LIMIT 20, 10"); }
    fun warn253075() { log.warn("Please select the files you want to delete."); }
    val q621407 = em.createQuery("SELECT o FROM Order o JOIN FETCH o.items WHERE o.id = :id")
    fun warn899339() { log.warn("Select all customers from the selected region."); }
    fun warn821861() { log.warn("Insert into the queue is paused while we upgrade."); }
    fun warn97221() { log.warn("Select a project from the list above."); }
    fun warn378356() { log.warn("Delete from S3 failed, retrying (%d/%d)"); }
    val q873861 = em.createQuery("SELECT u FROM User u WHERE u.email = :email")
    val q479548 = em.createQuery("SELECT COUNT(p) FROM Product p WHERE p.category = :category")
    val q392737 = em.createQuery("SELECT c FROM Customer c WHERE c.lastName LIKE :name ORDER BY c.lastName")
    val q657667 = em.createQuery("DELETE FROM Session s WHERE s.expiresAt < :now")
}
