package postgres

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// SchemaVersion is the schema version this build's migrations bring a
// database to.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		panic("postgres: embedded migrations: " + err.Error()) // a build mistake
	}
	return len(ms)
}

// OpenRaw connects to the database dsn names for a tool that reads or
// copies its tables directly: no migrations are run. It fails unless the
// schema is at exactly SchemaVersion. Errors name host, port and
// database, never the password.
func OpenRaw(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	where := fmt.Sprintf("%s/%s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connecting to %s: %w", where, err)
	}
	var v int
	err = conn.QueryRow(ctx, `SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0
		ELSE (SELECT COALESCE(MAX(version), 0) FROM schema_version) END`).Scan(&v)
	if err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("postgres: %s: reading the schema version: %w", where, err)
	}
	if want := SchemaVersion(); v != want {
		conn.Close(ctx)
		if v < want {
			return nil, fmt.Errorf("postgres: %s has schema version %d, this parley expects %d: run \"parley serve\" on it once with this version to upgrade it (or use the parley version that wrote it)", where, v, want)
		}
		return nil, fmt.Errorf("postgres: %s has schema version %d, newer than this parley's %d: use the parley version that wrote it", where, v, want)
	}
	return conn, nil
}
