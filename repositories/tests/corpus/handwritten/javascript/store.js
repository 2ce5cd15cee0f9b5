import { Pool } from 'pg';
import sql from 'sql-template-tag';

const pool = new Pool();

export async function recentOrders(customerId, limit = 10) {
  const { rows } = await pool.query(
    'SELECT id, total, created_at FROM orders ' +
      'WHERE customer_id = $1 ' +
      'ORDER BY created_at DESC LIMIT $2',
    [customerId, limit],
  );
  return rows;
}

export async function markShipped(id) {
  return pool.query(sql`UPDATE orders SET shipped_at = now() WHERE id = ${id} RETURNING id`);
}

export async function byStatus(statuses) {
  return pool.query('SELECT * FROM orders WHERE status = ANY($1::text[])', [statuses]);
}

export async function dynamicSort(column) {
  // the column name is interpolated: a template, not a query we can check
  return pool.query(`SELECT * FROM orders ORDER BY ${column} DESC`);
}

export async function windowed() {
  return pool.query(`
    SELECT customer_id, total,
           rank() OVER (PARTITION BY customer_id ORDER BY total DESC) AS rnk
    FROM orders
  `);
}

export function knexStyle(knex) {
  return knex.raw('SELECT id FROM users WHERE email = ? AND deleted_at IS NULL', ['a@b.c']);
}

export const labels = {
  pick: 'Select an order from the list to see its details',
  confirm: 'Delete this order? This cannot be undone.',
  updated: 'Update saved',
};

console.warn('insert into audit log skipped: %s', 'disabled');
