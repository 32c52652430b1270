package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/store/postgres"
)

// defaultTestDSN is the server the tests use unless PARLEY_TEST_POSTGRES
// names another. The role must be allowed to create databases.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func adminDSN() string {
	if dsn := os.Getenv("PARLEY_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// describe names the server of dsn without its password.
func describe(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return fmt.Sprintf("%s/%s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}

// tempDB creates an empty database for t and returns its DSN; the database
// is dropped when t ends. It skips t when the server cannot be reached.
func tempDB(t testing.TB) string {
	t.Helper()
	admin := adminDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Skipf("PostgreSQL not reachable at %s: start it or set PARLEY_TEST_POSTGRES (%v)", describe(admin), err)
	}
	defer conn.Close(ctx)

	var b [8]byte
	rand.Read(b[:])
	name := "parley_test_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	return withDatabase(t, admin, name)
}

// withDatabase returns dsn with its database replaced by name.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("PARLEY_TEST_POSTGRES: %v", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	// key=value form: a later key overrides an earlier one.
	return dsn + " dbname=" + name
}

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
