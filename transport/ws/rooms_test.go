package ws_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/parley-chat/parley"

	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/transport/ws"
)

func TestSubscribeWithoutCursorIsLiveFromNow(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	s.createRoom("b")
	c, _ := s.dial("rooms=lobby")
	s.post("b", "ada", "before subscribing: not delivered")
	c.write(`{"type":"subscribe","ref":"s1","rooms":["b"]}`)
	f := c.expect("subscribed")
	if string(f.Ref) != `"s1"` || !slices.Equal(f.Rooms, []string{"b"}) || f.Cursor != nil {
		t.Fatalf("answer %s", f)
	}
	s.post("b", "ada", "b live")
	s.post("lobby", "ada", "lobby live")
	if got, want := c.texts(2), []string{"b live", "lobby live"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSubscribeWithCursorReplaysTheRoom(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	s.createRoom("b")
	b1 := s.post("b", "ada", "b1")
	s.post("lobby", "ada", "lobby old")
	s.post("b", "ada", "b2")
	c, _ := s.dial("rooms=lobby")
	l1 := s.post("lobby", "ada", "l1")
	if ev := c.event(); ev.ID != l1.ID {
		t.Fatalf("got %s, want l1", ev)
	}
	s.post("b", "ada", "b3")

	c.write(fmt.Sprintf(`{"type":"subscribe","rooms":["b"],"cursor":%d}`, b1.ID))
	f := c.expect("subscribed")
	if f.Cursor == nil || *f.Cursor != b1.ID {
		t.Fatalf("answer %s, want cursor %d", f, b1.ID)
	}
	// b after the cursor, including b2 from before l1, then live.
	if got, want := c.texts(2), []string{"b2", "b3"}; !slices.Equal(got, want) {
		t.Fatalf("replay got %q, want %q", got, want)
	}
	s.post("lobby", "ada", "l2")
	s.post("b", "ada", "b4")
	if got, want := c.texts(2), []string{"l2", "b4"}; !slices.Equal(got, want) {
		t.Fatalf("live got %q, want %q", got, want)
	}

	// A cursor given as a string works too; rooms already subscribed are
	// left alone (no second replay).
	c.write(`{"type":"subscribe","rooms":["b","lobby"],"cursor":"0"}`)
	if f := c.expect("subscribed"); !slices.Equal(f.Rooms, []string{"b", "lobby"}) {
		t.Fatalf("answer %s", f)
	}
	last := s.post("lobby", "ada", "l3")
	if ev := c.event(); ev.ID != last.ID {
		t.Fatalf("got %s, want only the new message", ev)
	}
}

func TestUnsubscribe(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	s.createRoom("b")
	c, _ := s.dial("rooms=lobby,b")
	c.write(`{"type":"unsubscribe","ref":"u","rooms":["b","not-subscribed"]}`)
	if f := c.expect("unsubscribed"); string(f.Ref) != `"u"` || !slices.Equal(f.Rooms, []string{"b", "not-subscribed"}) {
		t.Fatalf("answer %s", f)
	}
	s.post("b", "ada", "gone")
	s.post("lobby", "ada", "still here")
	if got := c.texts(1); got[0] != "still here" {
		t.Fatalf("got %q after unsubscribing b", got)
	}

	// Down to no rooms: the connection stays, and can still send.
	c.write(`{"type":"unsubscribe","rooms":["lobby"]}`)
	c.expect("unsubscribed")
	c.write(sendJSON("x", "lobby", "ada", "sent with no rooms"))
	if f := c.control("ack"); f.Message.Text != "sent with no rooms" {
		t.Fatalf("ack %s", f)
	}
	c.write(`{"type":"subscribe","rooms":["b"]}`)
	c.expect("subscribed")
	s.post("lobby", "ada", "not subscribed")
	s.post("b", "ada", "b again")
	if got := c.texts(1); got[0] != "b again" {
		t.Fatalf("got %q", got)
	}
}

// Subscription changes while messages keep coming: every subscribed
// room's stream stays gap-free and in ID order, and a room is delivered
// exactly while subscribed (between the answers).
func TestSubscriptionChangesUnderLoad(t *testing.T) {
	s := newStack(t, ws.Config{QueueLen: 8}, chat.Config{})
	s.createRoom("b")
	c, _ := s.dial("rooms=lobby")
	const per = 150
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, room := range []string{"lobby", "b"} {
		wg.Go(func() {
			for i := range per {
				if _, err := s.chat.PostAs(ctx, parley.Identity{Name: "p", Kind: parley.Guest}, "test", room, strconv.Itoa(i)); err != nil {
					return
				}
			}
		})
	}
	// Flip b on and off while posts go on; the reads happen below.
	for range 5 {
		c.write(`{"type":"subscribe","rooms":["b"]}`)
		c.write(`{"type":"unsubscribe","rooms":["b"]}`)
	}
	c.write(`{"type":"subscribe","rooms":["b"],"cursor":0}`)
	wg.Wait()
	end := s.post("lobby", "p", "end")

	var lobby, bAfter []int64
	var lastB int64
	answers := 0 // odd: b subscribed; 11: the final subscribe from 0
	for {
		f := c.next()
		if f.Type != "" {
			if f.Type != "subscribed" && f.Type != "unsubscribed" {
				t.Fatalf("unexpected %s", f)
			}
			answers++
			lastB = 0
			continue
		}
		switch f.Room {
		case "lobby":
			if len(lobby) > 0 && f.ID <= lobby[len(lobby)-1] {
				t.Fatalf("lobby event %d after %d: out of order", f.ID, lobby[len(lobby)-1])
			}
			lobby = append(lobby, f.ID)
		case "b":
			if answers%2 == 0 {
				t.Fatalf("b event %s while unsubscribed (after %d answers)", f, answers)
			}
			if f.ID <= lastB {
				t.Fatalf("b event %d after %d: out of order", f.ID, lastB)
			}
			lastB = f.ID
			if answers == 11 {
				bAfter = append(bAfter, f.ID)
			}
		}
		if f.ID == end.ID {
			break
		}
	}
	wantLobby := ids(t, s, "lobby")
	if !slices.Equal(lobby, wantLobby) {
		t.Errorf("lobby: got %d events, want %d, all in order and none missing", len(lobby), len(wantLobby))
	}
	// After the last subscribe (cursor 0): all of b, in order.
	if want := ids(t, s, "b"); !slices.Equal(bAfter, want) {
		t.Errorf("b after subscribing from 0: got %d events, want %d in order", len(bAfter), len(want))
	}
}

func ids(t *testing.T, s *stack, room string) []int64 {
	t.Helper()
	msgs, err := s.store.After(context.Background(), []string{room}, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// Every subscriber sees the store's order, however posts interleave.
func TestOrderingUnderConcurrentPosters(t *testing.T) {
	const posters, each = 8, 25
	s := newStack(t, ws.Config{}, chat.Config{})
	s.createRoom("b")
	subs := make([]*client, 3)
	for i := range subs {
		subs[i], _ = s.dial("rooms=lobby,b")
	}
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			room := []string{"lobby", "b"}[p%2]
			for i := range each {
				s.post(room, "p"+strconv.Itoa(p), strconv.Itoa(i))
			}
		})
	}
	wg.Wait()
	all, err := s.store.After(context.Background(), []string{"lobby", "b"}, 0, 1000)
	if err != nil || len(all) != posters*each {
		t.Fatalf("store holds %d messages (%v)", len(all), err)
	}
	for i, c := range subs {
		for j := range all {
			if ev := c.event(); ev.ID != all[j].ID {
				t.Fatalf("subscriber %d: event %d is %d, want %d", i, j, ev.ID, all[j].ID)
			}
		}
	}
}
