package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/storetest"
)

func TestSearchContract(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.SearchStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestRetentionContract(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestDeleteContract(t *testing.T) {
	storetest.RunDelete(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

// TestUpgradeIndexesExistingMessages opens a database of schema version 2
// holding messages: migration 0003 indexes its chat lines, not its joins.
func TestUpgradeIndexesExistingMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	db := rawDB(t, path)
	for _, f := range []string{"0001_init.sql", "0002_people.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO messages (room, kind, from_name, text, created) VALUES ('lobby', 'message', 'ada', 'an old budget line', 1)`,
		`INSERT INTO messages (room, kind, from_name, text, created) VALUES ('lobby', 'join', 'ada', 'ada has entered the budget', 2)`,
		`PRAGMA user_version = 2`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	page, err := s.Search(t.Context(), parley.SearchQuery{Text: "budget", Rooms: []string{"lobby"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Hits) != 1 || page.Hits[0].Message.Text != "an old budget line" {
		t.Fatalf("search after upgrade = %+v, want the old chat line only", page.Hits)
	}
	if r, err := s.Retention(t.Context(), "lobby"); err != nil || !r.Forever() {
		t.Fatalf("retention after upgrade = %+v, %v; want forever", r, err)
	}
}

// TestIndexIntegrity runs FTS5's own check after appends, deletions,
// retention and a room deletion: the index must agree with itself and
// with the chat lines it was given.
func TestIndexIntegrity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	ctx := t.Context()
	if err := s.CreateRoom(ctx, &parley.Room{Name: "doomed"}); err != nil {
		t.Fatal(err)
	}
	var msgs []*parley.Message
	for i := range 300 {
		room := []string{"lobby", "doomed"}[i%2]
		kind := []string{parley.KindMessage, parley.KindMessage, parley.KindJoin}[i%3]
		msgs = append(msgs, &parley.Message{Room: room, Kind: kind, From: "ada", Text: fmt.Sprintf("Ünïcödé line %d café", i)})
	}
	if err := s.Append(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs[:20] {
		if err := s.Append(ctx, []*parley.Message{{Room: m.Room, Kind: parley.KindDelete, From: "root", Text: fmt.Sprint(m.ID)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetRetention(ctx, "lobby", parley.Retention{Messages: 50}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRetention(ctx, "lobby", msgs[0].Time); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoom(ctx, "doomed"); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')`); err != nil {
		t.Fatalf("integrity-check: %v", err)
	}
	// Every indexed row is a chat line that exists, and the other way round.
	var indexed, lines int
	if err := db.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'cafe'`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM messages WHERE kind = 'message'`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	if indexed != lines || lines != 50 {
		t.Fatalf("%d rows match in the index, %d chat lines stored; want 50 of each", indexed, lines)
	}
	var ids []int64
	rows, err := db.Query(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'line' ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, m := range msgs[:20] {
		if slices.Contains(ids, m.ID) {
			t.Errorf("deleted message %d still in the index", m.ID)
		}
	}
}
