import { Pool } from 'pg';
import sql from 'sql-template-tag';

const pool = new Pool();


export async function query0(args): Promise<unknown> {
  const { rows } = await pool.query('INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES ($1, $2, $3, $4, now())', args);
  return rows;
}

export async function query1(args): Promise<unknown> {
  const text = `
    INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES ($1, $2, $3, $4, 0)
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query2(args): Promise<unknown> {
  const { rows } = await pool.query(sql`UPDATE users SET last_login_at = now() WHERE id = ${args[0]}`);
  return rows;
}

export async function query3(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "SELECT * " +
    "FROM customer " +
    "WHERE email = $1",
    args);
  return rows;
}

export async function query4(args): Promise<unknown> {
  const { rows } = await pool.query('SELECT date_trunc(\'day\', created_at) AS day, count(*) FROM events WHERE created_at > $1 GROUP BY 1 ORDER BY 1', args);
  return rows;
}

export async function query5(args): Promise<unknown> {
  const text = `
    SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > $1
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query6(args): Promise<unknown> {
  const { rows } = await pool.query(sql`SELECT film_id, title, release_year FROM film WHERE film_id = ${args[0]}`);
  return rows;
}

export async function query7(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "SELECT 1",
    args);
  return rows;
}

export async function query8(args): Promise<unknown> {
  const { rows } = await pool.query('SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = $1', args);
  return rows;
}

export async function query9(args): Promise<unknown> {
  const text = `
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query10(args): Promise<unknown> {
  const { rows } = await pool.query(sql`SELECT payload->>'type' AS kind, count(*) FROM events GROUP BY payload->>'type'`);
  return rows;
}

export async function query11(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "INSERT INTO events (kind, payload) " +
    "VALUES ($1, $2::jsonb)",
    args);
  return rows;
}

export async function query12(args): Promise<unknown> {
  const { rows } = await pool.query('UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = $1 AND release_year < $2', args);
  return rows;
}

export async function query13(args): Promise<unknown> {
  const text = `
    UPDATE jobs SET status = 'running', started_at = now() WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query14(args): Promise<unknown> {
  const { rows } = await pool.query(sql`ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0`);
  return rows;
}

export async function query15(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "SELECT s.company_name, count(p.product_id) " +
    "FROM suppliers s " +
    "JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name",
    args);
  return rows;
}

export async function query16(args): Promise<unknown> {
  const { rows } = await pool.query('SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > $1', args);
  return rows;
}

export async function query17(args): Promise<unknown> {
  const text = `
    SELECT id, email, created_at FROM users WHERE organization_id = $1 ORDER BY created_at DESC LIMIT $2
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query18(args): Promise<unknown> {
  const { rows } = await pool.query(sql`UPDATE employee SET reports_to = ${args[0]} WHERE employee_id = ${args[0]}`);
  return rows;
}

export async function query19(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "DELETE " +
    "FROM payment " +
    "WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)",
    args);
  return rows;
}

export async function query20(args): Promise<unknown> {
  const { rows } = await pool.query('SELECT o.order_id, o.order_date, c.company_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL', args);
  return rows;
}

export async function query21(args): Promise<unknown> {
  const text = `
    SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query22(args): Promise<unknown> {
  const { rows } = await pool.query(sql`INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (${args[0]}, ${args[0]}, ${args[0]}, 1)`);
  return rows;
}

export async function query23(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "SELECT title " +
    "FROM film " +
    "WHERE to_tsvector('english', description) @@ plainto_tsquery('english', $1)",
    args);
  return rows;
}

export async function query24(args): Promise<unknown> {
  const { rows } = await pool.query('UPDATE customer SET active = false WHERE last_update < $1', args);
  return rows;
}

export async function query25(args): Promise<unknown> {
  const text = `
    SELECT f.title, count(r.rental_id) AS rentals FROM film f JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query26(args): Promise<unknown> {
  const { rows } = await pool.query(sql`SELECT count(*) FROM rental WHERE return_date IS NULL`);
  return rows;
}

export async function query27(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "INSERT INTO film_category (film_id, category_id) SELECT film_id, $1 " +
    "FROM film " +
    "WHERE rating = $2",
    args);
  return rows;
}

export async function query28(args): Promise<unknown> {
  const { rows } = await pool.query('DELETE FROM sessions WHERE expires_at < now()', args);
  return rows;
}

export async function query29(args): Promise<unknown> {
  const text = `
    INSERT INTO audit_log (actor, action, created_at) VALUES ($1, $2, now()) RETURNING id
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

export async function query30(args): Promise<unknown> {
  const { rows } = await pool.query(sql`SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to`);
  return rows;
}

export async function query31(args): Promise<unknown> {
  const { rows } = await knex.raw(
    "TRUNCATE TABLE staging_import",
    args);
  return rows;
}

export async function query32(args): Promise<unknown> {
  const { rows } = await pool.query('DELETE FROM playlist_track WHERE playlist_id = $1 AND track_id = $2', args);
  return rows;
}

export async function query33(args): Promise<unknown> {
  const text = `
    CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)
  `;
  const { rows } = await pool.query(text, args);
  return rows;
}

console.error("SELECT {{ columns }} FROM {{ ref('orders') }}", err);

throw new Error("Drop table rows here to reorder them.");

console.error("UPDATE accounts SET flagged = 1 ORDER BY created_at LIMIT 100", err);

throw new Error("CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80))");

console.error("select failed: %s", err);

export const MESSAGE_486610 = 'Delete this item from your cart?';

export const MESSAGE_528832 = 'Update set for org %s computed in %.2fs';

export const MESSAGE_460928 = 'Select a project from the list above.';

throw new Error("Deleting from cache: {}");

throw new Error("select from replica lagging by %d seconds");

export const MESSAGE_3104 = 'SELECT * FROM orders WITH (NOLOCK) WHERE status = \'open\'';

console.error("Delete from history: are you sure?", err);

throw new Error("SELECT * FROM {table} WHERE id = %s");

export const MESSAGE_948406 = 'Select the rows you want to export, then press Save.';

export const MESSAGE_635416 = 'Create a new table for the results, or pick an existing one.';

throw new Error("SELECT * FROM [dbo].[Customers] WHERE [Country] = @country");
