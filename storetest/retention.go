package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// RetentionStore is what RunRetention and RunDelete test.
type RetentionStore = interface {
	parley.Store
	parley.RetentionStore
	parley.MessageDeleter
}

// RunRetention runs the contract suite for parley.RetentionStore.
// newStore must return a new store holding only the room "lobby", and
// arrange for it to be closed when t ends.
func RunRetention(t *testing.T, newStore func(t *testing.T) RetentionStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s RetentionStore)
	}{
		{"Settings", testRetentionSettings},
		{"Days", testRetentionDays},
		{"DaysManyBatches", testRetentionDaysBatches},
		{"Messages", testRetentionMessages},
		{"MessagesFewer", testRetentionMessagesFewer},
		{"LastIDStays", testRetentionLastID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// RunDelete runs the contract suite for parley.MessageDeleter: deleting
// a message by appending a KindDelete entry.
func RunDelete(t *testing.T, newStore func(t *testing.T) RetentionStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s RetentionStore)
	}{
		{"Message", testMessageByID},
		{"Delete", testDelete},
		{"DeleteOnlyInItsRoom", testDeleteOtherRoom},
		{"DeleteIgnoresBadText", testDeleteBadText},
		{"DeleteNeverDeletesDeletions", testDeleteDeletion},
		{"DeleteBatchIsAtomic", testDeleteAtomic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func testRetentionSettings(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a", "b")
	if r, err := s.Retention(ctx(t), "a"); err != nil || !r.Forever() {
		t.Fatalf("Retention of a new room = %+v, %v; want forever", r, err)
	}
	if rs, err := s.RetentionRooms(ctx(t)); err != nil || len(rs) != 0 {
		t.Fatalf("RetentionRooms of a new store = %+v, %v; want none", rs, err)
	}
	for room, r := range map[string]parley.Retention{"a": {Days: 30}, "b": {Messages: 1000}} {
		if err := s.SetRetention(ctx(t), room, r); err != nil {
			t.Fatalf("SetRetention(%s, %+v): %v", room, r, err)
		}
		if got, err := s.Retention(ctx(t), room); err != nil || got != r {
			t.Fatalf("Retention(%s) = %+v, %v; want %+v", room, got, err, r)
		}
	}
	rs, err := s.RetentionRooms(ctx(t))
	want := []parley.RoomRetention{{Room: "a", Retention: parley.Retention{Days: 30}}, {Room: "b", Retention: parley.Retention{Messages: 1000}}}
	if err != nil || !slices.Equal(rs, want) {
		t.Fatalf("RetentionRooms = %+v, %v; want %+v", rs, err, want)
	}
	if err := s.SetRetention(ctx(t), "a", parley.Retention{}); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.RetentionRooms(ctx(t)); err != nil || len(rs) != 1 || rs[0].Room != "b" {
		t.Fatalf("RetentionRooms after resetting a = %+v, %v; want b only", rs, err)
	}
	wantCode(t, "SetRetention of an unknown room", s.SetRetention(ctx(t), "nosuch", parley.Retention{Days: 1}), parley.ENotFound)
	_, err = s.Retention(ctx(t), "nosuch")
	wantCode(t, "Retention of an unknown room", err, parley.ENotFound)
	for _, bad := range []parley.Retention{{Days: 1, Messages: 1}, {Days: -1}, {Messages: -5}, {Days: parley.MaxRetentionDays + 1}} {
		wantCode(t, fmt.Sprintf("SetRetention(%+v)", bad), s.SetRetention(ctx(t), "a", bad), parley.EInvalid)
	}
	if n, err := s.ApplyRetention(ctx(t), "a", time.Now()); err != nil || n != 0 {
		t.Fatalf("ApplyRetention of a room kept forever = %d, %v", n, err)
	}
	_, err = s.ApplyRetention(ctx(t), "nosuch", time.Now())
	wantCode(t, "ApplyRetention of an unknown room", err, parley.ENotFound)
}

func testRetentionDays(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a", "b")
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	at := func(m *parley.Message, ago time.Duration) *parley.Message {
		m.Time = now.Add(-ago)
		return m
	}
	day := 24 * time.Hour
	oldA := []*parley.Message{
		at(msg("a", "ten days ago"), 10*day),
		at(&parley.Message{Room: "a", Kind: parley.KindJoin, From: "ada", Text: "ada has entered"}, 9*day),
		at(msg("a", "four days ago"), 4*day),
	}
	keptA := []*parley.Message{
		at(msg("a", "two days ago"), 2*day),
		at(msg("a", "an hour ago"), time.Hour),
	}
	otherB := at(msg("b", "b is kept forever"), 20*day)
	appendOK(t, s, append(append(slices.Clone(oldA), otherB), keptA...)...)
	if err := s.SetRetention(ctx(t), "a", parley.Retention{Days: 3}); err != nil {
		t.Fatal(err)
	}
	n, err := s.ApplyRetention(ctx(t), "a", now)
	if err != nil || n != len(oldA) {
		t.Fatalf("ApplyRetention = %d, %v; want %d", n, err, len(oldA))
	}
	sameMessages(t, "room a after retention", readAll(t, s, []string{"a"}, 10), keptA)
	sameMessages(t, "room b", readAll(t, s, []string{"b"}, 10), []*parley.Message{otherB})
	if n, err := s.ApplyRetention(ctx(t), "a", now); err != nil || n != 0 {
		t.Fatalf("ApplyRetention again = %d, %v; want 0", n, err)
	}
	// Later, everything is too old.
	if n, err := s.ApplyRetention(ctx(t), "a", now.Add(10*day)); err != nil || n != len(keptA) {
		t.Fatalf("ApplyRetention ten days on = %d, %v; want %d", n, err, len(keptA))
	}
	sameMessages(t, "room a ten days on", readAll(t, s, []string{"a"}, 10), nil)
}

func testRetentionDaysBatches(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a")
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	const old, young = 1234, 7
	batch := make([]*parley.Message, 0, old)
	for i := range old {
		m := msg("a", fmt.Sprintf("old line %d", i))
		m.Time = now.Add(-30 * 24 * time.Hour).Add(time.Duration(i) * time.Second)
		batch = append(batch, m)
	}
	appendOK(t, s, batch...)
	var kept []*parley.Message
	for i := range young {
		m := msg("a", fmt.Sprintf("young line %d", i))
		m.Time = now.Add(-time.Duration(young-i) * time.Minute)
		kept = append(kept, m)
	}
	appendOK(t, s, kept...)
	if err := s.SetRetention(ctx(t), "a", parley.Retention{Days: 7}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ApplyRetention(ctx(t), "a", now); err != nil || n != old {
		t.Fatalf("ApplyRetention = %d, %v; want %d", n, err, old)
	}
	sameMessages(t, "after retention", readAll(t, s, []string{"a"}, 100), kept)
}

func testRetentionMessages(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a", "b")
	var all []*parley.Message
	for i := range 10 {
		all = append(all, msg("a", fmt.Sprintf("line %d", i)))
		if i%3 == 0 {
			all = append(all, &parley.Message{Room: "a", Kind: parley.KindJoin, From: "ada", Text: "ada has entered"})
		}
	}
	appendOK(t, s, all...)
	appendOK(t, s, msg("b", "another room"))
	if err := s.SetRetention(ctx(t), "a", parley.Retention{Messages: 4}); err != nil {
		t.Fatal(err)
	}
	// Kept: from "line 6" on, which is the 4th newest line, with the join
	// after it.
	first := slices.IndexFunc(all, func(m *parley.Message) bool { return m.Text == "line 6" })
	n, err := s.ApplyRetention(ctx(t), "a", time.Now())
	if err != nil || n != first {
		t.Fatalf("ApplyRetention = %d, %v; want %d", n, err, first)
	}
	sameMessages(t, "room a keeping 4 lines", readAll(t, s, []string{"a"}, 100), all[first:])
	if got := readAll(t, s, []string{"b"}, 10); len(got) != 1 {
		t.Fatalf("room b lost messages: %v", ids(got))
	}
}

func testRetentionMessagesFewer(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a")
	appendOK(t, s, msg("a", "one"), msg("a", "two"))
	if err := s.SetRetention(ctx(t), "a", parley.Retention{Messages: 5}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ApplyRetention(ctx(t), "a", time.Now()); err != nil || n != 0 {
		t.Fatalf("ApplyRetention with fewer lines than kept = %d, %v", n, err)
	}
}

// testRetentionLastID deletes the newest messages of the log: LastID
// must not go down, or a stream starting "now" would start before IDs
// that were already handed out.
func testRetentionLastID(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a")
	m := msg("a", "the newest")
	m.Time = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	appendOK(t, s, msg("lobby", "older"), m)
	if err := s.SetRetention(ctx(t), "a", parley.Retention{Days: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ApplyRetention(ctx(t), "a", time.Now()); err != nil || n != 1 {
		t.Fatalf("ApplyRetention = %d, %v", n, err)
	}
	if last, err := s.LastID(ctx(t)); err != nil || last != m.ID {
		t.Fatalf("LastID after deleting the newest message = %d, %v; want %d", last, err, m.ID)
	}
	next := msg("a", "next")
	appendOK(t, s, next)
	if next.ID <= m.ID {
		t.Fatalf("ID %d handed out again after deletion (last was %d)", next.ID, m.ID)
	}
}

func deletion(room string, id int64) *parley.Message {
	return &parley.Message{Room: room, Kind: parley.KindDelete, From: "ada", Text: fmt.Sprint(id)}
}

func testMessageByID(t *testing.T, s RetentionStore) {
	m := msg("lobby", "find me")
	m.Time = fixedTime
	appendOK(t, s, msg("lobby", "before"), m, msg("lobby", "after"))
	got, err := s.Message(ctx(t), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameMessages(t, "Message", []parley.Message{got}, []*parley.Message{m})
	_, err = s.Message(ctx(t), m.ID+100)
	wantCode(t, "Message of an unknown ID", err, parley.ENotFound)
}

func testDelete(t *testing.T, s RetentionStore) {
	a, b := msg("lobby", "keep"), msg("lobby", "delete me")
	appendOK(t, s, a, b)
	d := deletion("lobby", b.ID)
	appendOK(t, s, d)
	sameMessages(t, "log after deleting", readAll(t, s, []string{"lobby"}, 10), []*parley.Message{a, d})
	_, err := s.Message(ctx(t), b.ID)
	wantCode(t, "Message of a deleted ID", err, parley.ENotFound)
	// Deleting again stores the entry and deletes nothing.
	d2 := deletion("lobby", b.ID)
	appendOK(t, s, d2)
	sameMessages(t, "log after deleting twice", readAll(t, s, []string{"lobby"}, 10), []*parley.Message{a, d, d2})
	if last, err := s.LastID(ctx(t)); err != nil || last != d2.ID {
		t.Fatalf("LastID = %d, %v; want %d", last, err, d2.ID)
	}
}

func testDeleteOtherRoom(t *testing.T, s RetentionStore) {
	createRooms(t, s, "a")
	m := msg("a", "not yours")
	appendOK(t, s, m)
	appendOK(t, s, deletion("lobby", m.ID))
	if _, err := s.Message(ctx(t), m.ID); err != nil {
		t.Fatalf("a deletion in another room deleted message %d: %v", m.ID, err)
	}
}

func testDeleteBadText(t *testing.T, s RetentionStore) {
	m := msg("lobby", "still here")
	appendOK(t, s, m)
	id := fmt.Sprint(m.ID)
	for _, text := range []string{"", "abc", "0" + id, id + " ", " " + id, "+" + id, "-" + id, id + "x", id + ".0", "1e3", "99999999999999999999999"} {
		d := &parley.Message{Room: "lobby", Kind: parley.KindDelete, From: "ada", Text: text}
		if err := s.Append(ctx(t), []*parley.Message{d}); err != nil {
			t.Fatalf("Append of a deletion with text %q: %v", text, err)
		}
		if _, err := s.Message(ctx(t), m.ID); err != nil {
			t.Fatalf("a deletion with text %q deleted message %d", text, m.ID)
		}
	}
}

func testDeleteDeletion(t *testing.T, s RetentionStore) {
	m := msg("lobby", "x")
	appendOK(t, s, m)
	d := deletion("lobby", m.ID)
	appendOK(t, s, d)
	appendOK(t, s, deletion("lobby", d.ID))
	if _, err := s.Message(ctx(t), d.ID); err != nil {
		t.Fatalf("a deletion was deleted: %v", err)
	}
}

func testDeleteAtomic(t *testing.T, s RetentionStore) {
	m := msg("lobby", "survives")
	appendOK(t, s, m)
	err := s.Append(ctx(t), []*parley.Message{deletion("lobby", m.ID), msg("nosuchroom", "fails")})
	wantCode(t, "Append of a batch with an unknown room", err, parley.ENotFound)
	if _, err := s.Message(ctx(t), m.ID); err != nil {
		t.Fatalf("a failed batch deleted message %d: %v", m.ID, err)
	}
}
