import { Pool } from 'pg';
import sql from 'sql-template-tag';

const pool = new Pool();


export async function query0(args) {
  const { rows } = await pool.query('SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to', args);
  return rows;
}

export async function query1(args) {
  const text = `
    SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query2(args) {
  const { rows } = await pool.query(sql`SELECT o.order_id, o.order_date, c.company_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL`);
  return rows;
}

export async function query3(args) {
  const { rows } = await knex.raw(
    "SELECT r.rental_id, f.title, c.email " +
    "FROM rental r " +
    "JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN $1 AND $2",
    args);
  return rows;
}

export async function query4(args) {
  const { rows } = await pool.query('SELECT * FROM payment WHERE payment_date >= $1 ORDER BY payment_date DESC OFFSET $2 LIMIT $3', args);
  return rows;
}

export async function query5(args) {
  const text = `
    INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query6(args) {
  const { rows } = await pool.query(sql`SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name`);
  return rows;
}

export async function query7(args) {
  const { rows } = await knex.raw(
    "SELECT product_name, unit_price " +
    "FROM products " +
    "WHERE discontinued = 0 AND unit_price > $1",
    args);
  return rows;
}

export async function query8(args) {
  const { rows } = await pool.query('UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = $1 AND release_year < $2', args);
  return rows;
}

export async function query9(args) {
  const text = `
    ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query10(args) {
  const { rows } = await pool.query(sql`SELECT id, email, created_at FROM users WHERE organization_id = ${args[0]} ORDER BY created_at DESC LIMIT ${args[0]}`);
  return rows;
}

export async function query11(args) {
  const { rows } = await knex.raw(
    "SELECT table_name " +
    "FROM information_schema.tables " +
    "WHERE table_schema = 'public'",
    args);
  return rows;
}

export async function query12(args) {
  const { rows } = await pool.query('SELECT date_trunc(\'day\', created_at) AS day, count(*) FROM events WHERE created_at > $1 GROUP BY 1 ORDER BY 1', args);
  return rows;
}

export async function query13(args) {
  const text = `
    UPDATE employee SET reports_to = $1 WHERE employee_id = $2
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query14(args) {
  const { rows } = await pool.query(sql`SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)`);
  return rows;
}

export async function query15(args) {
  const { rows } = await knex.raw(
    "SELECT f.title, count(r.rental_id) AS rentals " +
    "FROM film f " +
    "JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10",
    args);
  return rows;
}

export async function query16(args) {
  const { rows } = await pool.query('DELETE FROM order_details WHERE order_id = $1', args);
  return rows;
}

export async function query17(args) {
  const text = `
    SELECT payload->>'type' AS kind, count(*) FROM events GROUP BY payload->>'type'
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query18(args) {
  const { rows } = await pool.query(sql`SELECT film_id, title, release_year FROM film WHERE film_id = ${args[0]}`);
  return rows;
}

export async function query19(args) {
  const { rows } = await knex.raw(
    "INSERT INTO audit_log (actor, action, created_at) " +
    "VALUES ($1, $2, now()) RETURNING id",
    args);
  return rows;
}

export async function query20(args) {
  const { rows } = await pool.query('SELECT i.invoice_id, i.total FROM invoice i WHERE i.customer_id = $1 AND i.invoice_date >= $2', args);
  return rows;
}

export async function query21(args) {
  const text = `
    INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES ($1, $2, $3, $4, 0)
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query22(args) {
  const { rows } = await pool.query(sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)`);
  return rows;
}

export async function query23(args) {
  const { rows } = await knex.raw(
    "INSERT INTO film_category (film_id, category_id) SELECT film_id, $1 " +
    "FROM film " +
    "WHERE rating = $2",
    args);
  return rows;
}

export async function query24(args) {
  const { rows } = await pool.query('SELECT now()', args);
  return rows;
}

export async function query25(args) {
  const text = `
    SELECT id FROM jobs WHERE status = 'failed' AND attempts < $1
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query26(args) {
  const { rows } = await pool.query(sql`SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = ${args[0]} ORDER BY c.last_name`);
  return rows;
}

export async function query27(args) {
  const { rows } = await knex.raw(
    "SELECT s.company_name, count(p.product_id) " +
    "FROM suppliers s " +
    "JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name",
    args);
  return rows;
}

export async function query28(args) {
  const { rows } = await pool.query('DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)', args);
  return rows;
}

export async function query29(args) {
  const text = `
    INSERT INTO events (kind, payload) VALUES ($1, $2::jsonb)
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query30(args) {
  const { rows } = await pool.query(sql`UPDATE products SET units_in_stock = units_in_stock - ${args[0]} WHERE product_id = ${args[0]}`);
  return rows;
}

export async function query31(args) {
  const { rows } = await knex.raw(
    "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) " +
    "VALUES ($1, $2, $3, $4, now())",
    args);
  return rows;
}

export async function query32(args) {
  const { rows } = await pool.query('DELETE FROM playlist_track WHERE playlist_id = $1 AND track_id = $2', args);
  return rows;
}

export async function query33(args) {
  const text = `
    UPDATE users SET last_login_at = now() WHERE id = $1
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

console.error("Drop table rows here to reorder them.", err);

console.error("SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10", err);

export const MESSAGE_64747 = 'Update the record set you selected from the sidebar.';

console.error("INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1", err);

console.error("SELECT * FROM orders WITH (NOLOCK) WHERE status = 'open'", err);

export const MESSAGE_933370 = 'update from upstream failed for %s';

throw new Error("Please select the files you want to delete.");

export const MESSAGE_274997 = 'Select all customers from the selected region.';

export const MESSAGE_566632 = 'CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80))';

console.error("Update your profile settings before continuing.", err);

export const MESSAGE_184519 = 'select from replica lagging by %d seconds';

throw new Error("SELECT * FROM {table} WHERE id = %s");

throw new Error("SELECT TOP 10 * FROM Orders ORDER BY OrderDate DESC");

console.error("Select a project from the list above.", err);

console.error("Delete this item from your cart?", err);

export const MESSAGE_825253 = 'DELETE t1 FROM logs t1 JOIN hosts t2 ON t1.host_id = t2.id WHERE t2.retired = 1';
