-- Schema and views of the billing service.
\set ON_ERROR_STOP on
BEGIN;

CREATE TABLE IF NOT EXISTS invoices (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    total numeric(12, 2) NOT NULL,
    note text DEFAULT 'n/a; see the ledger',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS invoices_customer_idx ON invoices (customer_id, created_at DESC);

CREATE OR REPLACE VIEW open_invoices AS
    SELECT i.* FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id);

CREATE OR REPLACE FUNCTION invoice_total(customer bigint) RETURNS numeric
LANGUAGE sql STABLE AS $fn$
    SELECT coalesce(sum(total), 0) FROM invoices WHERE customer_id = customer;
$fn$;

COMMENT ON TABLE invoices IS 'One row per invoice; select them by customer.';

INSERT INTO invoices (customer_id, total) VALUES (1, 10.00), (2, 25.50);

COMMIT;

-- MySQL leftovers that never ran on PostgreSQL:
CREATE TABLE legacy_sessions (id INT UNSIGNED NOT NULL AUTO_INCREMENT, PRIMARY KEY (id)) ENGINE=InnoDB;
SELECT * FROM legacy_sessions LIMIT 0, 50;
