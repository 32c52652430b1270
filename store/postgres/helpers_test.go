package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/store/postgres"
)

// tempDB creates an empty database for t (see servicetest.PostgresDB).
func tempDB(t testing.TB) string { return servicetest.PostgresDB(t) }

// describe names the server of dsn without its password.
func describe(dsn string) string { return servicetest.Describe(dsn) }

// open opens the store at dsn and closes it when t ends.
func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", describe(dsn), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawConn connects to dsn directly, bypassing the store.
func rawConn(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
