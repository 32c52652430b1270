package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
)

// signalOf decodes a signal's JSON, failing unless it has no ID.
func signalOf(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("signal %q: %v", data, err)
	}
	if _, ok := m["id"]; ok {
		t.Fatalf("signal %s has an id: a client would take it for a cursor", data)
	}
	return m
}

func (n *node) typing(room, body string) (int, []byte) {
	n.t.Helper()
	resp, b := n.do("POST", "/api/rooms/"+room+"/typing", body, "Content-Type", "application/json")
	return resp.StatusCode, b
}

// Typing and room list changes reach the streams that watch them, on SSE,
// WebSocket and long-polling, without an ID and without moving anyone's
// cursor; streams that do not watch them never see them.
func TestSignalsReachWatchingStreamsOnEveryTransport(t *testing.T) {
	n := startNode(t, server.Config{})
	first := n.post("lobby", "bob", "before")

	plain := n.subscribe("rooms=lobby", "")
	sse := n.subscribe("rooms=lobby&watch=rooms,typing", "")
	ws := n.ws("rooms=lobby&watch=rooms,typing")
	start := n.poll("rooms=lobby&watch=rooms,typing")
	if start.Cursor != first.ID {
		t.Fatalf("poll starts at %d, want %d", start.Cursor, first.ID)
	}
	held := n.pollAsync(fmt.Sprintf("rooms=lobby&watch=rooms,typing&cursor=%d&session=%s&timeout=30", start.Cursor, start.Session))
	n.awaitPollers(1)

	if status, body := n.typing("lobby", `{"name":"ada"}`); status != http.StatusNoContent {
		t.Fatalf("typing: %d %s", status, body)
	}
	ev := sse.next(5 * time.Second)
	if ev.event != parley.KindTyping || ev.id != 0 {
		t.Fatalf("SSE got event %q id %d, want a typing event without id", ev.event, ev.id)
	}
	if m := signalOf(t, []byte(ev.data)); m["room"] != "lobby" || m["from"] != "ada" || m["guest"] != true {
		t.Errorf("SSE typing signal = %v, want room lobby, from ada, a guest", m)
	}
	if m := signalOf(t, ws.next().raw); m["kind"] != parley.KindTyping || m["from"] != "ada" {
		t.Errorf("WebSocket typing signal = %v", m)
	}
	a := result(t, held)
	if len(a.Events) != 1 || a.Events[0].Kind != parley.KindTyping || a.Events[0].ID != 0 || a.Cursor != start.Cursor {
		t.Fatalf("poll answer = %+v cursor %d, want one typing signal and the cursor still %d", a.Events, a.Cursor, start.Cursor)
	}

	createRoom(t, n, "standup")
	ev = sse.next(5 * time.Second)
	if m := signalOf(t, []byte(ev.data)); ev.event != parley.KindRooms || m["room"] != "standup" || m["text"] != "created" {
		t.Errorf("SSE got %q %v, want the room list signal for standup", ev.event, m)
	}
	if m := signalOf(t, ws.next().raw); m["kind"] != parley.KindRooms || m["room"] != "standup" {
		t.Errorf("WebSocket room list signal = %v", m)
	}

	// The next stored message follows the signals with the next ID: the
	// signals moved no cursor, and the stream without watch saw none.
	m := n.post("lobby", "bob", "after")
	for name, got := range map[string]parley.Message{
		"plain SSE": plain.next(5 * time.Second).message(t),
		"SSE":       sse.next(5 * time.Second).message(t),
	} {
		if got.ID != m.ID || got.Text != "after" {
			t.Errorf("%s got %d %q, want %d %q", name, got.ID, got.Text, m.ID, "after")
		}
	}
	if f := ws.next(); f.ID != m.ID {
		t.Errorf("WebSocket got %s, want message %d", f.raw, m.ID)
	}
	again := n.poll(fmt.Sprintf("rooms=lobby&watch=rooms,typing&cursor=%d&session=%s", a.Cursor, start.Session))
	if len(again.Events) != 1 || again.Events[0].ID != m.ID {
		t.Errorf("poll from the unchanged cursor = %v, want [%d]", again.ids(), m.ID)
	}
}

