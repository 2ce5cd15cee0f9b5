-- Queries used by the reporting service.
-- Select from these with care: update them together.

SELECT category.name, avg(film.length) 
    FROM film 
    JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name;

UPDATE customer 
    SET active = false 
    WHERE last_update < $1;

ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0;

INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) 
    VALUES ($1, $2, $3, $4, 0);

SELECT s.company_name, count(p.product_id) 
    FROM suppliers s 
    JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name;

INSERT INTO events (kind, payload) 
    VALUES ($1, $2::jsonb);

SELECT 1;

DELETE 
    FROM sessions 
    WHERE expires_at < now();

DELETE 
    FROM playlist_track 
    WHERE playlist_id = $1 AND track_id = $2;

UPDATE users 
    SET last_login_at = now() 
    WHERE id = $1;

INSERT INTO film_category (film_id, category_id) SELECT film_id, $1 
    FROM film 
    WHERE rating = $2;

INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) 
    VALUES ($1, $2, $3, 1);

SELECT i.invoice_id, i.total 
    FROM invoice i 
    WHERE i.customer_id = $1 AND i.invoice_date >= $2;

INSERT INTO sessions (user_id, token_hash, expires_at) 
    VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING;

SELECT billing_country, sum(total) 
    FROM invoice 
    GROUP BY billing_country HAVING sum(total) > $1;

SELECT * 
    FROM payment 
    WHERE payment_date >= $1 ORDER BY payment_date DESC OFFSET $2 LIMIT $3;

SELECT now();

SELECT product_name, unit_price 
    FROM products 
    WHERE discontinued = 0 AND unit_price > $1;

UPDATE products 
    SET units_in_stock = units_in_stock - $1 
    WHERE product_id = $2;

DELETE 
    FROM order_details 
    WHERE order_id = $1;

UPDATE inventory 
    SET last_update = now() 
    WHERE inventory_id = ANY($1);

CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false);

SELECT t.name, al.title 
    FROM track t 
    JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = $1;

DELETE 
    FROM rental 
    WHERE rental_id = $1;

SELECT payload->>'type' AS kind, count(*) 
    FROM events 
    GROUP BY payload->>'type';

SELECT id 
    FROM jobs 
    WHERE status = 'failed' AND attempts < $1;

TRUNCATE TABLE staging_import;

UPDATE film 
    SET rental_rate = rental_rate * 1.1 
    WHERE rating = $1 AND release_year < $2;

SELECT count(*) 
    FROM rental 
    WHERE return_date IS NULL;

SELECT a.first_name, a.last_name 
    FROM actor a 
    JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = $1;

CREATE OR REPLACE FUNCTION touch_last_update() RETURNS trigger AS $$
BEGIN
    NEW.last_update = now(); -- keep in sync; select nothing
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

BEGIN;
SET search_path TO public;
COMMIT;

SELECT * FROM `users` WHERE `email` = ?;

SELECT TOP 10 * FROM Orders ORDER BY OrderDate DESC;

SELECT * FROM [dbo].[Customers] WHERE [Country] = @country;

INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1;

CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80));

SELECT * FROM products LIMIT 20, 10;

UPDATE accounts SET flagged = 1 ORDER BY created_at LIMIT 100;

SELECT * FROM orders WITH (NOLOCK) WHERE status = 'open';

INSERT IGNORE INTO tags (name) VALUES (?);

SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10;

CREATE TABLE audit (id INT IDENTITY(1,1) PRIMARY KEY, note NVARCHAR(MAX));

DELETE t1 FROM logs t1 JOIN hosts t2 ON t1.host_id = t2.id WHERE t2.retired = 1;

