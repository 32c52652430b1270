package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one schema step; applying it brings the database to version.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations, named NNNN_description.sql,
// and checks that they are numbered 1, 2, 3, ... without gaps.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	// fs.Glob returns names in lexical order, which is numeric order for
	// zero-padded prefixes.
	var ms []migration
	for i, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want a name starting with %04d_", base, i+1)
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	return ms, nil
}

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
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migration %s on %s: %w", m.name, dbPath, err)
		}
		// PRAGMA takes no bound parameters; m.version is an int of ours.
		if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.version)); err != nil {
			return fmt.Errorf("sqlite: migration %s on %s: setting user_version: %w", m.name, dbPath, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate %s: commit: %w", dbPath, err)
	}
	return nil
}
