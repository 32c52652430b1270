package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"

	"github.com/parley-chat/parley/store/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one schema step; applying it brings the database to version.
// loadMigrations reads this store's embedded migrations.
func loadMigrations() ([]migrations.Migration, error) { return migrations.Load(migrationFS) }

// migrate brings the database at db (the writer pool) up to the newest
// embedded migration. The version check and every pending migration run in
// one IMMEDIATE transaction, so two processes opening the same new file
// cannot both apply a step, and a failed upgrade leaves the file untouched.
// The schema version lives in PRAGMA user_version, which is transactional.
func migrate(ctx context.Context, db *sql.DB, dbPath string) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("sqlite: loading migrations: %w", err)
	}
	known := len(ms)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback()

	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("sqlite: reading schema version of %s: %w", dbPath, err)
	}
	if current > known {
		return fmt.Errorf("database %s has schema version %d, but this parley knows only up to %d: upgrade parley, or point --db at another file",
			dbPath, current, known)
	}
	if current == known {
		return nil
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlite: migration %s on %s: %w", m.Name, dbPath, err)
		}
		// PRAGMA takes no bound parameters; m.Version is an int of ours.
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.Version)); err != nil {
			return fmt.Errorf("sqlite: migration %s on %s: setting user_version: %w", m.Name, dbPath, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate %s: commit: %w", dbPath, err)
	}
	return nil
}