// A WebSocket watching typing follows the typing of rooms it subscribes
// to later, and stops with the rooms it leaves.
func TestWebSocketTypingFollowsSubscriptions(t *testing.T) {
	n := startNode(t, server.Config{})
	createRoom(t, n, "design")
	ws := n.ws("rooms=lobby&watch=typing")
	ws.send(map[string]any{"type": "subscribe", "rooms": []string{"design"}, "ref": "1"})
	if f := ws.next(); f.Type != "subscribed" {
		t.Fatalf("got %s, want subscribed", f.raw)
	}
	ws.send(map[string]any{"type": "unsubscribe", "rooms": []string{"lobby"}, "ref": "2"})
	if f := ws.next(); f.Type != "unsubscribed" {
		t.Fatalf("got %s, want unsubscribed", f.raw)
	}
	for _, room := range []string{"lobby", "design"} {
		if status, body := n.typing(room, `{"name":"ada"}`); status != http.StatusNoContent {
			t.Fatalf("typing in %s: %d %s", room, status, body)
		}
	}
	if m := signalOf(t, ws.next().raw); m["room"] != "design" {
		t.Fatalf("first signal is for %v, want design (lobby was left)", m["room"])
	}
}

// Typing is for those who may post there, paced, and refused clearly
// otherwise; a bad watch list refuses the stream.
func TestTypingBadInput(t *testing.T) {
	n := startNode(t, server.Config{})
	for _, c := range []struct {
		room, body string
		status     int
	}{
		{"lobby", `{}`, http.StatusUnauthorized},                 // no name, no login
		{"nowhere", `{"name":"ada"}`, http.StatusNotFound},       // unknown room
		{"lobby", `{"name":"ada"`, http.StatusBadRequest},        // malformed JSON
		{"lobby", `{"name":"a d a"}`, http.StatusBadRequest},     // not a name
		{"lobby", `{"name":"ada","x":1}`, http.StatusBadRequest}, // unknown field
	} {
		if status, body := n.typing(c.room, c.body); status != c.status {
			t.Errorf("typing in %s with %s: %d %s, want %d", c.room, c.body, status, body, c.status)
		}
	}
	var flood int
	for range 10 {
		status, body := n.typing("lobby", `{"name":"ada"}`)
		if status == http.StatusTooManyRequests {
			flood++
			if apiErrorCode(body) != string(parley.ERateLimited) {
				t.Errorf("flood answer %s", body)
			}
		}
	}
	if flood == 0 {
		t.Error("10 typing signals at once were all accepted: want a flood refused with 429")
	}
	if r, err := n.pollGet("rooms=lobby&watch=everything"); err != nil || r.status != http.StatusBadRequest {
		t.Errorf("watch=everything: %v %d %s, want 400", err, r.status, r.body)
	}
}

// Room list signals say no more than the list does: a private room's
// creation reaches only its owner's streams; making it public, and
// private again, reaches everyone; deleting a public room reaches everyone.
func TestRoomListSignalsFollowVisibility(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob")
	ada, bob := n.login("ada"), n.login("bob")
	adaStream := n.subscribeWith("rooms=lobby&watch=rooms", ada...)
	bobStream := n.subscribeWith("rooms=lobby&watch=rooms", bob...)
	next := func(c *sseClient) string {
		t.Helper()
		ev := c.next(5 * time.Second)
		for ev.id != 0 { // join notices
			ev = c.next(5 * time.Second)
		}
		m := signalOf(t, []byte(ev.data))
		return fmt.Sprintf("%s %v %v", ev.event, m["room"], m["text"])
	}
	step := func(who []string, method, path, body string, want int) {
		t.Helper()
		if resp, b := n.do(method, path, body, with(who, asJSON...)...); resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
	}
	step(ada, "POST", "/api/rooms", `{"name":"staff","visibility":"private"}`, http.StatusCreated)
	if got := next(adaStream); got != "rooms staff created" {
		t.Errorf("ada got %q, want the creation of her private room", got)
	}
	step(ada, "PUT", "/api/rooms/staff/visibility", `{"visibility":"public"}`, http.StatusNoContent)
	for name, c := range map[string]*sseClient{"ada": adaStream, "bob": bobStream} {
		// bob's first signal is this one: he never heard of staff
		// while it was private.
		if got := next(c); got != "rooms staff visibility" {
			t.Errorf("%s got %q, want staff's visibility change", name, got)
		}
	}
	step(ada, "DELETE", "/api/rooms/staff", "", http.StatusNoContent)
	for name, c := range map[string]*sseClient{"ada": adaStream, "bob": bobStream} {
		if got := next(c); got != "rooms staff deleted" {
			t.Errorf("%s got %q, want staff deleted", name, got)
		}
	}
}
