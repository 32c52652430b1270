package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

func testDefaultRoom(t *testing.T, s parley.Store) {
	r, err := s.Room(ctx(t), parley.DefaultRoom)
	if err != nil {
		t.Fatalf("Room(%q): %v", parley.DefaultRoom, err)
	}
	if r.Name != parley.DefaultRoom || r.Created.IsZero() {
		t.Fatalf("Room(%q) = %+v, want that name and a creation time", parley.DefaultRoom, r)
	}
	rooms, err := s.Rooms(ctx(t))
	if err != nil {
		t.Fatalf("Rooms: %v", err)
	}
	if len(rooms) != 1 || rooms[0].Name != parley.DefaultRoom {
		t.Fatalf("Rooms of a new store = %+v, want only %q", rooms, parley.DefaultRoom)
	}
}

func testCreateRoom(t *testing.T, s parley.Store) {
	before := time.Now().Add(-time.Second)
	r := &parley.Room{Name: "general", Topic: "anything goes ✨"}
	if err := s.CreateRoom(ctx(t), r); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	if r.Created.Before(before) || r.Created.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreateRoom set Created to %v, want about now", r.Created)
	}
	got, err := s.Room(ctx(t), "general")
	if err != nil {
		t.Fatalf("Room: %v", err)
	}
	if got.Name != r.Name || got.Topic != r.Topic || !got.Created.Equal(r.Created) {
		t.Fatalf("Room = %+v, want %+v", got, *r)
	}
	if got.Created.Location() != time.UTC {
		t.Fatalf("Room.Created = %v, want UTC", got.Created)
	}
}

func testCreateRoomKeepsCreated(t *testing.T, s parley.Store) {
	r := &parley.Room{Name: "history", Created: fixedTime}
	if err := s.CreateRoom(ctx(t), r); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	if !r.Created.Equal(fixedTime) {
		t.Fatalf("CreateRoom changed Created to %v, want %v", r.Created, fixedTime)
	}
	got, err := s.Room(ctx(t), "history")
	if err != nil {
		t.Fatalf("Room: %v", err)
	}
	if !got.Created.Equal(fixedTime) || got.Created.Location() != time.UTC {
		t.Fatalf("Room.Created = %v, want %v in UTC", got.Created, fixedTime.UTC())
	}
}

func testCreateRoomConflict(t *testing.T, s parley.Store) {
	createRooms(t, s, "dup")
	err := s.CreateRoom(ctx(t), &parley.Room{Name: "dup", Topic: "second"})
	wantCode(t, `second CreateRoom("dup")`, err, parley.EConflict)
	err = s.CreateRoom(ctx(t), &parley.Room{Name: parley.DefaultRoom})
	wantCode(t, `CreateRoom("lobby")`, err, parley.EConflict)

	got, err := s.Room(ctx(t), "dup")
	if err != nil {
		t.Fatalf("Room: %v", err)
	}
	if got.Topic != "" {
		t.Fatalf("the refused CreateRoom changed the room: %+v", got)
	}
	rooms, err := s.Rooms(ctx(t))
	if err != nil {
		t.Fatalf("Rooms: %v", err)
	}
	if len(rooms) != 2 {
		t.Fatalf("Rooms = %+v, want lobby and dup once each", rooms)
	}
}

func testRoomNotFound(t *testing.T, s parley.Store) {
	_, err := s.Room(ctx(t), "nowhere")
	wantCode(t, `Room("nowhere")`, err, parley.ENotFound)
	if !strings.Contains(parley.ErrorMessage(err), "nowhere") {
		t.Errorf("error message %q does not name the room", parley.ErrorMessage(err))
	}
}

func testRoomsOrderedByName(t *testing.T, s parley.Store) {
	// Lowercase letters and digits only: they sort the same in byte order
	// and in any collation a SQL database might use.
	createRooms(t, s, "zeta", "alpha", "mid", "beta", "alpha2", "a")
	rooms, err := s.Rooms(ctx(t))
	if err != nil {
		t.Fatalf("Rooms: %v", err)
	}
	var names []string
	for _, r := range rooms {
		names = append(names, r.Name)
		if r.Created.IsZero() || r.Created.Location() != time.UTC {
			t.Errorf("room %q: Created = %v, want a time in UTC", r.Name, r.Created)
		}
	}
	want := []string{"a", "alpha", "alpha2", "beta", "lobby", "mid", "zeta"}
	if !slices.Equal(names, want) {
		t.Fatalf("Rooms = %q, want %q", names, want)
	}
}
