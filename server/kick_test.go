package server_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
)

// A member removed from a private room stops receiving it at once on the
// streams and sockets they have open, not only when they reconnect; they
// still get the removal notice, and their other rooms keep flowing.
func TestKickedUserStopsReceivingTheRoom(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "Bob")
	ada, bob := n.login("ada"), n.login("Bob")
	type step struct {
		method, path, body string
		hdr                []string
	}
	for _, step := range []step{
		{"POST", "/api/rooms", `{"name":"staff","visibility":"private"}`, ada},
		{"POST", "/api/rooms/staff/invites", `{"user":"bob"}`, ada},
		{"POST", "/api/rooms/staff/join", "", bob},
	} {
		if resp, body := n.do(step.method, step.path, step.body, with(step.hdr, asJSON...)...); resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", step.method, step.path, resp.StatusCode, body)
		}
	}
	sse := n.subscribeWith("rooms=staff,lobby", bob...)
	ws, _, err := n.wsDial("rooms=staff,lobby", http.Header{"Authorization": {bob[1]}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.c.CloseNow()
	if f := ws.next(); f.Type != "ready" { // subscribed: later posts reach it
		t.Fatalf("first frame %s, want ready", f.raw)
	}
	post := func(room, text string, hdr []string) int64 {
		t.Helper()
		resp, body := n.do("POST", "/api/rooms/"+room+"/messages", `{"text":"`+text+`","name":"gus"}`, with(hdr, asJSON...)...)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("post to %s: %d %s", room, resp.StatusCode, body)
		}
		var m parley.Message
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	before := post("staff", "before the kick", ada)

	// The name is given in another case than the account's: the kick
	// must still find Bob's streams.
	if resp, body := n.do("DELETE", "/api/rooms/staff/members/bob", "", ada...); resp.StatusCode/100 != 2 {
		t.Fatalf("kick: %d %s", resp.StatusCode, body)
	}
	secret := post("staff", "after the kick", ada)
	marker := post("lobby", "marker", nil)

	var sseGot []parley.Message
	for len(sseGot) == 0 || sseGot[len(sseGot)-1].ID != marker {
		sseGot = append(sseGot, sse.next(5*time.Second).message(t))
	}
	var wsGot []parley.Message
	for len(wsGot) == 0 || wsGot[len(wsGot)-1].ID != marker {
		if f := ws.next(); f.Type == "" && f.ID != 0 {
			var m parley.Message
			if err := json.Unmarshal(f.raw, &m); err != nil {
				t.Fatal(err)
			}
			wsGot = append(wsGot, m)
		}
	}
	for name, got := range map[string][]parley.Message{"SSE": sseGot, "WebSocket": wsGot} {
		var sawBefore, sawKick bool
		for _, m := range got {
			switch {
			case m.ID == before:
				sawBefore = true
			case m.ID == secret:
				t.Errorf("%s: Bob got %q after he was removed from the room", name, m.Text)
			case m.Kind == parley.KindNotice && m.Room == "staff":
				sawKick = true
			}
		}
		if !sawBefore || !sawKick {
			t.Errorf("%s: Bob got %+v; want the message before the kick and the removal notice", name, got)
		}
	}
}
