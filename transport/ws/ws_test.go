package ws_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/transport/ws"
)

func TestReadyThenLive(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	old := s.post("lobby", "ada", "before")
	c, ready := s.dial("rooms=lobby")
	if !slices.Equal(ready.Rooms, []string{"lobby"}) || ready.Cursor == nil || *ready.Cursor != old.ID {
		t.Fatalf("ready = %s, want rooms [lobby] and cursor %d", ready, old.ID)
	}
	posted := s.post("lobby", "ada", "hello <b>world</b>")
	ev := c.event()
	// Byte for byte the event's encode-once JSON: an SSE data line.
	if want := parley.NewEvent(posted).JSON(); !bytes.Equal(ev.raw, want) {
		t.Fatalf("event frame\n got %s\nwant %s", ev.raw, want)
	}
}

func TestStartsNowOrWithContext(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	for i := range 5 {
		s.post("lobby", "ada", "old "+strconv.Itoa(i))
	}
	now, _ := s.dial("rooms=lobby")
	ctx, ready := s.dial("rooms=lobby&last=2")
	if *ready.Cursor != 5 {
		t.Errorf("ready cursor %d, want the newest ID 5", *ready.Cursor)
	}
	s.post("lobby", "ada", "new")
	if got := now.texts(1); got[0] != "new" {
		t.Errorf("without cursor got %q first, want the new message", got)
	}
	if got, want := ctx.texts(3), []string{"old 3", "old 4", "new"}; !slices.Equal(got, want) {
		t.Errorf("with last=2 got %q, want %q", got, want)
	}
}

func TestResumeGetsExactlyWhatWasMissed(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	s.createRoom("design")
	s.createRoom("other")
	first := s.post("lobby", "ada", "seen")
	for _, param := range []string{"cursor", "lastEventId"} {
		s.post("lobby", "bob", "missed 1")
		s.post("design", "bob", "missed 2")
		s.post("other", "bob", "not subscribed: never delivered")
		s.post("lobby", "bob", "missed 3")

		c, ready := s.dial("rooms=lobby,design&" + param + "=" + strconv.FormatInt(first.ID, 10))
		if *ready.Cursor != first.ID || !slices.Equal(ready.Rooms, []string{"lobby", "design"}) {
			t.Fatalf("%s: ready = %s, want cursor %d", param, ready, first.ID)
		}
		if got, want := c.texts(3), []string{"missed 1", "missed 2", "missed 3"}; !slices.Equal(got, want) {
			t.Fatalf("%s: resume got %q, want %q", param, got, want)
		}
		live := s.post("design", "ada", "live "+param)
		if ev := c.event(); ev.ID != live.ID {
			t.Fatalf("%s: after resume got %s, want the live message %d (a duplicate or gap)", param, ev, live.ID)
		}
		c.c.CloseNow()
		first = live
	}
}

// A resume racing with posts still gets every message once, in order.
func TestResumeRacingPosts(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	const total = 300
	var ids []int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range total {
			ids = append(ids, s.post("lobby", "ada", strconv.Itoa(i)).ID)
		}
	})
	c, _ := s.dial("rooms=lobby&cursor=0")
	var got []int64
	for range total {
		got = append(got, c.event().ID)
	}
	wg.Wait()
	if !slices.Equal(got, ids) {
		t.Fatalf("got %d events %v..., want %d in store order", len(got), got[:min(10, len(got))], len(ids))
	}
}

func TestSendAcksAndDelivers(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	sender, _ := s.dial("rooms=lobby")
	other, _ := s.dial("rooms=lobby")
	sender.write(sendJSON("c1", "lobby", "ada", "hi there"))

	// The ack and the message's own event may come in either order.
	var ack, own frame
	for ack.Type == "" || own.ID == 0 {
		f := sender.next()
		switch {
		case f.Type == "ack":
			ack = f
		case f.Type == "" && f.ID > 0:
			own = f
		default:
			t.Fatalf("unexpected frame %s", f)
		}
	}
	if string(ack.Ref) != `"c1"` || ack.Message == nil || ack.Message.Text != "hi there" || ack.Message.From != "ada" {
		t.Fatalf("ack = %s", ack)
	}
	if own.ID != ack.Message.ID {
		t.Fatalf("own event %s, ack %s", own, ack)
	}
	ev := other.event()
	if ev.ID != ack.Message.ID || ev.Text != "hi there" || ev.Kind != parley.KindMessage {
		t.Fatalf("other client got %s, want the acked message", ev)
	}
	stored, err := s.store.After(context.Background(), []string{"lobby"}, 0, 10)
	if err != nil || len(stored) != 1 || stored[0].ID != ev.ID {
		t.Fatalf("store holds %v (%v), want the one message", stored, err)
	}

	// A number ref is echoed too, and no ref at all is fine.
	sender.write(`{"type":"send","ref":7,"room":"lobby","name":"ada","text":"two"}`)
	sender.write(`{"type":"send","room":"lobby","name":"ada","text":"three"}`)
	var refs []string
	for len(refs) < 2 {
		if f := sender.next(); f.Type == "ack" {
			refs = append(refs, string(f.Ref))
		}
	}
	if !slices.Equal(refs, []string{"7", ""}) {
		t.Errorf("refs echoed %q, want 7 and none", refs)
	}
}

func TestSendIsRateLimitedLikeHTTP(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{RateLimit: 0.001, RateBurst: 1})
	s.createRoom("other")
	c, _ := s.dial("rooms=other")
	c.write(sendJSON("a", "lobby", "ada", "one"))
	if f := c.control("ack"); string(f.Ref) != `"a"` {
		t.Fatalf("first send: %s", f)
	}
	c.write(sendJSON("b", "lobby", "ada", "two"))
	f := c.control("error")
	if string(f.Ref) != `"b"` || f.Error.Code != "rate_limited" || f.Error.RetryAfter != 1 {
		t.Fatalf("second send: %s, want rate_limited with retry_after", f)
	}
}
