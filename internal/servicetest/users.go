package servicetest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/store/sqlite"
)

// CreateUsers stores accounts with password in the SQLite database at
// path (creating it if missing), before a server opens it. A user named
// "root" is a server admin.
func CreateUsers(t testing.TB, path, password string, names ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
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

// CreateAPIKey stores an API key labelled label in the SQLite database at
// path (creating it if missing), before a server opens it, and returns the
// key as a client sends it.
func CreateAPIKey(t testing.TB, path, label string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
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
