-- Queries used by the reporting service.
-- Select from these with care: update them together.

-- name: query-0
-- Returns the rows for report 0.
DELETE FROM rental WHERE rental_id = :id;

-- name: query-1
-- Returns the rows for report 1.
SELECT f.title, count(r.rental_id) AS rentals FROM film f JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10

-- name: query-2
-- Returns the rows for report 2.
INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (:invoice, :track, :price, 1);

-- name: query-3
-- Returns the rows for report 3.
SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name

-- name: query-4
-- Returns the rows for report 4.
UPDATE inventory SET last_update = now() WHERE inventory_id = ANY(:ids);

-- name: query-5
-- Returns the rows for report 5.
SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)

-- name: query-6
-- Returns the rows for report 6.
SELECT date_trunc('day', created_at) AS day, count(*) FROM events WHERE created_at > :since GROUP BY 1 ORDER BY 1;

-- name: query-7
-- Returns the rows for report 7.
SELECT count(*) FROM rental WHERE return_date IS NULL

-- name: query-8
-- Returns the rows for report 8.
UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = :rating AND release_year < :year;

-- name: query-9
-- Returns the rows for report 9.
WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id

-- name: query-10
-- Returns the rows for report 10.
SELECT title FROM film WHERE to_tsvector('english', description) @@ plainto_tsquery('english', :term);

-- name: query-11
-- Returns the rows for report 11.
SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = :film

-- name: query-12
-- Returns the rows for report 12.
INSERT INTO film_category (film_id, category_id) SELECT film_id, :category FROM film WHERE rating = :rating;

-- name: query-13
-- Returns the rows for report 13.
ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0

-- name: query-14
-- Returns the rows for report 14.
SELECT id, email, created_at FROM users WHERE organization_id = :org ORDER BY created_at DESC LIMIT :limit;

-- name: query-15
-- Returns the rows for report 15.
SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name

-- name: query-16
-- Returns the rows for report 16.
DELETE FROM order_details WHERE order_id = :order;

-- name: query-17
-- Returns the rows for report 17.
UPDATE employee SET reports_to = :manager WHERE employee_id = :employee

-- name: query-18
-- Returns the rows for report 18.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id);

-- name: query-19
-- Returns the rows for report 19.
SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name

-- name: query-20
-- Returns the rows for report 20.
UPDATE products SET units_in_stock = units_in_stock - :qty WHERE product_id = :product;

-- name: query-21
-- Returns the rows for report 21.
SELECT payload->>'type' AS kind, count(*) FROM events GROUP BY payload->>'type'

-- name: query-22
-- Returns the rows for report 22.
SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > :minimum;

-- name: query-23
-- Returns the rows for report 23.
INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES (:order, :product, :price, :qty, 0)

-- name: query-24
-- Returns the rows for report 24.
SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > :price;

-- name: query-25
-- Returns the rows for report 25.
SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = :genre

-- name: query-26
-- Returns the rows for report 26.
SELECT table_name FROM information_schema.tables WHERE table_schema = 'public';

-- name: query-27
-- Returns the rows for report 27.
SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN :start AND :end

-- name: query-28
-- Returns the rows for report 28.
INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (:user, :hash, :expires) ON CONFLICT (token_hash) DO NOTHING;

-- name: query-29
-- Returns the rows for report 29.
DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)

