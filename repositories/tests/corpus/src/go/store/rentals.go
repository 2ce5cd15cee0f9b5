package store

import (
	"context"
	"database/sql"
	"log"
)


func Query0(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "UPDATE inventory SET last_update = now() WHERE inventory_id = ANY($1)", args...)
}

func Query1(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		UPDATE customer SET active = false WHERE last_update < $1
	`
	return db.QueryContext(ctx, q, args...)
}

func Query2(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "UPDATE employee " +
		"SET reports_to = $1 " +
		"WHERE employee_id = $2"
	return db.QueryContext(ctx, q, args...)
}

func Query3(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", args...)
}

func Query4(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = $1
	`
	return db.QueryContext(ctx, q, args...)
}

func Query5(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0"
	return db.QueryContext(ctx, q, args...)
}

func Query6(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES ($1, $2, $3, $4, now())", args...)
}

func Query7(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)
	`
	return db.QueryContext(ctx, q, args...)
}

func Query8(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "SELECT e.first_name, m.first_name AS manager " +
		"FROM employee e LEFT " +
		"JOIN employee m ON m.employee_id = e.reports_to"
	return db.QueryContext(ctx, q, args...)
}

func Query9(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN $1 AND $2", args...)
}

func Query10(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		SELECT now()
	`
	return db.QueryContext(ctx, q, args...)
}

func Query11(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "SELECT payload->>'type' AS kind, count(*) " +
		"FROM events " +
		"GROUP BY payload->>'type'"
	return db.QueryContext(ctx, q, args...)
}

func Query12(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT 1", args...)
}

func Query13(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > $1
	`
	return db.QueryContext(ctx, q, args...)
}

func Query14(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "SELECT category.name, avg(film.length) " +
		"FROM film " +
		"JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name"
	return db.QueryContext(ctx, q, args...)
}

func Query15(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)", args...)
}

func Query16(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = $1 AND release_year < $2
	`
	return db.QueryContext(ctx, q, args...)
}

func Query17(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "INSERT INTO sessions (user_id, token_hash, expires_at) " +
		"VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING"
	return db.QueryContext(ctx, q, args...)
}

func Query18(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name", args...)
}

func Query19(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		SELECT id FROM jobs WHERE status = 'failed' AND attempts < $1
	`
	return db.QueryContext(ctx, q, args...)
}

func Query20(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "DELETE " +
		"FROM order_details " +
		"WHERE order_id = $1"
	return db.QueryContext(ctx, q, args...)
}

func Query21(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "TRUNCATE TABLE staging_import", args...)
}

func Query22(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		UPDATE products SET units_in_stock = units_in_stock - $1 WHERE product_id = $2
	`
	return db.QueryContext(ctx, q, args...)
}

func Query23(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "SELECT i.invoice_id, i.total " +
		"FROM invoice i " +
		"WHERE i.customer_id = $1 AND i.invoice_date >= $2"
	return db.QueryContext(ctx, q, args...)
}

func Query24(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = $1 ORDER BY c.last_name", args...)
}

func Query25(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false)
	`
	return db.QueryContext(ctx, q, args...)
}

func Query26(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "SELECT date_trunc('day', created_at) AS day, count(*) " +
		"FROM events " +
		"WHERE created_at > $1 GROUP BY 1 ORDER BY 1"
	return db.QueryContext(ctx, q, args...)
}

func Query27(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "DELETE FROM rental WHERE rental_id = $1", args...)
}

func Query28(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		UPDATE users SET last_login_at = now() WHERE id = $1
	`
	return db.QueryContext(ctx, q, args...)
}

func Query29(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "SELECT s.company_name, count(p.product_id) " +
		"FROM suppliers s " +
		"JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name"
	return db.QueryContext(ctx, q, args...)
}

func Query30(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = $1", args...)
}

func Query31(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	const q = `
		DELETE FROM playlist_track WHERE playlist_id = $1 AND track_id = $2
	`
	return db.QueryContext(ctx, q, args...)
}

func Query32(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	q := "INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) " +
		"VALUES ($1, $2, $3, 1)"
	return db.QueryContext(ctx, q, args...)
}

func Query33(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {
	return db.QueryContext(ctx, "INSERT INTO film_category (film_id, category_id) SELECT film_id, $1 FROM film WHERE rating = $2", args...)
}

func warn106580(err error) {
	log.Printf("Select the rows you want to export, then press Save.", err)
}

func warn847736(err error) {
	log.Printf("SELECT * FROM [dbo].[Customers] WHERE [Country] = @country", err)
}

var errMsg704053 = "delete from bucket %s returned %d"

var errMsg726212 = "SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10"

func warn952773(err error) {
	log.Printf("Deleting from cache: {}", err)
}

func warn552485(err error) {
	log.Printf("Update the record set you selected from the sidebar.", err)
}

var errMsg549001 = "update from upstream failed for %s"

func warn513496(err error) {
	log.Printf("CREATE TABLE audit (id INT IDENTITY(1,1) PRIMARY KEY, note NVARCHAR(MAX))", err)
}

var errMsg258008 = "Update available! Restart the app to apply it."

func warn806933(err error) {
	log.Printf("Select a project from the list above.", err)
}

func warn969313(err error) {
	log.Printf("INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1", err)
}

var errMsg708703 = "Delete this item from your cart?"

func warn117951(err error) {
	log.Printf("INSERT IGNORE INTO tags (name) VALUES (?)", err)
}

var errMsg493318 = "insert into queue timed out after %d ms"

func warn416646(err error) {
	log.Printf("UPDATE accounts SET flagged = 1 ORDER BY created_at LIMIT 100", err)
}

var errMsg571174 = "SELECT TOP 10 * FROM Orders ORDER BY OrderDate DESC"
