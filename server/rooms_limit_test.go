package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// Room creation is paced per address and creator, can be closed to guests,
// and an account owns a bounded number of rooms (issue 14).
func TestRoomCreationIsLimited(t *testing.T) {
	create := func(n *node, name string, hdr ...string) (int, string) {
		resp, body := n.do("POST", "/api/rooms", `{"name":"`+name+`"}`, with(asJSON, hdr...)...)
		return resp.StatusCode, string(body)
	}
	n := startNode(t, server.Config{RoomCreationBurst: 3})
	for i := range 3 {
		if status, body := create(n, fmt.Sprintf("g%d", i)); status != http.StatusCreated {
			t.Fatalf("room %d within the burst: %d %s", i, status, body)
		}
	}
	if status, body := create(n, "g3"); status != http.StatusTooManyRequests {
		t.Errorf("a fourth room at once: %d %s, want 429", status, body)
	}

	cfg := server.Config{RoomCreation: "users", MaxRoomsPerCreator: 2, RoomCreationBurst: 10}
	cfg.DB = filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, cfg.DB, password, "ada")
	u := startNode(t, cfg)
	if status, body := create(u, "guestroom"); status != http.StatusUnauthorized {
		t.Errorf("a guest with room creation for users: %d %s, want 401", status, body)
	}
	ada := u.login("ada")
	for _, name := range []string{"a1", "a2"} {
		if status, body := create(u, name, ada...); status != http.StatusCreated {
			t.Fatalf("ada's room %s: %d %s", name, status, body)
		}
	}
	if status, body := create(u, "a3", ada...); status != http.StatusForbidden || !strings.Contains(body, "own 2 rooms") {
		t.Errorf("ada's third room over the cap of 2: %d %s, want 403", status, body)
	}
	if _, body := u.do("GET", "/api/rooms/a3/messages", ""); !strings.Contains(string(body), "not_found") {
		t.Errorf("the refused room exists: %s", body)
	}
}

// The room list comes in pages.
func TestRoomListIsPaginated(t *testing.T) {
	n := startNode(t, server.Config{RoomCreationBurst: 10})
	for i := range 5 {
		createRoom(t, n, fmt.Sprintf("r%d", i))
	}
	var names []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the pages never end")
		}
		status, body := n.get("/api/rooms?limit=2&after=" + after)
		if status != http.StatusOK {
			t.Fatalf("page: %d %s", status, body)
		}
		var page struct {
			Rooms []struct{ Name string }
			Next  string
		}
		json.Unmarshal(body, &page)
		if len(page.Rooms) > 2 {
			t.Fatalf("a page of limit 2 holds %d rooms", len(page.Rooms))
		}
		for _, r := range page.Rooms {
			names = append(names, r.Name)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if got := strings.Join(names, ","); got != "lobby,r0,r1,r2,r3,r4" {
		t.Errorf("rooms over all pages: %s", got)
	}
	for _, bad := range []string{"limit=0", "limit=abc", "limit=5000", "after=NOT%20A%20ROOM"} {
		if status, body := n.get("/api/rooms?" + bad); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, status, body)
		}
	}
}
