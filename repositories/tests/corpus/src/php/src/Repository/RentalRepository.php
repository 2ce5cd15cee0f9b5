<?php

namespace App\Repository;

final class RentalRepository
{
    public function query0(array $args): array
    {
        $stmt = $this->pdo->prepare('SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query1(array $args): array
    {
        $sql = <<<SQL
        SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = :store ORDER BY c.last_name
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query2(array $args): array
    {
        $sql = "SELECT o.order_id, o.order_date, c.company_name " .
            "FROM orders o " .
            "JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query3(array $args): array
    {
        $stmt = $this->pdo->prepare('UPDATE employee SET reports_to = :manager WHERE employee_id = :employee');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query4(array $args): array
    {
        $sql = <<<SQL
        SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = :genre
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query5(array $args): array
    {
        $sql = "SELECT payload->>'type' AS kind, count(*) " .
            "FROM events " .
            "GROUP BY payload->>'type'";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query6(array $args): array
    {
        $stmt = $this->pdo->prepare('SELECT count(*) FROM rental WHERE return_date IS NULL');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query7(array $args): array
    {
        $sql = <<<SQL
        WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query8(array $args): array
    {
        $sql = "SELECT f.title, count(r.rental_id) AS rentals " .
            "FROM film f " .
            "JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query9(array $args): array
    {
        $stmt = $this->pdo->prepare('SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > :price');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query10(array $args): array
    {
        $sql = <<<SQL
        CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false)
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query11(array $args): array
    {
        $sql = "SELECT e.first_name, m.first_name AS manager " .
            "FROM employee e LEFT " .
            "JOIN employee m ON m.employee_id = e.reports_to";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query12(array $args): array
    {
        $stmt = $this->pdo->prepare('DELETE FROM sessions WHERE expires_at < now()');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query13(array $args): array
    {
        $sql = <<<SQL
        UPDATE products SET units_in_stock = units_in_stock - :qty WHERE product_id = :product
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query14(array $args): array
    {
        $sql = "SELECT * " .
            "FROM customer " .
            "WHERE email = :email";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query15(array $args): array
    {
        $stmt = $this->pdo->prepare('DELETE FROM order_details WHERE order_id = :order');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query16(array $args): array
    {
        $sql = <<<SQL
        CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query17(array $args): array
    {
        $sql = "INSERT INTO events (kind, payload) " .
            "VALUES (:kind, :payload::jsonb)";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query18(array $args): array
    {
        $stmt = $this->pdo->prepare('UPDATE inventory SET last_update = now() WHERE inventory_id = ANY(:ids)');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query19(array $args): array
    {
        $sql = <<<SQL
        INSERT INTO film_category (film_id, category_id) SELECT film_id, :category FROM film WHERE rating = :rating
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query20(array $args): array
    {
        $sql = "SELECT id " .
            "FROM jobs " .
            "WHERE status = 'failed' AND attempts < :max_attempts";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query21(array $args): array
    {
        $stmt = $this->pdo->prepare('SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query22(array $args): array
    {
        $sql = <<<SQL
        DELETE FROM playlist_track WHERE playlist_id = :playlist AND track_id = :track
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query23(array $args): array
    {
        $sql = "SELECT now()";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query24(array $args): array
    {
        $stmt = $this->pdo->prepare('UPDATE users SET last_login_at = now() WHERE id = :user');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query25(array $args): array
    {
        $sql = <<<SQL
        DELETE FROM rental WHERE rental_id = :id
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query26(array $args): array
    {
        $sql = "TRUNCATE TABLE staging_import";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query27(array $args): array
    {
        $stmt = $this->pdo->prepare('UPDATE customer SET active = false WHERE last_update < :cutoff');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query28(array $args): array
    {
        $sql = <<<SQL
        SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN :start AND :end
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query29(array $args): array
    {
        $sql = "SELECT 1";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query30(array $args): array
    {
        $stmt = $this->pdo->prepare('UPDATE jobs SET status = \'running\', started_at = now() WHERE id = (SELECT id FROM jobs WHERE status = \'queued\' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query31(array $args): array
    {
        $sql = <<<SQL
        SELECT * FROM payment WHERE payment_date >= :since ORDER BY payment_date DESC OFFSET :offset LIMIT :limit
        SQL;
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query32(array $args): array
    {
        $sql = "DELETE " .
            "FROM payment " .
            "WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)";
        $stmt = $this->pdo->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    public function query33(array $args): array
    {
        $stmt = $this->pdo->prepare('SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = :film');
        $stmt->execute($args);
        return $stmt->fetchAll();
    }

    private const MSG_967984 = "Select all customers from the selected region.";
    private const MSG_561776 = "With these settings your reports will update from the new source.";
    public function dql542677() { return $this->em->createQuery('DELETE FROM Session s WHERE s.expiresAt < :now'); }
    public function warn157948() { $this->logger->warning('DELETE t1 FROM logs t1 JOIN hosts t2 ON t1.host_id = t2.id WHERE t2.retired = 1'); }
    private const MSG_334916 = "INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1";
    private const MSG_744689 = "SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10";
    private const MSG_524770 = "SELECT * FROM `users` WHERE `email` = ?";
    private const MSG_773226 = "insert into queue timed out after %d ms";
    public function warn443060() { $this->logger->warning('SELECT * FROM orders WITH (NOLOCK) WHERE status = \'open\''); }
    public function warn806812() { $this->logger->warning('Update available! Restart the app to apply it.'); }
    private const MSG_82996 = "delete from bucket %s returned %d";
    public function warn979131() { $this->logger->warning('Insert into the queue is paused while we upgrade.'); }
    public function warn941793() { $this->logger->warning('Drop table rows here to reorder them.'); }
    public function warn195992() { $this->logger->warning('Select which table to update from the dropdown.'); }
    public function warn608543() { $this->logger->warning('Create an index on the column you filter by most.'); }
    private const MSG_557547 = "select failed: %s";
}
