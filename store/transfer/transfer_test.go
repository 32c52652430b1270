package transfer

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/store/postgres"
	"github.com/parley-chat/parley/store/sqlite"
)

// fill gives a SQLite database something of everything: n messages in
// several rooms, accounts (one admin, one disabled), login sessions, API
// keys, a private room with members and an invitation, a direct
// conversation, retention rules, a deleted message, a guest's line and a
// line posted with an idempotency key.
func fill(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	must(st.CreateUser(ctx, parley.User{Name: "ada", Admin: true, Created: now}, "hash-ada"))
	must(st.CreateUser(ctx, parley.User{Name: "bob", Created: now}, "hash-bob"))
	must(st.CreateUser(ctx, parley.User{Name: "Eve", Created: now}, "hash-eve"))
	must(st.SetDisabled(ctx, "Eve", true))
	must(st.CreateLoginSession(ctx, parley.LoginSession{TokenHash: []byte("session-of-ada-32-bytes-long...."), User: "ada", Created: now, Expires: now.Add(24 * time.Hour)}))
	must(st.CreateAPIKey(ctx, parley.APIKey{ID: "pk_app", SecretHash: []byte("secret-hash"), Label: "the shop", Created: now}))
	for _, r := range []string{"general", "staff"} {
		must(st.CreateRoom(ctx, &parley.Room{Name: r, Created: now}))
	}
	must(st.UpdateRoom(ctx, "staff", parley.RoomSettings{Visibility: parley.RoomPrivate, Owner: "ada", Notices: false}))
	must(st.SetTopic(ctx, "staff", "the staff room"))
	must(st.SetMember(ctx, parley.Member{Room: "staff", User: "ada", Role: "owner"}))
	must(st.SetMember(ctx, parley.Member{Room: "staff", User: "bob", Role: "member"}))
	must(st.Invite(ctx, "staff", "Eve", "ada"))
	must(st.SetRetention(ctx, "general", parley.Retention{Days: 30}))
	dm := parley.DirectRoomName("ada", "bob")
	must(st.CreateRoom(ctx, &parley.Room{Name: dm, Created: now}))
	must(st.UpdateRoom(ctx, dm, parley.RoomSettings{Visibility: parley.RoomDirect, Notices: false}))
	must(st.SetMember(ctx, parley.Member{Room: dm, User: "ada", Role: "member"}))
	must(st.SetMember(ctx, parley.Member{Room: dm, User: "bob", Role: "member"}))

	rooms := []string{"lobby", "general", "staff", dm}
	const perCommit = 1000
	for i := 0; i < n; i += perCommit {
		var msgs []*parley.Message
		for j := i; j < min(i+perCommit, n); j++ {
			msgs = append(msgs, &parley.Message{Room: rooms[j%len(rooms)], Kind: parley.KindMessage, From: "ada",
				Text: "meeting note " + strconv.Itoa(j) + " about the budget", Time: now.Add(time.Duration(j) * time.Microsecond)})
		}
		must(st.Append(ctx, msgs))
	}
	must(st.Append(ctx, []*parley.Message{
		{Room: "lobby", Kind: parley.KindMessage, From: "guest-1234", Text: "a guest's line", Guest: true, Time: now},
		{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "posted once", Time: now, Idem: &parley.Idem{Key: "key-1", Request: "req-hash", Count: 1}},
		{Room: "general", Kind: parley.KindJoin, From: "bob", Text: "bob has entered", Time: now},
		{Room: "lobby", Kind: parley.KindNotice, From: "ada", Text: "maintenance tonight", Time: now},
	}))
	must(st.Append(ctx, []*parley.Message{{Room: "general", Kind: parley.KindDelete, From: "ada", Text: "2", Time: now}}))

	// Issue 13: a line edited twice (the copy replays the edits in ID
	// order and must end with the second), a reply, reactions, read
	// positions.
	draft := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bob", Text: "teh first draft", Time: now}
	must(st.Append(ctx, []*parley.Message{draft}))
	change := func(kind, from, text string) *parley.Message {
		return &parley.Message{Room: "lobby", Kind: kind, From: from, Text: text, Ref: draft.ID, Time: now.Add(time.Second)}
	}
	must(st.Append(ctx, []*parley.Message{
		change(parley.KindEdit, "bob", "the first draft"),
		change(parley.KindEdit, "bob", "the final draft"),
		{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "agreed", ReplyTo: draft.ID, Time: now},
		change(parley.KindReact, "ada", "👍"),
		change(parley.KindReact, "Eve", "🎉"),
		change(parley.KindUnreact, "Eve", "🎉"),
	}))
	_, err = st.SetReadPosition(ctx, "ada", "lobby", draft.ID)
	must(err)
	_, err = st.SetReadPosition(ctx, "bob", "staff", 3)
	must(err)
}

