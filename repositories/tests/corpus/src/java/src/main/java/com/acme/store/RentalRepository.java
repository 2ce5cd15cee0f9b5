package com.acme.store;

import org.springframework.data.jpa.repository.Query;

public interface RentalRepository extends JpaRepository<Rental, Long> {
    @Query(value = "SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN :start AND :end", nativeQuery = true)
    List<Rental> native0();

    @Query(value = "UPDATE customer SET active = false WHERE last_update < :cutoff", nativeQuery = true)
    List<Rental> native1();

    @Query(value = "SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > :price", nativeQuery = true)
    List<Rental> native2();

    @Query(value = "SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = :store ORDER BY c.last_name", nativeQuery = true)
    List<Rental> native3();

    @Query(value = "SELECT film_id, title, release_year FROM film WHERE film_id = :id", nativeQuery = true)
    List<Rental> native4();

    @Query(value = "SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to", nativeQuery = true)
    List<Rental> native5();

    @Query(value = "UPDATE products SET units_in_stock = units_in_stock - :qty WHERE product_id = :product", nativeQuery = true)
    List<Rental> native6();

    @Query(value = "SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = :genre", nativeQuery = true)
    List<Rental> native7();

    @Query(value = "SELECT id, email, created_at FROM users WHERE organization_id = :org ORDER BY created_at DESC LIMIT :limit", nativeQuery = true)
    List<Rental> native8();

    @Query(value = "DELETE FROM order_details WHERE order_id = :order", nativeQuery = true)
    List<Rental> native9();

    @Query(value = "ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0", nativeQuery = true)
    List<Rental> native10();

    @Query("SELECT u FROM User u WHERE u.email = :email")
    List<Rental> jpql0();

    @Query("SELECT new com.acme.dto.Summary(c.id, c.name) FROM Customer c")
    List<Rental> jpql1();

    @Query("SELECT c FROM Customer c WHERE c.lastName LIKE :name ORDER BY c.lastName")
    List<Rental> jpql2();

    @Query("SELECT o FROM Order o JOIN FETCH o.items WHERE o.id = :id")
    List<Rental> jpql3();

    @Query("SELECT COUNT(p) FROM Product p WHERE p.category = :category")
    List<Rental> jpql4();

    @Query("DELETE FROM Session s WHERE s.expiresAt < :now")
    List<Rental> jpql5();

}

class RentalDao {
    private static final String SQL_0 = "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (?, ?, ?, ?, now())";
    private static final String BLOCK_1 = """
        WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id
        """;
    private static final String CONCAT_2 =
        "DELETE " +
        "FROM sessions " +
        "WHERE expires_at < now()";
    private static final String SQL_3 = "SELECT f.title, count(r.rental_id) AS rentals FROM film f JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10";
    private static final String BLOCK_4 = """
        UPDATE inventory SET last_update = now() WHERE inventory_id = ANY(?)
        """;
    private static final String CONCAT_5 =
        "UPDATE film " +
        "SET rental_rate = rental_rate * 1.1 " +
        "WHERE rating = ? AND release_year < ?";
    private static final String SQL_6 = "DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)";
    private static final String BLOCK_7 = """
        SELECT * FROM customer WHERE email = ?
        """;
    private static final String CONCAT_8 =
        "SELECT 1";
    private static final String SQL_9 = "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)";
    private static final String BLOCK_10 = """
        SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > ?
        """;
    private static final String CONCAT_11 =
        "SELECT table_name " +
        "FROM information_schema.tables " +
        "WHERE table_schema = 'public'";
    private static final String SQL_12 = "DELETE FROM rental WHERE rental_id = ?";
    private static final String BLOCK_13 = """
        SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)
        """;
    private static final String CONCAT_14 =
        "SELECT s.company_name, count(p.product_id) " +
        "FROM suppliers s " +
        "JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name";
    private static final String SQL_15 = "DELETE FROM playlist_track WHERE playlist_id = ? AND track_id = ?";
    private static final String BLOCK_16 = """
        SELECT * FROM payment WHERE payment_date >= ? ORDER BY payment_date DESC OFFSET ? LIMIT ?
        """;
    private static final String CONCAT_17 =
        "UPDATE jobs " +
        "SET status = 'running', started_at = now() " +
        "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id";
    private static final String SQL_18 = "CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false)";
    private static final String BLOCK_19 = """
        SELECT date_trunc('day', created_at) AS day, count(*) FROM events WHERE created_at > ? GROUP BY 1 ORDER BY 1
        """;
    private static final String CONCAT_20 =
        "SELECT o.order_id, o.order_date, c.company_name " +
        "FROM orders o " +
        "JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL";
    private static final String SQL_21 = "SELECT count(*) FROM rental WHERE return_date IS NULL";
    private static final String BLOCK_22 = """
        SELECT title FROM film WHERE to_tsvector('english', description) @@ plainto_tsquery('english', ?)
        """;
    void warn536397() { log.warn("Drop table rows here to reorder them."); }
    void warn941501() { log.warn("Create an index on the column you filter by most."); }
    Object q551400 = em.createQuery("SELECT u FROM User u WHERE u.email = :email");
    void warn186279() { log.warn("Select which table to update from the dropdown."); }
    void warn616898() { log.warn("update from upstream failed for %s"); }
    void warn452374() { log.warn("Deleting from cache: {}"); }
    Object q928469 = em.createQuery("SELECT new com.acme.dto.Summary(c.id, c.name) FROM Customer c");
    void warn906312() { log.warn("SELECT * FROM ${tableName} WHERE id = ?"); }
    void warn149605() { log.warn("Delete this item from your cart?"); }
    void warn768042() { log.warn("Select the rows you want to export, then press Save."); }
    Object q913995 = em.createQuery("SELECT c FROM Customer c WHERE c.lastName LIKE :name ORDER BY c.lastName");
    void warn991680() { log.warn("With these settings your reports will update from the new source."); }
    void warn282720() { log.warn("INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1"); }
    void warn487712() { log.warn("Please select the files you want to delete."); }
    void warn137723() { log.warn("Selected from pool: conn=%d busy=%d"); }
    void warn765040() { log.warn("INSERT IGNORE INTO tags (name) VALUES (?)"); }
    Object q888233 = em.createQuery("SELECT o FROM Order o JOIN FETCH o.items WHERE o.id = :id");
    Object q563616 = em.createQuery("SELECT COUNT(p) FROM Product p WHERE p.category = :category");
    Object q894094 = em.createQuery("DELETE FROM Session s WHERE s.expiresAt < :now");
}
