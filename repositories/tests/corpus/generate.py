"""Writes the labelled extraction corpus: realistic source files in nine languages and file kinds.

Run `python repositories/tests/corpus/generate.py` to regenerate; the output (src/ and
manifest.json) is committed. The labels come from what this script put where, not from the
extractor: each SQL query and each SQL-looking non-SQL string is recorded with its file and
the line its literal starts on.

The queries are PostgreSQL over pagila/chinook/northwind-like schemas; the non-SQL strings are
prose and UI text, log messages, JPQL/HQL/DQL, other dialects (MySQL, T-SQL), templates and
fragments built by concatenation.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "src"

# Placeholders are written {name}; each language renders them in its driver's style.
QUERIES = [
    "SELECT film_id, title, release_year FROM film WHERE film_id = {id}",
    "SELECT * FROM customer WHERE email = {email}",
    "SELECT c.customer_id, c.first_name, c.last_name FROM customer c WHERE c.store_id = {store} ORDER BY c.last_name",
    "SELECT count(*) FROM rental WHERE return_date IS NULL",
    "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) "
    "VALUES ({customer}, {staff}, {rental}, {amount}, now())",
    "UPDATE customer SET active = false WHERE last_update < {cutoff}",
    "DELETE FROM rental WHERE rental_id = {id}",
    "SELECT f.title, count(r.rental_id) AS rentals FROM film f JOIN inventory i ON i.film_id = f.film_id "
    "JOIN rental r ON r.inventory_id = i.inventory_id GROUP BY f.title ORDER BY rentals DESC LIMIT 10",
    "SELECT a.first_name, a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id "
    "WHERE fa.film_id = {film}",
    "WITH late AS (SELECT rental_id, customer_id FROM rental WHERE return_date > rental_date + interval '7 days') "
    "SELECT customer_id, count(*) FROM late GROUP BY customer_id",
    "INSERT INTO audit_log (actor, action, created_at) VALUES ({actor}, {action}, now()) RETURNING id",
    "UPDATE inventory SET last_update = now() WHERE inventory_id = ANY({ids})",
    "SELECT t.name, al.title FROM track t JOIN album al ON al.album_id = t.album_id WHERE t.genre_id = {genre}",
    "SELECT i.invoice_id, i.total FROM invoice i WHERE i.customer_id = {customer} AND i.invoice_date >= {since}",
    "SELECT billing_country, sum(total) FROM invoice GROUP BY billing_country HAVING sum(total) > {minimum}",
    "INSERT INTO invoice_line (invoice_id, track_id, unit_price, quantity) VALUES ({invoice}, {track}, {price}, 1)",
    "DELETE FROM playlist_track WHERE playlist_id = {playlist} AND track_id = {track}",
    "UPDATE employee SET reports_to = {manager} WHERE employee_id = {employee}",
    "SELECT e.first_name, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to",
    "SELECT product_name, unit_price FROM products WHERE discontinued = 0 AND unit_price > {price}",
    "SELECT o.order_id, o.order_date, c.company_name FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
    "WHERE o.shipped_date IS NULL",
    "UPDATE products SET units_in_stock = units_in_stock - {qty} WHERE product_id = {product}",
    "INSERT INTO order_details (order_id, product_id, unit_price, quantity, discount) "
    "VALUES ({order}, {product}, {price}, {qty}, 0)",
    "DELETE FROM order_details WHERE order_id = {order}",
    "SELECT s.company_name, count(p.product_id) FROM suppliers s JOIN products p ON p.supplier_id = s.supplier_id "
    "GROUP BY s.company_name",
    "SELECT id, email, created_at FROM users WHERE organization_id = {org} ORDER BY created_at DESC LIMIT {limit}",
    "SELECT 1",
    "SELECT now()",
    "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ({user}, {hash}, {expires}) "
    "ON CONFLICT (token_hash) DO NOTHING",
    "UPDATE users SET last_login_at = now() WHERE id = {user}",
    "DELETE FROM sessions WHERE expires_at < now()",
    "SELECT u.id, u.email FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)",
    "SELECT date_trunc('day', created_at) AS day, count(*) FROM events WHERE created_at > {since} GROUP BY 1 ORDER BY 1",
    "INSERT INTO events (kind, payload) VALUES ({kind}, {payload}::jsonb)",
    "SELECT payload->>'type' AS kind, count(*) FROM events GROUP BY payload->>'type'",
    "UPDATE jobs SET status = 'running', started_at = now() WHERE id = (SELECT id FROM jobs WHERE status = 'queued' "
    "ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id",
    "SELECT id FROM jobs WHERE status = 'failed' AND attempts < {max_attempts}",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rental_customer ON rental (customer_id)",
    "CREATE TABLE IF NOT EXISTS feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false)",
    "ALTER TABLE customer ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0",
    "TRUNCATE TABLE staging_import",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    "SELECT r.rental_id, f.title, c.email FROM rental r JOIN inventory i USING (inventory_id) JOIN film f USING "
    "(film_id) JOIN customer c USING (customer_id) WHERE r.rental_date BETWEEN {start} AND {end}",
    "SELECT category.name, avg(film.length) FROM film JOIN film_category USING (film_id) JOIN category "
    "USING (category_id) GROUP BY category.name",
    "INSERT INTO film_category (film_id, category_id) SELECT film_id, {category} FROM film WHERE rating = {rating}",
    "UPDATE film SET rental_rate = rental_rate * 1.1 WHERE rating = {rating} AND release_year < {year}",
    "SELECT title FROM film WHERE to_tsvector('english', description) @@ plainto_tsquery('english', {term})",
    "SELECT * FROM payment WHERE payment_date >= {since} ORDER BY payment_date DESC OFFSET {offset} LIMIT {limit}",
    "DELETE FROM payment WHERE payment_id IN (SELECT payment_id FROM payment WHERE amount = 0)",
    "SELECT genre.name, count(*) FROM track JOIN genre ON genre.genre_id = track.genre_id GROUP BY genre.name",
]

# Strings that look like SQL but are not PostgreSQL queries, by kind.
PROSE = [
    "Select a project from the list above.",
    "Please select the files you want to delete.",
    "Update your profile settings before continuing.",
    "Delete this item from your cart?",
    "Select the rows you want to export, then press Save.",
    "Create a new table for the results, or pick an existing one.",
    "Update available! Restart the app to apply it.",
    "Select all customers from the selected region.",
    "Insert into the queue is paused while we upgrade.",
    "Delete from history: are you sure?",
    "Create an index on the column you filter by most.",
    "Select which table to update from the dropdown.",
    "With these settings your reports will update from the new source.",
    "Drop table rows here to reorder them.",
    "Update the record set you selected from the sidebar.",
]
LOGS = [
    "select failed: %s",
    "update from upstream failed for %s",
    "Deleting from cache: {}",
    "insert into queue timed out after %d ms",
    "delete from bucket %s returned %d",
    "Selected from pool: conn=%d busy=%d",
    "Update set for org %s computed in %.2fs",
    "select from replica lagging by %d seconds",
    "Delete from S3 failed, retrying (%d/%d)",
    "Insert into search index skipped: %s",
]
JPQL = [
    "SELECT u FROM User u WHERE u.email = :email",
    "SELECT o FROM Order o JOIN FETCH o.items WHERE o.id = :id",
    "SELECT COUNT(p) FROM Product p WHERE p.category = :category",
    "SELECT c FROM Customer c WHERE c.lastName LIKE :name ORDER BY c.lastName",
    "DELETE FROM Session s WHERE s.expiresAt < :now",
    "SELECT new com.acme.dto.Summary(c.id, c.name) FROM Customer c",
]
DIALECTS = [
    "SELECT * FROM `users` WHERE `email` = ?",
    "SELECT TOP 10 * FROM Orders ORDER BY OrderDate DESC",
    "SELECT * FROM [dbo].[Customers] WHERE [Country] = @country",
    "INSERT INTO counters (name, hits) VALUES (?, 1) ON DUPLICATE KEY UPDATE hits = hits + 1",
    "CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(80))",
    "SELECT * FROM products LIMIT 20, 10",
    "UPDATE accounts SET flagged = 1 ORDER BY created_at LIMIT 100",
    "SELECT * FROM orders WITH (NOLOCK) WHERE status = 'open'",
    "INSERT IGNORE INTO tags (name) VALUES (?)",
    "SELECT SQL_CALC_FOUND_ROWS * FROM posts LIMIT 10",
    "CREATE TABLE audit (id INT IDENTITY(1,1) PRIMARY KEY, note NVARCHAR(MAX))",
    "DELETE t1 FROM logs t1 JOIN hosts t2 ON t1.host_id = t2.id WHERE t2.retired = 1",
]
TEMPLATES = [
    "SELECT * FROM {table} WHERE id = %s",
    "SELECT {{ columns }} FROM {{ ref('orders') }}",
    "DELETE FROM %s WHERE created_at < now() - interval '30 days'",
    "SELECT * FROM ${tableName} WHERE id = ?",
]
NEGATIVES = (
    [("prose", s) for s in PROSE]
    + [("log", s) for s in LOGS]
    + [("jpql", s) for s in JPQL]
    + [("dialect", s) for s in DIALECTS]
    + [("template", s) for s in TEMPLATES]
)

STYLES = {
    "qmark": lambda name, n: "?",
    "dollar": lambda name, n: f"${n}",
    "pyformat": lambda name, n: "%s",
    "pyformat_named": lambda name, n: f"%({name})s",
    "colon": lambda name, n: f":{name}",
    "at": lambda name, n: f"@{name}",
}


def render(query: str, style: str) -> str:
    counter = [0]

    def place(match):
        counter[0] += 1
        return STYLES[style](match.group(1), counter[0])

    return re.sub(r"\{(\w+)\}", place, query)


def split_sql(sql: str, parts: int = 3) -> list[str]:
    """The query cut at keyword boundaries, each piece keeping its trailing space."""
    cuts = [m.start() for m in re.finditer(r" (?=FROM |WHERE |JOIN |GROUP |ORDER |VALUES |SET )", sql)]
    chosen = cuts[: parts - 1]
    pieces, last = [], 0
    for cut in chosen:
        pieces.append(sql[last : cut + 1])
        last = cut + 1
    pieces.append(sql[last:])
    return pieces


class FileWriter:
    """Builds one file line by line, recording where labelled literals start."""

    def __init__(self, path: str, language: str):
        self.path = path
        self.language = language
        self.lines: list[str] = []
        self.sql: list[dict] = []
        self.not_sql: list[dict] = []

    def add(self, text: str = "") -> int:
        first = len(self.lines) + 1
        self.lines.extend(text.split("\n"))
        return first

    def add_sql(self, text: str, offset: int = 0, query: str = "") -> None:
        line = self.add(text) + offset
        self.sql.append({"line": line, "query": query})

    def add_not_sql(self, text: str, kind: str, value: str, offset: int = 0) -> None:
        line = self.add(text) + offset
        self.not_sql.append({"line": line, "kind": kind, "text": value})

    def write(self, manifest: dict) -> None:
        target = OUT / self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(self.lines) + "\n")
        manifest[self.path] = {"language": self.language, "sql": self.sql, "not_sql": self.not_sql}


def java_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def py_string(s: str) -> str:
    return repr(s) if '"' in s else '"' + s.replace("\\", "\\\\") + '"'


# --- one generator per language: each takes (writer, rng, queries, negatives) ----------------


def gen_python(w: FileWriter, rng, queries, negatives):
    # Labelled data, not our code: the linter and formatter must leave the lines where they are.
    w.add("# ruff: noqa\n# fmt: off")
    w.add('"""Data access for the rental service.\n\nSelect rows from the film table and update them."""\n')
    w.add("import logging\n\nfrom sqlalchemy import text\n\nlogger = logging.getLogger(__name__)\n")
    for i, q in enumerate(queries):
        style = rng.choice(["pyformat", "pyformat_named"])
        sql = render(q, style)
        form = i % 5
        w.add(f"\n\ndef query_{i}(cursor, params):")
        w.add(f'    """Select the data from the table for query {i}."""')
        if form == 0:
            w.add_sql(f"    cursor.execute({py_string(sql)}, params)", query=q)
        elif form == 1:
            pieces = split_sql(sql)
            body = "\n".join(f"        {py_string(p)}" for p in pieces)
            w.add_sql(f"    cursor.execute(\n{body},\n        params,\n    )", offset=1, query=q)
        elif form == 2:
            w.add_sql(f'    sql = """\n        {sql}\n    """', query=q)
            w.add("    cursor.execute(sql, params)")
        elif form == 3:
            fsql = re.sub(r"%\((\w+)\)s|%s", lambda m: "{params[0]}", sql)
            w.add_sql(f"    return cursor.execute(f{py_string(fsql)})", query=q)
        else:
            w.add_sql(f"    return session.execute(text({py_string(render(q, 'colon'))}), params)", query=q)
        w.add("    return cursor.fetchall()")
    for kind, s in negatives:
        form = rng.randrange(3)
        if kind == "template":
            w.add_not_sql(f"\n\ndef build(table):\n    return {py_string(s)}.format(table=table)", kind, s, offset=3)
        elif form == 0:
            w.add_not_sql(f"\n\nlogger.warning({py_string(s)}, 'x')", kind, s, offset=2)
        elif form == 1:
            w.add_not_sql(f"\n\nHELP_TEXT_{abs(hash(s)) % 1000} = {py_string(s)}", kind, s, offset=2)
        else:
            w.add_not_sql(f"\n\ndef fail():\n    raise ValueError({py_string(s)})", kind, s, offset=3)


def gen_javascript(w: FileWriter, rng, queries, negatives, typescript=False):
    w.add("import { Pool } from 'pg';\nimport sql from 'sql-template-tag';\n\nconst pool = new Pool();\n")
    for i, q in enumerate(queries):
        sql = render(q, "dollar")
        form = i % 4
        ann = ": Promise<unknown>" if typescript else ""
        w.add(f"\nexport async function query{i}(args){ann} {{")
        if form == 0:
            quoted = "'" + sql.replace("'", "\\'") + "'"
            w.add_sql(f"  const {{ rows }} = await pool.query({quoted}, args);", query=q)
        elif form == 1:
            w.add_sql(f"  const text = `\n    {sql}\n  `;", query=q)
            w.add("  const { rows } = await pool.query(text, args);")
        elif form == 2:
            tsql = re.sub(r"\$\d+", lambda m: "${args[0]}", sql)
            w.add_sql(f"  const {{ rows }} = await pool.query(sql`{tsql}`);", query=q)
        else:
            pieces = split_sql(sql)
            body = " +\n    ".join(java_string(p) for p in pieces)
            w.add_sql(f"  const {{ rows }} = await knex.raw(\n    {body},\n    args);", offset=1, query=q)
        w.add("  return rows;\n}")
    for kind, s in negatives:
        form = rng.randrange(3)
        if kind == "template" and "${" in s:
            w.add_not_sql(f"\nconst build = (tableName) => `{s}`;", kind, s, offset=1)
        elif form == 0:
            w.add_not_sql(f"\nconsole.error({java_string(s)}, err);", kind, s, offset=1)
        elif form == 1:
            w.add_not_sql(
                f"\nexport const MESSAGE_{rng.randrange(10**6)} = '{s.replace(chr(39), chr(92) + chr(39))}';",
                kind,
                s,
                offset=1,
            )
        else:
            w.add_not_sql(f"\nthrow new Error({java_string(s)});", kind, s, offset=1)


def gen_go(w: FileWriter, rng, queries, negatives):
    w.add('package store\n\nimport (\n\t"context"\n\t"database/sql"\n\t"log"\n)\n')
    for i, q in enumerate(queries):
        sql = render(q, "dollar")
        form = i % 3
        w.add(f"\nfunc Query{i}(ctx context.Context, db *sql.DB, args ...any) (*sql.Rows, error) {{")
        if form == 0:
            w.add_sql(f"\treturn db.QueryContext(ctx, {java_string(sql)}, args...)", query=q)
        elif form == 1:
            w.add_sql(f"\tconst q = `\n\t\t{sql}\n\t`", query=q)
            w.add("\treturn db.QueryContext(ctx, q, args...)")
        else:
            pieces = split_sql(sql)
            body = " +\n\t\t".join(java_string(p) for p in pieces)
            w.add_sql(f"\tq := {body}", query=q)
            w.add("\treturn db.QueryContext(ctx, q, args...)")
        w.add("}")
    for kind, s in negatives:
        if rng.randrange(2):
            w.add_not_sql(
                f"\nfunc warn{rng.randrange(10**6)}(err error) {{\n\tlog.Printf({java_string(s)}, err)\n}}",
                kind,
                s,
                offset=2,
            )
        else:
            w.add_not_sql(f"\nvar errMsg{rng.randrange(10**6)} = {java_string(s)}", kind, s, offset=1)


def gen_java(w: FileWriter, rng, queries, negatives, kotlin=False):
    if kotlin:
        w.add("package com.acme.store\n\nimport org.springframework.data.jpa.repository.Query\n")
        w.add("interface RentalRepository : JpaRepository<Rental, Long> {")
    else:
        w.add("package com.acme.store;\n\nimport org.springframework.data.jpa.repository.Query;\n")
        w.add("public interface RentalRepository extends JpaRepository<Rental, Long> {")
    natives = queries[: len(queries) // 3]
    for i, q in enumerate(natives):
        sql = render(q, "colon")
        if kotlin:
            w.add_sql(f"    @Query(value = {java_string(sql)}, nativeQuery = true)", query=q)
            w.add(f"    fun native{i}(): List<Rental>\n")
        else:
            w.add_sql(f"    @Query(value = {java_string(sql)}, nativeQuery = true)", query=q)
            w.add(f"    List<Rental> native{i}();\n")
    jpql = [(k, s) for k, s in negatives if k == "jpql"]
    for i, (kind, s) in enumerate(jpql):
        w.add_not_sql(f"    @Query({java_string(s)})", kind, s)
        w.add(f"    {'fun jpql' + str(i) + '(): List<Rental>' if kotlin else 'List<Rental> jpql' + str(i) + '();'}\n")
    w.add("}\n")
    w.add("class RentalDao(private val jdbc: JdbcTemplate) {" if kotlin else "class RentalDao {")
    for i, q in enumerate(queries[len(natives) :]):
        form = i % 3
        sql = render(q, "qmark")
        if form == 0:
            w.add_sql(
                f"    private {'val' if kotlin else 'static final String'} SQL_{i} = {java_string(sql)}{'' if kotlin else ';'}",
                query=q,
            )
        elif form == 1:
            w.add_sql(
                f'    private {"val" if kotlin else "static final String"} BLOCK_{i} = """\n        {sql}\n        """{".trimIndent()" if kotlin else ";"}',
                query=q,
            )
        else:
            pieces = split_sql(sql)
            body = " +\n        ".join(java_string(p) for p in pieces)
            w.add_sql(
                f"    private {'val' if kotlin else 'static final String'} CONCAT_{i} =\n        {body}{'' if kotlin else ';'}",
                offset=1,
                query=q,
            )
    for kind, s in negatives:
        if kind == "jpql":
            w.add_not_sql(
                f"    {'val' if kotlin else 'Object'} q{rng.randrange(10**6)} = em.createQuery({java_string(s)}){'' if kotlin else ';'}",
                kind,
                s,
            )
            continue
        value = java_string(s).replace("$", "\\$") if kotlin else java_string(s)
        w.add_not_sql(
            f"    {'fun' if kotlin else 'void'} warn{rng.randrange(10**6)}() {{ log.warn({value}); }}", kind, s
        )
    w.add("}")


def gen_ruby(w: FileWriter, rng, queries, negatives):
    w.add("class Rental < ApplicationRecord")
    for i, q in enumerate(queries):
        form = i % 3
        sql = render(q, "qmark")
        w.add(f"  def self.query_{i}(*args)")
        if form == 0:
            w.add_sql(f"    find_by_sql([{java_string(sql)}, *args])", query=q)
        elif form == 1:
            rsql = sql.replace("?", "#{connection.quote(args.shift)}")
            w.add_sql(f"    connection.execute(<<~SQL)\n      {rsql}\n    SQL", offset=1, query=q)
        else:
            quoted = "'" + sql.replace("'", "\\'") + "'"
            w.add_sql(f"    connection.select_all(sanitize_sql_array([{quoted}, *args]))", query=q)
        w.add("  end\n")
    for kind, s in negatives:
        if rng.randrange(2):
            value = java_string(s).replace("#", "\\#")
            w.add_not_sql(
                f"  def warn_{rng.randrange(10**6)}\n    Rails.logger.warn({value})\n  end", kind, s, offset=1
            )
        else:
            w.add_not_sql(
                f"  MESSAGE_{rng.randrange(10**6)} = '{s.replace(chr(39), chr(92) + chr(39))}'.freeze", kind, s
            )
    w.add("end")


def gen_php(w: FileWriter, rng, queries, negatives):
    w.add("<?php\n\nnamespace App\\Repository;\n\nfinal class RentalRepository\n{")
    for i, q in enumerate(queries):
        form = i % 3
        sql = render(q, "colon")
        w.add(f"    public function query{i}(array $args): array\n    {{")
        if form == 0:
            quoted = "'" + sql.replace("'", "\\'") + "'"
            w.add_sql(f"        $stmt = $this->pdo->prepare({quoted});", query=q)
        elif form == 1:
            w.add_sql(f"        $sql = <<<SQL\n        {sql}\n        SQL;", offset=1, query=q)
            w.add("        $stmt = $this->pdo->prepare($sql);")
        else:
            pieces = split_sql(sql)
            body = " .\n            ".join(java_string(p).replace("$", "\\$") for p in pieces)
            w.add_sql(f"        $sql = {body};", query=q)
            w.add("        $stmt = $this->pdo->prepare($sql);")
        w.add("        $stmt->execute($args);\n        return $stmt->fetchAll();\n    }\n")
    for kind, s in negatives:
        if kind == "jpql":
            w.add_not_sql(
                f"    public function dql{rng.randrange(10**6)}() {{ return $this->em->createQuery('{s}'); }}", kind, s
            )
        elif rng.randrange(2):
            w.add_not_sql(
                f"    public function warn{rng.randrange(10**6)}() {{ $this->logger->warning('{s.replace(chr(39), chr(92) + chr(39))}'); }}",
                kind,
                s,
            )
        else:
            w.add_not_sql(f'    private const MSG_{rng.randrange(10**6)} = "{s.replace("$", chr(92) + "$")}";', kind, s)
    w.add("}")


def gen_csharp(w: FileWriter, rng, queries, negatives):
    w.add("using Dapper;\nusing Npgsql;\n\nnamespace Acme.Store;\n\npublic class RentalStore\n{")
    for i, q in enumerate(queries):
        form = i % 3
        sql = render(q, "at")
        w.add(f"    public Task<IEnumerable<Rental>> Query{i}(object args)\n    {{")
        if form == 0:
            w.add_sql(f"        return _db.QueryAsync<Rental>({java_string(sql)}, args);", query=q)
        elif form == 1:
            vsql = sql.replace('"', '""')
            w.add_sql(f'        const string sql = @"\n            {vsql}";', query=q)
            w.add("        return _db.QueryAsync<Rental>(sql, args);")
        else:
            isql = re.sub(r"@\w+", "{id}", sql, count=1)
            w.add_sql(f'        return _db.QueryAsync<Rental>($"{isql}");', query=q)
        w.add("    }\n")
    for kind, s in negatives:
        value = java_string(s).replace("{", "{{").replace("}", "}}") if False else java_string(s)
        if rng.randrange(2):
            w.add_not_sql(f"    private const string Msg{rng.randrange(10**6)} = {value};", kind, s)
        else:
            w.add_not_sql(f"    public void Warn{rng.randrange(10**6)}() => _log.LogWarning({value});", kind, s)
    w.add("}")


def gen_sql(w: FileWriter, rng, queries, negatives, named=False):
    w.add("-- Queries used by the reporting service.\n-- Select from these with care: update them together.\n")
    for i, q in enumerate(queries):
        sql = render(q, "colon" if named else "dollar")
        if named:
            w.add(f"-- name: query-{i}")
            w.add(f"-- Returns the rows for report {i}.")
            w.add_sql(sql if i % 2 else sql + ";", query=q)
        else:
            pieces = split_sql(sql)
            w.add_sql("\n    ".join(pieces) + ";", query=q)
        w.add("")
    if not named:
        w.add_sql(
            "CREATE OR REPLACE FUNCTION touch_last_update() RETURNS trigger AS $$\nBEGIN\n"
            "    NEW.last_update = now(); -- keep in sync; select nothing\n    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n",
            query="function",
        )
        w.add("BEGIN;\nSET search_path TO public;\nCOMMIT;\n")
        for kind, s in negatives:
            if kind in ("dialect",):
                w.add_not_sql(s + ";", kind, s)
                w.add("")


LANGUAGE_FILES = [
    ("python/app/rentals.py", "python", gen_python),
    ("python/app/billing.py", "python", gen_python),
    ("javascript/src/films.js", "javascript", gen_javascript),
    ("typescript/src/invoices.ts", "typescript", lambda *a: gen_javascript(*a, typescript=True)),
    ("go/store/rentals.go", "go", gen_go),
    ("java/src/main/java/com/acme/store/RentalRepository.java", "java", gen_java),
    ("kotlin/src/main/kotlin/com/acme/store/RentalRepository.kt", "kotlin", lambda *a: gen_java(*a, kotlin=True)),
    ("ruby/app/models/rental.rb", "ruby", gen_ruby),
    ("php/src/Repository/RentalRepository.php", "php", gen_php),
    ("csharp/Store/RentalStore.cs", "csharp", gen_csharp),
    ("sql/migrations/0001_reports.sql", "sql", gen_sql),
    ("sql/queries/users.sql", "sql", lambda *a: gen_sql(*a, named=True)),
]


def main() -> None:
    rng = random.Random(20261122)
    manifest: dict = {}
    for path, language, generate in LANGUAGE_FILES:
        queries = rng.sample(QUERIES, k=min(len(QUERIES), 34 if language != "sql" else 30))
        # JPQL/DQL only lives where an ORM reads it: JVM and PHP code.
        pool = [n for n in NEGATIVES if n[0] != "jpql" or language in ("java", "kotlin", "php")]
        negatives = rng.sample(pool, k=16)
        if language in ("java", "kotlin"):
            negatives += [("jpql", s) for s in JPQL if ("jpql", s) not in negatives]
        if language == "sql":
            negatives = [("dialect", s) for s in DIALECTS]
        writer = FileWriter(path, language)
        generate(writer, rng, queries, negatives)
        writer.write(manifest)
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    sql = sum(len(v["sql"]) for v in manifest.values())
    not_sql = sum(len(v["not_sql"]) for v in manifest.values())
    print(f"{len(manifest)} files, {sql} SQL occurrences, {not_sql} SQL-looking non-SQL strings")


if __name__ == "__main__":
    main()
