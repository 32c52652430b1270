package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
)

// A person whose stream closes and reopens within the grace (a page
// changing rooms, a reconnect) never left: no leave, no second join. One
// who stays away past the grace leaves, once.
func TestPresenceGraceHidesReconnects(t *testing.T) {
	const grace = 300 * time.Millisecond
	n := startNode(t, server.Config{PresenceGrace: grace})
	watch := n.subscribe("rooms=lobby", "")
	notices := func(until int64) []parley.Message {
		t.Helper()
		var out []parley.Message
		for {
			m := watch.next(5 * time.Second).message(t)
			if m.ID == until {
				return out
			}
			if m.Kind == parley.KindJoin || m.Kind == parley.KindLeave {
				out = append(out, m)
			}
		}
	}

	first := n.subscribe("rooms=lobby&name=ada", "")
	if got := notices(n.post("lobby", "gus", "marker 1").ID); len(got) != 1 || got[0].Kind != parley.KindJoin {
		t.Fatalf("notices %+v, want ada's join", got)
	}
	first.close()
	second := n.subscribe("rooms=lobby&name=ada", "") // back at once
	time.Sleep(2 * grace)                             // let the grace pass: nothing may be recorded
	if got := notices(n.post("lobby", "gus", "marker 2").ID); len(got) != 0 {
		t.Fatalf("notices %+v after a reconnect within the grace, want none", got)
	}
	second.close()
	left := time.Now()
	m := watch.next(5 * time.Second).message(t)
	if m.Kind != parley.KindLeave || m.From != "ada" {
		t.Fatalf("got %+v, want ada's leave", m)
	}
	if waited := time.Since(left); waited < grace {
		t.Errorf("the leave came after %v, before the grace of %v", waited, grace)
	}
}

// A restart is not everyone leaving (issue 15 item 8): people present
// when the server stops and back within the restart window get neither a
// leave nor a join; one who does not come back gets a leave once the
// window ends.
func TestRestartRecordsNoLeavesAndJoins(t *testing.T) {
	const window = 700 * time.Millisecond
	cfg := server.Config{PresenceGrace: 100 * time.Millisecond, PresenceRestart: window}
	n := startNode(t, cfg)
	ada := n.subscribe("rooms=lobby&name=ada", "")
	bob := n.subscribe("rooms=lobby&name=bob", "")
	before := n.post("lobby", "gus", "before the restart").ID
	ada.close()
	bob.close()
	n.stop()

	cfg.DB = n.db
	n2 := startNode(t, cfg)
	n2.subscribe("rooms=lobby&name=ada", "") // ada comes back, bob does not
	marker := n2.post("lobby", "gus", "after the restart").ID
	var kinds []string
	for _, m := range afterID(t, n2, before) {
		if m.ID < marker && (m.Kind == parley.KindJoin || m.Kind == parley.KindLeave) {
			kinds = append(kinds, m.Kind+" "+m.From)
		}
	}
	if len(kinds) != 0 {
		t.Fatalf("around the restart the log got %v, want no joins or leaves", kinds)
	}
	waitFor(t, "bob's leave once the window ends", func() bool {
		for _, m := range afterID(t, n2, marker) {
			if m.Kind == parley.KindLeave && m.From == "bob" {
				return true
			}
			if m.From == "ada" && (m.Kind == parley.KindLeave || m.Kind == parley.KindJoin) {
				t.Fatalf("ada, who came back, got a %s", m.Kind)
			}
		}
		return false
	})
}

// afterID reads the lobby's log after id.
func afterID(t *testing.T, n *node, id int64) []parley.Message {
	t.Helper()
	status, body := n.get("/api/rooms/lobby/messages?after=" + itoa(id) + "&limit=100")
	if status != 200 {
		t.Fatalf("history: %d %s", status, body)
	}
	var page struct{ Messages []parley.Message }
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("history: %v: %s", err, body)
	}
	return page.Messages
}
