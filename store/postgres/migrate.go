package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/parley-chat/parley/store/internal/migrations"

	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrateLockKey is the pg_advisory_xact_lock key that serialises schema
// migrations among every process opening the same database. The value is
// arbitrary ("parleymg" in ASCII); it only has to differ from other
// advisory lock keys used on the database.
const migrateLockKey int64 = 0x7061726c65796d67

// migration is one schema step; applying it brings the database to version.
// loadMigrations reads this store's embedded migrations.
func loadMigrations() ([]migrations.Migration, error) { return migrations.Load(migrationFS) }

// migrate brings the database up to the newest embedded migration. The
// version check and every pending migration run in one transaction that
// first takes an advisory lock, so nodes starting at once wait for each
// other instead of applying a step twice, and a failed upgrade leaves the
// database as it was (PostgreSQL's DDL is transactional).
//
// schema_version has one row per applied migration; the schema version is
// the highest. The table is created here, not by a migration, because it
// must exist before the first one can be recorded.
func migrate(ctx context.Context, pool *pgxpool.Pool, where string) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("postgres: loading migrations: %w", err)
	}
	known := len(ms)

	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", where, err)
	}
	defer tx.Rollback(ctx)

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("postgres: migrate %s: taking the migration lock: %w", where, err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: reading schema version of %s: %w", where, err)
	}
	if !exists {
		// Only when missing: CREATE TABLE IF NOT EXISTS would need the
		// CREATE privilege even when the table is there, and a node may
		// run as a role without it once the schema is current.
		if _, err := tx.Exec(ctx, `CREATE TABLE schema_version (
			version integer     NOT NULL PRIMARY KEY,
			name    text        NOT NULL,
			applied timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("postgres: migrate %s: creating schema_version: %w", where, err)
		}
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: reading schema version of %s: %w", where, err)
	}
	if current > known {
		return fmt.Errorf("database %s has schema version %d, but this parley knows only up to %d: upgrade parley, or point it at another database",
			where, current, known)
	}
	if current == known {
		return nil
	}
	for _, m := range ms[current:] {
		// Without arguments pgx sends the file with the simple query
		// protocol, which runs several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("postgres: migration %s on %s: %w", m.Name, where, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("postgres: migration %s on %s: recording the version: %w", m.Name, where, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate %s: commit: %w", where, err)
	}
	return nil
}
