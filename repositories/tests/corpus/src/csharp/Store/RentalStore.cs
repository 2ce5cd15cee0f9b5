using Dapper;
using Npgsql;

namespace Acme.Store;

public class RentalStore
{
    public Task<IEnumerable<Rental>> Query0(object args)
    {
        return _db.QueryAsync<Rental>("DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)", args);
    }

    public Task<IEnumerable<Rental>> Query1(object args)
    {
        const string sql = @"
            SELECT o.order_id, o.order_date, c.company_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.shipped_date IS NULL";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query2(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to");
    }

    public Task<IEnumerable<Rental>> Query3(object args)
    {
        return _db.QueryAsync<Rental>("SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = @genre", args);
    }

    public Task<IEnumerable<Rental>> Query4(object args)
    {
        const string sql = @"
            SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN @start AND @end";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query5(object args)
    {
        return _db.QueryAsync<Rental>($"UPDATE inventory SET last_update = now() WHERE inventory_id = ANY({id})");
    }

    public Task<IEnumerable<Rental>> Query6(object args)
    {
        return _db.QueryAsync<Rental>("UPDATE users SET last_login_at = now() WHERE id = @user", args);
    }

    public Task<IEnumerable<Rental>> Query7(object args)
    {
        const string sql = @"
            INSERT INTO events (kind, payload) VALUES (@kind, @payload::jsonb)";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query8(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT title FROM film WHERE to_tsvector('english', description) @@ plainto_tsquery('english', {id})");
    }

    public Task<IEnumerable<Rental>> Query9(object args)
    {
        return _db.QueryAsync<Rental>("WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id", args);
    }

    public Task<IEnumerable<Rental>> Query10(object args)
    {
        const string sql = @"
            UPDATE employee SET reports_to = @manager WHERE employee_id = @employee";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query11(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name");
    }

    public Task<IEnumerable<Rental>> Query12(object args)
    {
        return _db.QueryAsync<Rental>("SELECT payload->>'type' AS kind, count(*) FROM events GROUP BY payload->>'type'", args);
    }

    public Task<IEnumerable<Rental>> Query13(object args)
    {
        const string sql = @"
            INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) VALUES (@order, @product, @price, @qty, 0)";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query14(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT date_trunc('day', created_at) AS day, count(*) FROM events WHERE created_at > {id} GROUP BY 1 ORDER BY 1");
    }

    public Task<IEnumerable<Rental>> Query15(object args)
    {
        return _db.QueryAsync<Rental>("SELECT i.invoice_id, i.total FROM invoice i WHERE i.customer_id = @customer AND i.invoice_date >= @since", args);
    }

    public Task<IEnumerable<Rental>> Query16(object args)
    {
        const string sql = @"
            TRUNCATE TABLE staging_import";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query17(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name");
    }

    public Task<IEnumerable<Rental>> Query18(object args)
    {
        return _db.QueryAsync<Rental>("INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (@user, @hash, @expires) ON CONFLICT (token_hash) DO NOTHING", args);
    }

    public Task<IEnumerable<Rental>> Query19(object args)
    {
        const string sql = @"
            SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > @minimum";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query20(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT count(*) FROM rental WHERE return_date IS NULL");
    }

    public Task<IEnumerable<Rental>> Query21(object args)
    {
        return _db.QueryAsync<Rental>("SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name", args);
    }

    public Task<IEnumerable<Rental>> Query22(object args)
    {
        const string sql = @"
            SELECT id FROM jobs WHERE status = 'failed' AND attempts < @max_attempts";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query23(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT 1");
    }

    public Task<IEnumerable<Rental>> Query24(object args)
    {
        return _db.QueryAsync<Rental>("SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = @film", args);
    }

    public Task<IEnumerable<Rental>> Query25(object args)
    {
        const string sql = @"
            SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = @store ORDER BY c.last_name";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query26(object args)
    {
        return _db.QueryAsync<Rental>($"DELETE FROM playlist_track WHERE playlist_id = {id} AND track_id = @track");
    }

    public Task<IEnumerable<Rental>> Query27(object args)
    {
        return _db.QueryAsync<Rental>("SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)", args);
    }

    public Task<IEnumerable<Rental>> Query28(object args)
    {
        const string sql = @"
            DELETE FROM sessions WHERE expires_at < now()";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query29(object args)
    {
        return _db.QueryAsync<Rental>($"UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = {id} AND release_year < @year");
    }

    public Task<IEnumerable<Rental>> Query30(object args)
    {
        return _db.QueryAsync<Rental>("INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (@invoice, @track, @price, 1)", args);
    }

    public Task<IEnumerable<Rental>> Query31(object args)
    {
        const string sql = @"
            SELECT now()";
        return _db.QueryAsync<Rental>(sql, args);
    }

    public Task<IEnumerable<Rental>> Query32(object args)
    {
        return _db.QueryAsync<Rental>($"SELECT f.title, count(r.rental_id) AS rentals FROM film f JOIN inventory i ON i.film_id = f.film_id JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10");
    }

    public Task<IEnumerable<Rental>> Query33(object args)
    {
        return _db.QueryAsync<Rental>("UPDATE jobs SET status = 'running', started_at = now() WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id", args);
    }

    public void Warn300070() => _log.LogWarning("Create a new table for the results, or pick an existing one.");
    private const string Msg939583 = "select failed: %s";
    private const string Msg668309 = "DELETE FROM %s WHERE created_at < now() - interval '30 days'";
    private const string Msg682184 = "Select all customers from the selected region.";
    public void Warn120416() => _log.LogWarning("Insert into search index skipped: %s");
    public void Warn862073() => _log.LogWarning("Delete this item from your cart?");
    private const string Msg12089 = "Insert into the queue is paused while we upgrade.";
    public void Warn860291() => _log.LogWarning("Delete from S3 failed, retrying (%d/%d)");
    private const string Msg895873 = "Delete from history: are you sure?";
    public void Warn607752() => _log.LogWarning("update from upstream failed for %s");
    public void Warn771674() => _log.LogWarning("Select a project from the list above.");
    private const string Msg885849 = "insert into queue timed out after %d ms";
    public void Warn829359() => _log.LogWarning("SELECT * FROM {table} WHERE id = %s");
    private const string Msg344601 = "Update your profile settings before continuing.";
    public void Warn771983() => _log.LogWarning("select from replica lagging by %d seconds");
    public void Warn165363() => _log.LogWarning("Update set for org %s computed in %.2fs");
}
