package server

import (
	"context"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/postgres"
	"github.com/parley-chat/parley/store/sqlite"
)

// NodeStore is what a node needs of its store. Both stores implement it;
// search, retention and deletion are found by interface where they are
// used.
type NodeStore interface {
	parley.Store
	parley.UserStore
	parley.RoomAccessStore
	parley.LogReader
	parley.Searcher

	parley.AccountAdmin
}

var (
	_ NodeStore = (*sqlite.Store)(nil)
	_ NodeStore = (*postgres.Store)(nil)
)

// IsPostgres reports whether db names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// OpenStore opens the store db names, applying migrations: PostgreSQL for
// a postgres:// URL, otherwise the SQLite file at that path.
func OpenStore(ctx context.Context, db string) (NodeStore, error) {
	if IsPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}
