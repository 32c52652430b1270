package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/sqlite"
)

// A backup taken while messages are being committed holds a consistent
// prefix of the log: every message up to some ID, nothing after it, and a
// search index that matches exactly those messages.
func TestBackupDuringPostingIsAConsistentPrefix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	st, err := sqlite.Open(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	stop := make(chan struct{})
	var stopOnce sync.Once
	var posted sync.WaitGroup
	halt := func() {
		stopOnce.Do(func() { close(stop) })
		posted.Wait()
	}
	defer halt()
	posted.Add(1)
	batches := make(chan int, 1000)
	go func() { // the server keeps posting, in batches of 5 per commit
		defer posted.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var msgs []*parley.Message
			for j := range 5 {
				msgs = append(msgs, &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada",
					Text: "backup load line " + strconv.Itoa(i*5+j), Time: time.Now()})
			}
			if err := st.Append(ctx, msgs); err != nil {
				t.Errorf("append: %v", err)
				return
			}
			select {
			case batches <- i:
			case <-stop:
				return
			}
		}
	}()
	for range 20 { // some history before the backup starts
		<-batches
	}
	dest := filepath.Join(dir, "backup.db")
	if err := sqlite.Backup(ctx, live, dest); err != nil {
		t.Fatal(err)
	}
	for range 5 { // posting went on after it
		<-batches
	}
	halt()

	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v, want 0600 (it holds password hashes)", fi.Mode(), err)
	}
	b, err := sqlite.OpenRaw(ctx, dest, true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var n, maxID int64
	if err := b.QueryRow(`SELECT count(*), coalesce(max(id), 0) FROM messages`).Scan(&n, &maxID); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n%5 != 0 || n != maxID {
		t.Fatalf("backup holds %d messages up to ID %d: want whole commits of 5, IDs 1 to N with no gap", n, maxID)
	}
	all, err := st.After(ctx, []string{"lobby"}, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(all)) <= n {
		t.Fatalf("live database has %d messages, backup %d: posting did not go on after the backup", len(all), n)
	}
	rows, err := b.Query(`SELECT id, text FROM messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			t.Fatal(err)
		}
		if id != all[i].ID || text != all[i].Text {
			t.Fatalf("backup message %d = %d %q, live has %d %q", i, id, text, all[i].ID, all[i].Text)
		}
		i++
	}
	var indexed int64
	if err := b.QueryRow(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'backup AND load'`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed != n {
		t.Errorf("search index of the backup finds %d messages, want all %d it holds", indexed, n)
	}
}

func TestBackupRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	st, err := sqlite.Open(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	exists := filepath.Join(dir, "exists.db")
	os.WriteFile(exists, []byte("keep me"), 0o600)
	for _, c := range []struct{ name, from, to, mention string }{
		{"existing file", live, exists, "exists already"},
		{"missing directory", live, filepath.Join(dir, "no", "such.db"), "does not exist"},
		{"missing source", filepath.Join(dir, "nope.db"), filepath.Join(dir, "b.db"), "not a database file"},
		{"not a database", exists, filepath.Join(dir, "c.db"), "not a database"},
	} {
		err := sqlite.Backup(ctx, c.from, c.to)
		if err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.mention)
		}
	}
	if b, _ := os.ReadFile(exists); string(b) != "keep me" {
		t.Error("a refused backup changed an existing file")
	}
}

// Restore refuses to replace a database unless forced, keeps the old one
// aside when it does, and the restored database opens with its messages.
func TestRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	st, err := sqlite.Open(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, []*parley.Message{{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "before the backup", Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := sqlite.Backup(ctx, live, backup); err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, []*parley.Message{{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "after the backup", Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if err := sqlite.Restore(ctx, backup, live, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore over a database without force: %v, want a refusal naming --force", err)
	}
	if err := sqlite.Restore(ctx, filepath.Join(dir, "nope.db"), filepath.Join(dir, "new.db"), false); err == nil {
		t.Fatal("restore from a missing backup succeeded")
	}
	if err := sqlite.Restore(ctx, backup, live, true); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		live:                     {"before the backup"},
		live + ".before-restore": {"before the backup", "after the backup"},
	} {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := db.After(ctx, []string{"lobby"}, 0, 10)
		db.Close()
		var got []string
		for _, m := range msgs {
			got = append(got, m.Text)
		}
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s holds %q (%v), want %q", filepath.Base(path), got, err, want)
		}
	}
	// The replaced database had handed out ID 2: a client may hold that
	// cursor, so the restored log's next message comes after it.
	db, err := sqlite.Open(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	next := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "after the restore", Time: time.Now()}
	if err := db.Append(ctx, []*parley.Message{next}); err != nil || next.ID != 3 {
		t.Errorf("first message after the restore got ID %d (%v), want 3: above every ID the replaced database gave out", next.ID, err)
	}
}