// dump reads every table of a database as Copy does, with times at the
// microsecond (PostgreSQL's precision).
func dump(t *testing.T, db string) map[string][][]any {
	t.Helper()
	ctx := context.Background()
	src, err := openSource(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	if err := src.snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	out := map[string][][]any{}
	for _, tb := range tables {
		err := src.read(ctx, tb, func(row []any) error {
			for i, v := range row {
				if tm, ok := v.(time.Time); ok {
					row[i] = tm.Truncate(time.Microsecond).UnixMicro()
				}
			}
			out[tb.name] = append(out[tb.name], row)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func rowStrings(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r)
	}
	slices.Sort(out)
	return out
}

func sameDump(t *testing.T, what string, a, b map[string][][]any) {
	t.Helper()
	for _, tb := range tables {
		ra, rb := a[tb.name], b[tb.name]
		if len(ra) != len(rb) {
			t.Errorf("%s: %s has %d rows, want %d", what, tb.name, len(rb), len(ra))
			continue
		}
		// The stores collate names differently (SQLite: case-insensitive;
		// PostgreSQL: bytes), so rows are compared in one order.
		sa, sb := rowStrings(ra), rowStrings(rb)
		for i := range sa {
			if sa[i] != sb[i] {
				t.Errorf("%s: %s row %d = %v, want %v", what, tb.name, i, sb[i], sa[i])
				break
			}
		}
	}
}

// SQLite to PostgreSQL and back: every row of every table arrives as it
// was, with its IDs; the search index is built; new messages continue after
// the copied IDs; logged-in sessions still resolve.
func TestMoveSQLiteToPostgresAndBack(t *testing.T) {
	n := 100_000
	if raceEnabled {
		n = 5_000
	}
	ctx := context.Background()
	dir := t.TempDir()
	lite := filepath.Join(dir, "parley.db")
	fill(t, lite, n)
	pg := servicetest.PostgresDB(t)

	res, err := Copy(ctx, lite, pg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages() < int64(n) {
		t.Fatalf("copied %d messages, want at least %d", res.Messages(), n)
	}
	t.Logf("SQLite -> PostgreSQL: %d messages in %v (%.0f messages/s)", res.Messages(), res.Took, float64(res.Messages())/res.Took.Seconds())
	want := dump(t, lite)
	sameDump(t, "SQLite -> PostgreSQL", want, dump(t, pg))

	st, err := postgres.Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if s, err := st.LoginSessionByHash(ctx, []byte("session-of-ada-32-bytes-long...."), time.Now()); err != nil || s.User != "ada" {
		t.Errorf("ada's login session after the move: %+v, %v", s, err)
	}
	if u, _, err := st.UserByName(ctx, "eve"); err != nil || !u.Disabled {
		t.Errorf("Eve after the move: %+v %v, want found case-insensitively and disabled", u, err)
	}
	page, err := st.Search(ctx, parley.SearchQuery{Text: "budget", Rooms: []string{"general"}, Limit: 5})
	if err != nil || len(page.Hits) != 5 {
		t.Errorf("search for budget in general after the move: %d results, %v", len(page.Hits), err)
	}
	if page, err := st.Search(ctx, parley.SearchQuery{Text: "maintenance", Rooms: []string{"lobby"}, Limit: 5}); err != nil || len(page.Hits) != 1 {
		t.Errorf("search for the notice after the move: %d results, %v; want the notice", len(page.Hits), err)
	}
	if page, err := st.Search(ctx, parley.SearchQuery{Text: "final draft", Rooms: []string{"lobby"}, Limit: 5}); err != nil || len(page.Hits) != 1 || page.Hits[0].Message.Edited.IsZero() {
		t.Errorf("search for the edited line after the move: %+v, %v; want it, marked edited", page.Hits, err)
	}
	if ps, err := st.ReadPositions(ctx, "ADA", []string{"lobby"}, 0); err != nil || len(ps) != 1 || ps[0].Read == 0 {
		t.Errorf("ada's read position after the move: %+v, %v", ps, err)
	}
	last, _ := st.LastID(ctx)
	next := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "first on PostgreSQL", Time: time.Now()}
	if err := st.Append(ctx, []*parley.Message{next}); err != nil || next.ID <= last {
		t.Errorf("a new message after the move got ID %d (%v), want above %d", next.ID, err, last)
	}

	back := filepath.Join(dir, "back.db")
	res, err = Copy(ctx, pg, back, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL -> SQLite: %d messages in %v", res.Messages(), res.Took)
	got := dump(t, back)
	want["messages"] = append(want["messages"], got["messages"][len(got["messages"])-1]) // the one posted on PostgreSQL
	sameDump(t, "PostgreSQL -> SQLite", want, got)
	sl, err := sqlite.Open(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	page, err = sl.Search(ctx, parley.SearchQuery{Text: "PostgreSQL", Rooms: []string{"lobby"}, Limit: 5})
	if err != nil || len(page.Hits) != 1 {
		t.Errorf("search after the move back: %d results, %v; want the one line", len(page.Hits), err)
	}
	if page, err := sl.Search(ctx, parley.SearchQuery{Text: "maintenance", Rooms: []string{"lobby"}, Limit: 5}); err != nil || len(page.Hits) != 1 {
		t.Errorf("search for the notice after the move back: %d results, %v; want the notice", len(page.Hits), err)
	}
}

// A target with data is refused unless replaced; a source of another
// schema version is refused; an interrupted copy leaves the target as it
// was. The source is never written.
func TestMoveRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lite := filepath.Join(dir, "parley.db")
	fill(t, lite, 6_000)
	before := dump(t, lite)
	pg := servicetest.PostgresDB(t)

	// Interrupted after the first batch: nothing lands.
	cctx, cancel := context.WithCancel(ctx)
	_, err := Copy(cctx, lite, pg, Options{Progress: func(table string, rows int64) {
		if table == "messages" {
			cancel()
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "unchanged") {
		t.Fatalf("interrupted copy: %v, want an error saying the target is unchanged", err)
	}
	if held := targetHoldings(t, pg); held != "" {
		t.Fatalf("after an interrupted copy the target holds %s, want nothing", held)
	}

	if _, err := Copy(ctx, lite, pg, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err = Copy(ctx, lite, pg, Options{})
	if err == nil || !strings.Contains(err.Error(), "already holds data") || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("copy into a full target: %v, want a refusal naming --replace", err)
	}
	if _, err := Copy(ctx, lite, pg, Options{Replace: true}); err != nil {
		t.Fatalf("copy with Replace: %v", err)
	}
	sameDump(t, "after replacing", before, dump(t, pg))

	if _, err := Copy(ctx, lite, lite, Options{}); err == nil || !strings.Contains(err.Error(), "same database") {
		t.Errorf("copy onto itself: %v", err)
	}
	if _, err := Copy(ctx, filepath.Join(dir, "missing.db"), pg, Options{Replace: true}); err == nil || !strings.Contains(err.Error(), "not a database file") {
		t.Errorf("copy from a missing file: %v", err)
	}
	old := filepath.Join(dir, "old.db")
	fill(t, old, 10)
	raw, err := sqlite.OpenRaw(ctx, old, false)
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec("PRAGMA user_version = 3")
	raw.Close()
	if _, err := Copy(ctx, old, pg, Options{Replace: true}); err == nil || !strings.Contains(err.Error(), "schema version 3") {
		t.Errorf("copy from an older schema: %v, want an error naming its version", err)
	}
	sameDump(t, "the source after every copy", before, dump(t, lite))
}

func targetHoldings(t *testing.T, db string) string {
	t.Helper()
	dst, err := openTarget(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.close()
	held, err := holdings(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// Every column of every table of both stores is copied: a migration that
// adds one must add it to tables too.
func TestEveryColumnIsCopied(t *testing.T) {
	ctx := context.Background()
	lite := filepath.Join(t.TempDir(), "parley.db")
	fill(t, lite, 0)
	db, err := sqlite.OpenRaw(ctx, lite, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	have := map[string][]string{}
	rows, err := db.Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'messages_fts%' ORDER BY 1, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, c string
		rows.Scan(&tb, &c)
		have[tb] = append(have[tb], c)
	}
	rows.Close()
	copied := map[string][]string{}
	for _, tb := range tables {
		for _, c := range tb.cols {
			copied[tb.name] = append(copied[tb.name], c.sqlite)
		}
	}
	compareColumns(t, "SQLite", have, copied)

	pg := servicetest.PostgresDB(t)
	st, err := postgres.Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	conn, err := postgres.OpenRaw(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	have = map[string][]string{}
	prow, err := conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_generated = 'NEVER'
		AND table_name NOT IN ('schema_version', 'counters') ORDER BY 1, ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	for prow.Next() {
		var tb, c string
		prow.Scan(&tb, &c)
		have[tb] = append(have[tb], c)
	}
	prow.Close()
	copied = map[string][]string{}
	for _, tb := range tables {
		for _, c := range tb.cols {
			copied[tb.name] = append(copied[tb.name], c.pg)
		}
	}
	compareColumns(t, "PostgreSQL", have, copied)
}

func compareColumns(t *testing.T, store string, have, copied map[string][]string) {
	t.Helper()
	for tb, cols := range have {
		for _, c := range cols {
			if !slices.Contains(copied[tb], c) {
				t.Errorf("%s: %s.%s is not copied by migrate: add it to transfer.tables", store, tb, c)
			}
		}
	}
	for tb := range copied {
		if have[tb] == nil {
			t.Errorf("%s: migrate copies table %s, which the schema does not have", store, tb)
		}
	}
}
