package server_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/server"
)

// Many streams catching up at once, over both push transports, with one
// replay slot for all of them (so that they take turns page by page):
// each gets every missed message once and in order, then the live ones
// with nothing lost or repeated at the handover, and a live subscriber
// gets its events meanwhile.
func TestManyCatchUpsTakeTurnsAndMissNothing(t *testing.T) {
	n := startNode(t, server.Config{ReplaySlots: 1})
	const missed = 1100 // three pages
	var want []int64
	for i := range missed {
		want = append(want, n.post("lobby", "ada", "missed "+strconv.Itoa(i)).ID)
	}
	live := n.subscribe("rooms=lobby", "")

	const sses, sockets = 8, 4
	type result struct {
		what string
		ids  []int64
		err  string
	}
	results := make(chan result, sses+sockets)
	total := missed + 3 // and three posted while they catch up
	var wg sync.WaitGroup
	for i := range sses {
		c := n.subscribe("rooms=lobby", "0")
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := result{what: "sse " + strconv.Itoa(i)}
			for len(r.ids) < total {
				ev, err := c.nextErr(10 * time.Second)
				if err != nil {
					r.err = err.Error()
					break
				}
				r.ids = append(r.ids, ev.id)
			}
			results <- r
		}()
	}
	for i := range sockets {
		c := n.ws("rooms=lobby&cursor=0")
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := result{what: "ws " + strconv.Itoa(i)}
			for len(r.ids) < total {
				f, err := c.nextErr()
				if err != nil {
					r.err = err.Error()
					break
				}
				r.ids = append(r.ids, f.ID)
			}
			results <- r
		}()
	}
	for i := range 3 {
		m := n.post("lobby", "bob", "live "+strconv.Itoa(i))
		want = append(want, m.ID)
		if ev := live.next(5 * time.Second); ev.id != m.ID {
			t.Fatalf("live subscriber got %d, want %d", ev.id, m.ID)
		}
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r.err != "" {
			t.Errorf("%s: after %d events: %s", r.what, len(r.ids), r.err)
			continue
		}
		for i, id := range r.ids {
			if id != want[i] {
				t.Errorf("%s: event %d is %d, want %d (a gap, repeat or reordering)", r.what, i, id, want[i])
				break
			}
		}
	}
}
