package repo

import (
	"context"
	"database/sql"
	"fmt"
	"log"
)

const listUsers = `-- name: ListUsers :many
SELECT id, email, created_at
FROM users
WHERE organization_id = $1
ORDER BY created_at DESC
LIMIT $2`

func ListUsers(ctx context.Context, db *sql.DB, org int64, limit int) (*sql.Rows, error) {
	return db.QueryContext(ctx, listUsers, org, limit)
}

func Touch(ctx context.Context, db *sql.DB, id int64) error {
	_, err := db.ExecContext(ctx, "UPDATE users SET last_seen_at = now() WHERE id = $1", id)
	if err != nil {
		log.Printf("update failed for user %d: %v", id, err)
	}
	return err
}

func CountByTable(ctx context.Context, db *sql.DB, table string) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s", table)).Scan(&n)
	return n, err
}

func Archive(ctx context.Context, tx *sql.Tx, before string) error {
	_, err := tx.ExecContext(ctx, `
		WITH moved AS (
			DELETE FROM events WHERE created_at < $1 RETURNING *
		)
		INSERT INTO events_archive SELECT * FROM moved`, before)
	return err
}

func Lock(ctx context.Context, tx *sql.Tx, key int64) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", key)
	return err
}

var errNotFound = fmt.Errorf("select failed: no rows for the given key")
