package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

func testAppendAssignsIDs(t *testing.T, s parley.Store) {
	createRooms(t, s, "second")
	first := []*parley.Message{msg("lobby", "one"), msg("second", "two"), msg("lobby", "three")}
	appendOK(t, s, first...)
	second := []*parley.Message{msg("second", "four"), msg("lobby", "five")}
	appendOK(t, s, second...)
	third := []*parley.Message{msg("lobby", "six")}
	appendOK(t, s, third...)

	all := append(append(append([]*parley.Message{}, first...), second...), third...)
	var prev int64
	for i, m := range all {
		if m.ID <= prev {
			t.Fatalf("message %d (%q) got ID %d after ID %d: IDs must increase in slice and commit order", i, m.Text, m.ID, prev)
		}
		prev = m.ID
	}
	got, err := s.After(ctx(t), []string{"lobby", "second"}, 0, 100)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After(lobby, second, 0)", got, all)
}

func testAppendSetsTime(t *testing.T, s parley.Store) {
	// Stores may keep less than nanosecond precision (PostgreSQL keeps
	// microseconds), hence the slack.
	before := time.Now().Add(-time.Millisecond)
	m := msg("lobby", "now")
	appendOK(t, s, m)
	after := time.Now().Add(time.Millisecond)
	if m.Time.Before(before) || m.Time.After(after) {
		t.Fatalf("Append set Time to %v, want between %v and %v", m.Time, before, after)
	}
	got, err := s.After(ctx(t), []string{"lobby"}, 0, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After", got, []*parley.Message{m})
}

func testAppendKeepsTime(t *testing.T, s parley.Store) {
	m := msg("lobby", "from the past")
	m.Time = fixedTime
	appendOK(t, s, m)
	if !m.Time.Equal(fixedTime) {
		t.Fatalf("Append changed a set Time to %v, want %v", m.Time, fixedTime)
	}
	got, err := s.After(ctx(t), []string{"lobby"}, 0, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After", got, []*parley.Message{m})
}

func testAppendEmpty(t *testing.T, s parley.Store) {
	if err := s.Append(ctx(t), nil); err != nil {
		t.Fatalf("Append(nil): %v", err)
	}
	if err := s.Append(ctx(t), []*parley.Message{}); err != nil {
		t.Fatalf("Append(empty): %v", err)
	}
	if id, err := s.LastID(ctx(t)); err != nil || id != 0 {
		t.Fatalf("LastID after empty appends = %d, %v; want 0", id, err)
	}
}

func testAppendUnknownRoom(t *testing.T, s parley.Store) {
	err := s.Append(ctx(t), []*parley.Message{msg("nowhere", "hello?")})
	wantCode(t, `Append to room "nowhere"`, err, parley.ENotFound)
	if !strings.Contains(parley.ErrorMessage(err), "nowhere") {
		t.Errorf("error message %q does not name the room", parley.ErrorMessage(err))
	}
	// The store is still usable.
	m := msg("lobby", "still here")
	appendOK(t, s, m)
	if m.ID <= 0 {
		t.Fatalf("Append after a failed one assigned ID %d", m.ID)
	}
}

func testAppendBatchIsAtomic(t *testing.T, s parley.Store) {
	createRooms(t, s, "good")
	kept := msg("good", "kept")
	appendOK(t, s, kept)

	for _, batch := range [][]*parley.Message{
		{msg("good", "lost 1"), msg("nowhere", "bad")},
		{msg("nowhere", "bad"), msg("good", "lost 2")},
		{msg("lobby", "lost 3"), msg("good", "lost 4"), msg("nowhere", "bad"), msg("lobby", "lost 5")},
	} {
		err := s.Append(ctx(t), batch)
		wantCode(t, "Append of a batch with an unknown room", err, parley.ENotFound)
	}

	got, err := s.After(ctx(t), []string{"good", "lobby", "nowhere"}, 0, 100)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After failed batches", got, []*parley.Message{kept})
	if id, err := s.LastID(ctx(t)); err != nil || id != kept.ID {
		t.Fatalf("LastID = %d, %v; want %d: a failed batch moved it", id, err, kept.ID)
	}
	next := msg("good", "next")
	appendOK(t, s, next)
	if next.ID <= kept.ID {
		t.Fatalf("ID %d after ID %d", next.ID, kept.ID)
	}
}

// seed creates rooms a, b and c and appends n messages spread over them and
// lobby, in batches of varying size. It returns the messages in ID order.
func seed(t *testing.T, s parley.Store, n int) []*parley.Message {
	t.Helper()
	createRooms(t, s, "a", "b", "c")
	rooms := []string{"a", "b", "lobby", "a", "c", "b", "a"}
	var all []*parley.Message
	for i := 0; i < n; {
		size := min(1+i%4, n-i)
		batch := make([]*parley.Message, size)
		for j := range batch {
			batch[j] = msg(rooms[(i+j)%len(rooms)], fmt.Sprintf("message %d", i+j))
		}
		appendOK(t, s, batch...)
		all = append(all, batch...)
		i += size
	}
	return all
}

func testAfter(t *testing.T, s parley.Store) {
	all := seed(t, s, 40)
	last := all[len(all)-1].ID
	cases := []struct {
		rooms []string
		after int64
		limit int
		want  []*parley.Message
	}{
		{[]string{"a", "b"}, 0, 100, inRooms(all, "a", "b")},
		{[]string{"b", "a"}, 0, 100, inRooms(all, "a", "b")},
		{[]string{"a"}, 0, 100, inRooms(all, "a")},
		{[]string{"c", "lobby", "a", "b"}, 0, 100, all},
		{[]string{"a", "b"}, 0, 5, inRooms(all, "a", "b")[:5]},
		{[]string{"a", "b"}, all[9].ID, 100, inRooms(all[10:], "a", "b")},
		{[]string{"a", "b"}, all[9].ID, 3, inRooms(all[10:], "a", "b")[:3]},
		{[]string{"a", "b"}, last, 100, nil},
		{[]string{"a", "b"}, last + 1000, 100, nil},
		{[]string{"nowhere"}, 0, 100, nil},
		{[]string{"a", "nowhere"}, 0, 100, inRooms(all, "a")},
	}
	for _, c := range cases {
		what := fmt.Sprintf("After(%q, %d, %d)", c.rooms, c.after, c.limit)
		got, err := s.After(ctx(t), c.rooms, c.after, c.limit)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		sameMessages(t, what, got, c.want)
	}
}

func testAfterPaging(t *testing.T, s parley.Store) {
	all := seed(t, s, 30)
	want := inRooms(all, "a", "c")
	got := readAll(t, s, []string{"a", "c"}, 4)
	sameMessages(t, "paging through After", got, want)
}

func testBefore(t *testing.T, s parley.Store) {
	all := seed(t, s, 40)
	a := inRooms(all, "a")
	cases := []struct {
		room   string
		before int64
		limit  int
		want   []*parley.Message
	}{
		{"a", 0, 3, a[len(a)-3:]},
		{"a", -1, 3, a[len(a)-3:]},
		{"a", 0, 1000, a},
		{"a", a[5].ID, 3, a[2:5]},
		{"a", a[5].ID, 100, a[:5]},
		{"a", a[5].ID + 1, 2, a[4:6]},
		{"a", a[0].ID, 10, nil},
		{"a", all[len(all)-1].ID + 1000, 2, a[len(a)-2:]},
		{"lobby", 0, 100, inRooms(all, "lobby")},
		{"nowhere", 0, 10, nil},
	}
	for _, c := range cases {
		what := fmt.Sprintf("Before(%q, %d, %d)", c.room, c.before, c.limit)
		got, err := s.Before(ctx(t), c.room, c.before, c.limit)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		sameMessages(t, what, got, c.want)
	}
}

func testLastID(t *testing.T, s parley.Store) {
	id, err := s.LastID(ctx(t))
	if err != nil || id != 0 {
		t.Fatalf("LastID of an empty log = %d, %v; want 0", id, err)
	}
	all := seed(t, s, 10)
	id, err = s.LastID(ctx(t))
	if err != nil || id != all[len(all)-1].ID {
		t.Fatalf("LastID = %d, %v; want %d", id, err, all[len(all)-1].ID)
	}
}

func testTextRoundTrip(t *testing.T, s parley.Store) {
	texts := []string{
		"héllo wörld",
		"日本語のテキスト",
		"emoji 🎉 family 👩‍👩‍👧‍👦 flag 🇳🇱 skin 👍🏽",
		`"double" 'single' ` + "`back`",
		"'; DROP TABLE messages; --",
		"Robert'); DROP TABLE rooms;--",
		`\ backslash \\ %percent% _under_ ? $1 :name @p`,
		"tab\tnew\nline\r\ncrlf",
		"\u2028line separator\u2029paragraph separator",
		"\u200bzero width\ufeffbom",
		" leading and trailing spaces ",
		"",
		strings.Repeat("long 🧵 ", 500),
	}
	var msgs []*parley.Message
	for _, text := range texts {
		m := msg("lobby", text)
		m.From = "zoë 'o\"brien' 🦊"
		msgs = append(msgs, m)
	}
	appendOK(t, s, msgs...)
	got, err := s.After(ctx(t), []string{"lobby"}, 0, 100)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After", got, msgs)
	last, err := s.Before(ctx(t), "lobby", 0, 1)
	if err != nil {
		t.Fatalf("Before: %v", err)
	}
	sameMessages(t, "Before", last, msgs[len(msgs)-1:])
	if _, err := s.Rooms(ctx(t)); err != nil {
		t.Fatalf("Rooms after the round trip: %v", err)
	}
}

func testClosed(t *testing.T, s parley.Store) {
	appendOK(t, s, msg("lobby", "before close"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Append(ctx(t), []*parley.Message{msg("lobby", "after close")}); err == nil {
		t.Error("Append after Close succeeded")
	}
	if _, err := s.After(ctx(t), []string{"lobby"}, 0, 10); err == nil {
		t.Error("After after Close succeeded")
	}
	if _, err := s.Before(ctx(t), "lobby", 0, 10); err == nil {
		t.Error("Before after Close succeeded")
	}
	if _, err := s.LastID(ctx(t)); err == nil {
		t.Error("LastID after Close succeeded")
	}
	if err := s.CreateRoom(ctx(t), &parley.Room{Name: "late"}); err == nil {
		t.Error("CreateRoom after Close succeeded")
	}
	if _, err := s.Room(ctx(t), "lobby"); err == nil {
		t.Error("Room after Close succeeded")
	}
	if _, err := s.Rooms(ctx(t)); err == nil {
		t.Error("Rooms after Close succeeded")
	}
}

// testSince reads the whole log across rooms, in pages, when the store
// implements parley.LogReader (cluster nodes fill gaps with it).
func testSince(t *testing.T, s parley.Store) {
	r, ok := s.(parley.LogReader)
	if !ok {
		t.Skip("store does not implement parley.LogReader")
	}
	all := seed(t, s, 25)
	var got []parley.Message
	cursor := int64(0)
	for {
		page, err := r.Since(ctx(t), cursor, 4)
		if err != nil {
			t.Fatalf("Since(%d, 4): %v", cursor, err)
		}
		if err := checkPage(page, cursor, 4); err != nil {
			t.Fatalf("Since(%d, 4): %v", cursor, err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		cursor = page[len(page)-1].ID
	}
	sameMessages(t, "paging through Since", got, all)
	if page, err := r.Since(ctx(t), all[len(all)-1].ID, 10); err != nil || len(page) != 0 {
		t.Errorf("Since(last) = %v, %v; want nothing", ids(page), err)
	}
	if page, err := r.Since(ctx(t), 0, 0); err != nil || len(page) != 0 {
		t.Errorf("Since(0, limit 0) = %v, %v; want nothing", ids(page), err)
	}
}

func testAppendKeepsGuest(t *testing.T, s parley.Store) {
	guest := msg("lobby", "from a guest")
	guest.Guest = true
	user := msg("lobby", "from an account")
	appendOK(t, s, guest, user)
	got, err := s.After(ctx(t), []string{"lobby"}, 0, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	if len(got) != 2 || !got[0].Guest || got[1].Guest {
		t.Fatalf("After = %+v: want the guest mark kept on the first line only", got)
	}
	before, err := s.Before(ctx(t), "lobby", got[1].ID+1, 10)
	if err != nil || len(before) != 2 || !before[0].Guest {
		t.Fatalf("Before = %+v, %v: want the guest mark kept", before, err)
	}
}

func testIdempotencyKeys(t *testing.T, s parley.Store) {
	is, ok := s.(parley.IdempotencyStore)
	if !ok {
		t.Skip("the store keeps no idempotency keys")
	}
	first, second := msg("lobby", "one"), msg("lobby", "two")
	first.Idem = &parley.Idem{Key: "app:shop|k1", Request: "abc", Count: 2}
	appendOK(t, s, first, second)

	idem, got, err := is.ByIdempotencyKey(ctx(t), "app:shop|k1")
	if err != nil {
		t.Fatalf("ByIdempotencyKey: %v", err)
	}
	if idem.Request != "abc" || idem.Count != 2 || len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
		t.Fatalf("ByIdempotencyKey = %+v, %+v: want the request's two messages", idem, got)
	}
	again := msg("lobby", "three")
	again.Idem = &parley.Idem{Key: "app:shop|k1", Request: "abc", Count: 1}
	if err := s.Append(ctx(t), []*parley.Message{again}); parley.ErrorCode(err) != parley.EConflict {
		t.Fatalf("Append with a used key = %v, want conflict", err)
	}
	all, err := s.After(ctx(t), []string{"lobby"}, 0, 10)
	if err != nil || len(all) != 2 {
		t.Fatalf("After = %d messages, %v: the refused append stored something", len(all), err)
	}
	if _, _, err := is.ByIdempotencyKey(ctx(t), "app:shop|unknown"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("unknown key: %v, want not found", err)
	}
}
