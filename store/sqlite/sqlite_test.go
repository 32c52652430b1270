package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/sqlite"
	"github.com/parley-chat/parley/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) parley.Store {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	if err := s.CreateRoom(ctx, &parley.Room{Name: "kept", Topic: "still here"}); err != nil {
		t.Fatal(err)
	}
	msgs := []*parley.Message{
		{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "one"},
		{Room: "kept", Kind: parley.KindJoin, From: "bob", Text: "two 🎉"},
	}
	if err := s.Append(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t, path)
	last, err := s.LastID(ctx)
	if err != nil || last != msgs[1].ID {
		t.Fatalf("LastID after reopen = %d, %v; want %d", last, err, msgs[1].ID)
	}
	got, err := s.After(ctx, []string{"lobby", "kept"}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("After reopen: %d messages, want 2", len(got))
	}
	for i, m := range got {
		w := msgs[i]
		if m.ID != w.ID || m.Room != w.Room || m.Kind != w.Kind || m.From != w.From || m.Text != w.Text || !m.Time.Equal(w.Time) {
			t.Errorf("message %d after reopen = %+v, want %+v", i, m, *w)
		}
	}
	r, err := s.Room(ctx, "kept")
	if err != nil || r.Topic != "still here" {
		t.Fatalf("Room(kept) after reopen = %+v, %v", r, err)
	}
	next := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "three"}
	if err := s.Append(ctx, []*parley.Message{next}); err != nil {
		t.Fatal(err)
	}
	if next.ID <= last {
		t.Fatalf("ID after reopen = %d, want > %d", next.ID, last)
	}
}

// rawDB opens path with plain database/sql, bypassing the Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	s.Close()

	db := rawDB(t, path)
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	for _, want := range []string{path, "schema version 999", fmt.Sprintf("only up to %d", migrationCount(t)), "upgrade parley"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	for range 3 {
		s := open(t, path)
		rooms, err := s.Rooms(t.Context())
		if err != nil || len(rooms) != 1 {
			t.Fatalf("Rooms = %+v, %v; want only lobby", rooms, err)
		}
		s.Close()
	}
	var v int
	if err := rawDB(t, path).QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != migrationCount(t) {
		t.Fatalf("user_version = %d, %v; want %d", v, err, migrationCount(t))
	}
}

// TestSchema checks the settings the store relies on: WAL, and an
// AUTOINCREMENT key, so an ID is never reused even after deletes.
func TestSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	m := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "doomed"}
	if err := s.Append(t.Context(), []*parley.Message{m}); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, path)
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'messages'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "AUTOINCREMENT") {
		t.Fatalf("messages table is not AUTOINCREMENT:\n%s", ddl)
	}
	// Delete the newest message behind the store's back: its ID must not
	// come back.
	if _, err := db.Exec(`DELETE FROM messages WHERE id = ?`, m.ID); err != nil {
		t.Fatal(err)
	}
	next := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "next"}
	if err := s.Append(t.Context(), []*parley.Message{next}); err != nil {
		t.Fatal(err)
	}
	if next.ID <= m.ID {
		t.Fatalf("ID %d reused or lower after deleting ID %d", next.ID, m.ID)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	t.Chdir(t.TempDir()) // in case it makes a file named ":memory:"
	s, err := sqlite.Open(t.Context(), ":memory:")
	if err == nil {
		s.Close()
		t.Fatal("Open(:memory:) succeeded; its pools would not share a database")
	}
}

func TestPathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd dir?#%", "p&q=1.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if err := s.Append(t.Context(), []*parley.Message{{Room: "lobby", Kind: parley.KindMessage, From: "a", Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("the database is not at %q: %v", path, err)
	}
}
