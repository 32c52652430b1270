package servicetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/store/postgres"
	"github.com/parley-chat/parley/store/sqlite"
)

// peopleStore is what these helpers need of a store.
type peopleStore interface {
	CreateUser(ctx context.Context, u parley.User, passwordHash string) error
	CreateAPIKey(ctx context.Context, k parley.APIKey) error
	Close() error
}

// openPeople opens the store at db: a PostgreSQL URL or a SQLite path.
func openPeople(t testing.TB, db string) peopleStore {
	t.Helper()
	ctx := context.Background()
	var st peopleStore
	var err error
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		st, err = postgres.Open(ctx, db)
	} else {
		st, err = sqlite.Open(ctx, db)
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// CreateUsers stores accounts with password in the database at path (a
// SQLite file, created if missing, or a PostgreSQL URL), before a server
// opens it. A user named "root" is a server admin.
func CreateUsers(t testing.TB, path, password string, names ...string) {
	t.Helper()
	ctx := context.Background()
	st := openPeople(t, path)
	defer st.Close()
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := st.CreateUser(ctx, parley.User{Name: name, Admin: name == "root"}, hash); err != nil {
			t.Fatalf("creating user %s: %v", name, err)
		}
	}
}

// CreateAPIKey stores an API key labelled label in the database at path
// (a SQLite file, created if missing, or a PostgreSQL URL), before a
// server opens it, and returns the key as a client sends it.
func CreateAPIKey(t testing.TB, path, label string) string {
	t.Helper()
	ctx := context.Background()
	st := openPeople(t, path)
	defer st.Close()
	id, secret, key, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(ctx, parley.APIKey{ID: id, SecretHash: auth.HashSecret(secret), Label: label, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return key
}
