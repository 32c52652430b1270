// Package storetest is the contract suite for parley.Store. Every Store
// implementation runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) parley.Store {
//			s, err := Open(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite uses only the parley.Store interface. Times it sets are whole
// microseconds, so stores with microsecond resolution (PostgreSQL) pass;
// a store must however write back into a Message or Room exactly the time
// it will later return for it.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// Run runs the contract suite. newStore must return a new store holding
// only what the first migration creates (the room "lobby", no messages),
// and arrange for it to be closed when t ends. A subtest may Close the
// store itself, so a second Close must not fail the test.
func Run(t *testing.T, newStore func(t *testing.T) parley.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s parley.Store)
	}{
		{"DefaultRoom", testDefaultRoom},
		{"CreateRoom", testCreateRoom},
		{"CreateRoomKeepsCreated", testCreateRoomKeepsCreated},
		{"CreateRoomConflict", testCreateRoomConflict},
		{"RoomNotFound", testRoomNotFound},
		{"RoomsOrderedByName", testRoomsOrderedByName},
		{"AppendAssignsIDs", testAppendAssignsIDs},
		{"AppendSetsTime", testAppendSetsTime},
		{"AppendKeepsTime", testAppendKeepsTime},
		{"AppendKeepsGuest", testAppendKeepsGuest},
		{"IdempotencyKeys", testIdempotencyKeys},
		{"AppendEmpty", testAppendEmpty},
		{"AppendUnknownRoom", testAppendUnknownRoom},
		{"AppendBatchIsAtomic", testAppendBatchIsAtomic},
		{"After", testAfter},
		{"AfterPaging", testAfterPaging},
		{"Since", testSince},
		{"Before", testBefore},
		{"LastID", testLastID},
		{"TextRoundTrip", testTextRoundTrip},
		{"ConcurrentAppend", testConcurrentAppend},
		{"TailWhileAppending", testTailWhileAppending},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// ctx returns a context that ends with the test, with a generous deadline
// so a deadlocked store fails the test instead of hanging it.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// fixedTime is a time with microsecond precision in a non-UTC zone.
var fixedTime = time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.FixedZone("UTC+2", 2*60*60))

func createRooms(t *testing.T, s parley.Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := s.CreateRoom(ctx(t), &parley.Room{Name: n}); err != nil {
			t.Fatalf("CreateRoom(%q): %v", n, err)
		}
	}
}

func msg(room, text string) *parley.Message {
	return &parley.Message{Room: room, Kind: parley.KindMessage, From: "ada", Text: text}
}

// appendOK appends msgs and fails the test on error.
func appendOK(t *testing.T, s parley.Store, msgs ...*parley.Message) {
	t.Helper()
	if err := s.Append(ctx(t), msgs); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func wantCode(t *testing.T, what string, err error, code parley.Code) {
	t.Helper()
	if got := parley.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// sameMessages checks that got equals want, field by field; times must be
// equal instants and got's must be in UTC.
func sameMessages(t *testing.T, what string, got []parley.Message, want []*parley.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d messages %v, want %d: %v", what, len(got), ids(got), len(want), idsp(want))
	}
	for i := range got {
		g, w := got[i], *want[i]
		if g.ID != w.ID || g.Room != w.Room || g.Kind != w.Kind || g.From != w.From || g.Text != w.Text {
			t.Fatalf("%s: message %d:\n got %+v\nwant %+v", what, i, g, w)
		}
		if !g.Time.Equal(w.Time) {
			t.Fatalf("%s: message %d (ID %d): time %v, want %v", what, i, g.ID, g.Time, w.Time)
		}
		if g.Time.Location() != time.UTC {
			t.Fatalf("%s: message %d (ID %d): time %v is not in UTC", what, i, g.ID, g.Time)
		}
	}
}

func ids(ms []parley.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func idsp(ms []*parley.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// inRooms returns the messages of msgs whose room is one of rooms.
func inRooms(msgs []*parley.Message, rooms ...string) []*parley.Message {
	var out []*parley.Message
	for _, m := range msgs {
		for _, r := range rooms {
			if m.Room == r {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// readAll pages through the log of rooms with After, limit per page, and
// returns everything. It fails the test if a page breaks the After
// contract in a way that would make a cursor loop stall or skip.
func readAll(t *testing.T, s parley.Store, rooms []string, limit int) []parley.Message {
	t.Helper()
	var all []parley.Message
	cursor := int64(0)
	for {
		page, err := s.After(ctx(t), rooms, cursor, limit)
		if err != nil {
			t.Fatalf("After(%q, %d, %d): %v", rooms, cursor, limit, err)
		}
		if err := checkPage(page, cursor, limit); err != nil {
			t.Fatalf("After(%q, %d, %d): %v", rooms, cursor, limit, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		cursor = page[len(page)-1].ID
	}
}

// checkPage checks that an After page holds at most limit messages with
// IDs above cursor, in ascending order.
func checkPage(page []parley.Message, cursor int64, limit int) error {
	if len(page) > limit {
		return fmt.Errorf("%d messages, over the limit", len(page))
	}
	prev := cursor
	for _, m := range page {
		if m.ID <= prev {
			return fmt.Errorf("message ID %d follows %d: IDs %v are not ascending above the cursor", m.ID, prev, ids(page))
		}
		prev = m.ID
	}
	return nil
}
