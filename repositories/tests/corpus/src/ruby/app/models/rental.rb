class Rental < ApplicationRecord
  def self.query_0(*args)
    find_by_sql(["INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES (?, ?, ?, 1)", *args])
  end

  def self.query_1(*args)
    connection.execute(<<~SQL)
      UPDATE inventory SET last_update = now() WHERE inventory_id = ANY(#{connection.quote(args.shift)})
    SQL
  end

  def self.query_2(*args)
    connection.select_all(sanitize_sql_array(['INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (?, ?, ?) ON CONFLICT (token_hash) DO NOTHING', *args]))
  end

  def self.query_3(*args)
    find_by_sql(["SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = ?", *args])
  end

  def self.query_4(*args)
    connection.execute(<<~SQL)
      TRUNCATE TABLE staging_import
    SQL
  end

  def self.query_5(*args)
    connection.select_all(sanitize_sql_array(['UPDATE employee SET reports_to = ? WHERE employee_id = ?', *args]))
  end

  def self.query_6(*args)
    find_by_sql(["INSERT INTO audit_log (actor, action, created_at) VALUES (?, ?, now()) RETURNING id", *args])
  end

  def self.query_7(*args)
    connection.execute(<<~SQL)
      UPDATE users SET last_login_at = now() WHERE id = #{connection.quote(args.shift)}
    SQL
  end

  def self.query_8(*args)
    connection.select_all(sanitize_sql_array(['SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > ?', *args]))
  end

  def self.query_9(*args)
    find_by_sql(["SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id WHERE fa.film_id = ?", *args])
  end

  def self.query_10(*args)
    connection.execute(<<~SQL)
      SELECT id FROM jobs WHERE status = 'failed' AND attempts < #{connection.quote(args.shift)}
    SQL
  end

  def self.query_11(*args)
    connection.select_all(sanitize_sql_array(['SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > ?', *args]))
  end

  def self.query_12(*args)
    find_by_sql(["SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id GROUP BY s.company_name", *args])
  end

  def self.query_13(*args)
    connection.execute(<<~SQL)
      SELECT * FROM payment WHERE payment_date >= #{connection.quote(args.shift)} ORDER BY payment_date DESC OFFSET #{connection.quote(args.shift)} LIMIT #{connection.quote(args.shift)}
    SQL
  end

  def self.query_14(*args)
    connection.select_all(sanitize_sql_array(['UPDATE products SET units_in_stock = units_in_stock - ? WHERE product_id = ?', *args]))
  end

  def self.query_15(*args)
    find_by_sql(["DELETE FROM sessions WHERE expires_at < now()", *args])
  end

  def self.query_16(*args)
    connection.execute(<<~SQL)
      DELETE FROM order_details WHERE order_id = #{connection.quote(args.shift)}
    SQL
  end

  def self.query_17(*args)
    connection.select_all(sanitize_sql_array(['INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (?, ?, ?, ?, now())', *args]))
  end

  def self.query_18(*args)
    find_by_sql(["SELECT * FROM customer WHERE email = ?", *args])
  end

  def self.query_19(*args)
    connection.execute(<<~SQL)
      CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)
    SQL
  end

  def self.query_20(*args)
    connection.select_all(sanitize_sql_array(['CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false)', *args]))
  end

  def self.query_21(*args)
    find_by_sql(["SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING (film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN ? AND ?", *args])
  end

  def self.query_22(*args)
    connection.execute(<<~SQL)
      SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)
    SQL
  end

  def self.query_23(*args)
    connection.select_all(sanitize_sql_array(['SELECT count(*) FROM rental WHERE return_date IS NULL', *args]))
  end

  def self.query_24(*args)
    find_by_sql(["SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category USING (category_id) GROUP BY category.name", *args])
  end

  def self.query_25(*args)
    connection.execute(<<~SQL)
      INSERT INTO events (kind, payload) VALUES (#{connection.quote(args.shift)}, #{connection.quote(args.shift)}::jsonb)
    SQL
  end

  def self.query_26(*args)
    connection.select_all(sanitize_sql_array(['ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0', *args]))
  end

  def self.query_27(*args)
    find_by_sql(["SELECT id, email, created_at FROM users WHERE organization_id = ? ORDER BY created_at DESC LIMIT ?", *args])
  end

  def self.query_28(*args)
    connection.execute(<<~SQL)
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'
    SQL
  end

  def self.query_29(*args)
    connection.select_all(sanitize_sql_array(['UPDATE customer SET active = false WHERE last_update < ?', *args]))
  end

  def self.query_30(*args)
    find_by_sql(["SELECT date_trunc('day', created_at) AS day, count(*) FROM events WHERE created_at > ? GROUP BY 1 ORDER BY 1", *args])
  end

  def self.query_31(*args)
    connection.execute(<<~SQL)
      DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)
    SQL
  end

  def self.query_32(*args)
    connection.select_all(sanitize_sql_array(['SELECT title FROM film WHERE to_tsvector(\'english\', description) @@ plainto_tsquery(\'english\', ?)', *args]))
  end

  def self.query_33(*args)
    find_by_sql(["WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') SELECT customer_id, count(*) FROM late GROUP BY customer_id", *args])
  end

  MESSAGE_30387 = 'SELECT * FROM `users` WHERE `email` = ?'.freeze
  MESSAGE_106821 = 'SELECT * FROM {table} WHERE id = %s'.freeze
  MESSAGE_161104 = 'Insert into the queue is paused while we upgrade.'.freeze
  def warn_761401
    Rails.logger.warn("Deleting from cache: {}")
  end
  MESSAGE_362105 = 'Update the record set you selected from the sidebar.'.freeze
  MESSAGE_45372 = 'Create an index on the column you filter by most.'.freeze
  MESSAGE_261943 = 'CREATE TABLE audit (id INT IDENTITY(1,1) PRIMARY KEY, note NVARCHAR(MAX))'.freeze
  def warn_943253
    Rails.logger.warn("SELECT * FROM ${tableName} WHERE id = ?")
  end
  MESSAGE_92081 = 'select failed: %s'.freeze
  MESSAGE_354082 = 'Select a project from the list above.'.freeze
  MESSAGE_904495 = 'SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10'.freeze
  MESSAGE_97101 = 'update from upstream failed for %s'.freeze
  MESSAGE_480171 = 'Selected from pool: conn=%d busy=%d'.freeze
  def warn_422214
    Rails.logger.warn("Insert into search index skipped: %s")
  end
  MESSAGE_644276 = 'INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1'.freeze
  MESSAGE_703681 = 'Update set for org %s computed in %.2fs'.freeze
end
