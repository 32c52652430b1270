package nats_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
)

// settled returns once every message published so far by from has reached
// to's connection (NATS keeps one publisher's order, and a flush is a
// round trip through the server).
func settled(t *testing.T, from, to *interestNode) {
	t.Helper()
	for _, n := range []*interestNode{from, to} {
		if err := n.broker.Conn().Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// A node that follows no room receives no NATS message at all, however
// much the others post. When a subscriber arrives it follows from the
// store's last committed ID and delivers every later event of its room
// in ID order, batches from two publishers arriving out of order
// included; when the last one leaves it detaches again.
func TestDetachedNodeReceivesNothingUntilItFollows(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startDetachableNode(t, url, subject, log, time.Hour)
	b := startDetachableNode(t, url, subject, log, time.Hour)
	c := startDetachableNode(t, url, subject, log, 50*time.Millisecond)
	a.broker.Follow([]string{"ra"}) // the publishers serve rooms of their own
	b.broker.Follow([]string{"rb"})

	for i := range 40 {
		publish(t, []*interestNode{a, b}[i%2], log.commit(parley.Message{Room: []string{"ra", "rb", "mine"}[i%3], Text: fmt.Sprint(i)}))
	}
	settled(t, a, c)
	settled(t, b, c)
	if n := c.broker.Conn().Stats().InMsgs; n != 0 {
		t.Fatalf("C, following nothing, received %d NATS messages, want 0", n)
	}

	c.broker.Follow([]string{"mine"})
	if got := c.seq.Delivered(); got != 40 {
		t.Fatalf("C follows from %d, want the store's last ID 40", got)
	}
	// Two publishers commit in turn; B's batches reach NATS in reverse
	// order, after A's later ones.
	var want []int64
	var fromB []*parley.Event
	for i := range 12 {
		ev := log.commit(parley.Message{Room: []string{"mine", "ra", "rb"}[i%3], Text: fmt.Sprint("late ", i)})
		if ev.Message.Room == "mine" {
			want = append(want, ev.ID())
		}
		if i%2 == 0 {
			publish(t, a, ev)
		} else {
			fromB = append(fromB, ev)
		}
	}
	for i := len(fromB) - 1; i >= 0; i-- {
		publish(t, b, fromB[i])
	}
	expect(t, "C", c.out, want...)
	waitFor(t, "C to account for every ID", func() bool { return c.seq.Delivered() == 52 })
	if filled, _ := c.seq.Filled(); filled != 0 {
		t.Errorf("C read %d events from the store, want 0: nothing was lost", filled)
	}

	c.broker.Unfollow([]string{"mine"})
	waitFor(t, "C to drop the shard and detach", func() bool { return c.broker.Following() == 0 && c.seq.Detached() })
	settled(t, a, c)
	settled(t, b, c)
	before := c.broker.Conn().Stats().InMsgs
	for i := range 10 {
		publish(t, a, log.commit(parley.Message{Room: []string{"mine", "ra"}[i%2], Text: "after"}))
	}
	settled(t, a, c)
	if n := c.broker.Conn().Stats().InMsgs - before; n != 0 {
		t.Errorf("C, detached again, received %d NATS messages, want 0", n)
	}
	if len(c.out) != 0 {
		t.Errorf("C delivered %d events after its last subscriber left", len(c.out))
	}
}

// Shards started and dropped concurrently, with the node detaching and
// attaching again many times, leave it consistent: a room followed at
// the end gets every later event, and the announcements come with it.
func TestDetachingRacesWithStartingShards(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startDetachableNode(t, url, subject, log, time.Hour)
	c := startDetachableNode(t, url, subject, log, time.Millisecond)
	a.broker.Follow([]string{"ra"})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 400 {
				topic := fmt.Sprint("r", g, "-", i%3)
				c.broker.Follow([]string{topic})
				c.broker.Unfollow([]string{topic})
			}
		})
	}
	wg.Go(func() {
		for range 60 {
			publish(t, a, log.commit(parley.Message{Room: "ra", Text: "noise"}))
		}
	})
	wg.Wait()
	c.broker.Follow([]string{"mine"})
	other := log.commit(parley.Message{Room: "ra", Text: "not for C"})
	mine := log.commit(parley.Message{Room: "mine", Text: "for C"})
	publish(t, a, other)
	publish(t, a, mine)
	got := expect(t, "C", c.out, mine.ID()) // nothing was posted to the rooms of the race
	if got[0].Message.Text != "for C" {
		t.Errorf("C got %q", got[0].Message.Text)
	}
	waitFor(t, "C to account for every ID", func() bool { return c.seq.Delivered() == mine.ID() })
}
