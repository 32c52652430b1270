// Package servicetest gives tests what they set up around a node: the
// external services the cluster code runs on (a fresh PostgreSQL
// database, a NATS server shared or private, a TCP proxy that can cut
// them), accounts in a SQLite file, and a self-signed certificate.
// A test whose service cannot be reached is skipped with a message that
// says how to provide it; CI (.ci/run) always starts both services.
package servicetest

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
)

// DefaultPostgres is the server tests use unless PARLEY_TEST_POSTGRES
// names another. The role must be allowed to create databases.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresAdmin returns the DSN tests create their databases through.
func PostgresAdmin() string {
	if dsn := os.Getenv("PARLEY_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return DefaultPostgres
}

// Describe names the server and database of dsn without its password.
func Describe(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return fmt.Sprintf("%s/%s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}

// PostgresDB creates an empty database for t and returns its DSN; the
// database is dropped when t ends. It skips t when the server cannot be
// reached.
func PostgresDB(t testing.TB) string {
	t.Helper()
	admin := PostgresAdmin()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Skipf("PostgreSQL not reachable at %s: start it or set PARLEY_TEST_POSTGRES (%v)", Describe(admin), err)
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
	return WithDatabase(t, admin, name)
}

// WithDatabase returns dsn with its database replaced by name.
func WithDatabase(t testing.TB, dsn, name string) string {
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

// ThroughProxy returns dsn with its host and port replaced by addr
// (host:port), for a Proxy in front of the server.
func ThroughProxy(t testing.TB, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("cannot put a proxy in front of %s: use a postgres:// URL in PARLEY_TEST_POSTGRES", Describe(dsn))
	}
	u.Host = addr
	return u.String()
}

// PostgresAddr returns the host:port of the server dsn names.
func PostgresAddr(t testing.TB, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parsing %s: %v", Describe(dsn), err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}
