package server_test

import (
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
