package nats_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	natsbroker "github.com/parley-chat/parley/broker/nats"
	"github.com/parley-chat/parley/broker/ordering"
	"github.com/parley-chat/parley/internal/servicetest"
)

// interestNode is a node routed by interest.
type interestNode struct {
	*node
	seq *ordering.Sequencer
}

func startInterestNode(t *testing.T, url, subject string, log *sharedLog, linger time.Duration) *interestNode {
	t.Helper()
	return startInterestNodeWith(t, url, subject, log, linger, nil)
}

// startDetachableNode starts a node whose sequencer detaches while it
// follows nothing.
func startDetachableNode(t *testing.T, url, subject string, log *sharedLog, linger time.Duration) *interestNode {
	t.Helper()
	return startInterestNodeWith(t, url, subject, log, linger, log.head)
}

func startInterestNodeWith(t *testing.T, url, subject string, log *sharedLog, linger time.Duration, head func(context.Context) (int64, error)) *interestNode {
	t.Helper()
	n := &interestNode{node: &node{out: make(chan *parley.Event, 1000), signals: make(chan *parley.Event, 100)}}
	n.seq = ordering.New(ordering.Config{
		Log:      log,
		Deliver:  func(evs []*parley.Event) { sendAll(n.out, evs) },
		Interest: true,
		Head:     head,
		Grace:    time.Hour, // gaps in these tests must be filled by NATS
		Poll:     time.Hour,
	})
	t.Cleanup(n.seq.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := natsbroker.Connect(ctx, natsbroker.Config{URL: url, Subject: subject, Node: t.Name(), Sequencer: n.seq,
		ByInterest: true, Linger: linger, Signals: func(ev *parley.Event) { n.signals <- ev }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	n.broker = b
	return n
}

func publish(t *testing.T, n *interestNode, evs ...*parley.Event) {
	t.Helper()
	if err := n.broker.Publish(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// A node receives the events of the rooms and user topics its
// subscribers follow, and nothing of the others, yet accounts for every ID.
func TestInterestNodeReceivesOnlyWhatItFollows(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startInterestNode(t, url, subject, log, time.Hour)
	b := startInterestNode(t, url, subject, log, time.Hour)
	waitFor(t, "the nodes' first catch-up", func() bool { return log.readCount() >= 2 })
	b.broker.Follow([]string{"mine", parley.UserTopic("ada")})

	other1 := log.commit(parley.Message{Room: "other", Text: "not for B"})
	mine := log.commit(parley.Message{Room: "mine", Text: "for B"})
	other2 := log.commit(parley.Message{Room: "other", Text: "not for B"})
	publish(t, a, other1, mine, other2)
	dm := log.commit(parley.Message{Room: "@ada,bob", Text: "to ada"}) // EventFor sets Also
	kick := log.commit(parley.Message{Room: "other", Kind: parley.KindNotice, Text: "ada was removed"})
	kick.Also, kick.Revoke = []string{parley.UserTopic("ada")}, "ada"
	publish(t, a, dm, kick)
	last := log.commit(parley.Message{Room: "other", Text: "not for B"})
	publish(t, a, last)

	got := expect(t, "following node", b.out, mine.ID(), dm.ID(), kick.ID())
	if got[2].Revoke != "ada" {
		t.Errorf("kick notice reached B with Revoke %q, want ada", got[2].Revoke)
	}
	waitFor(t, "B to account for every ID", func() bool { return b.seq.Delivered() == last.ID() })
	// A has no subscriber at all: its own commits are accounted for and
	// delivered to nobody.
	waitFor(t, "A to account for its commits", func() bool { return a.seq.Delivered() == last.ID() })
	if len(a.out) != 0 {
		t.Errorf("A delivered %d events to a hub with no subscriber", len(a.out))
	}
	if n := b.broker.Received(); n != 3 {
		t.Errorf("B received %d events over NATS, want 3: the other room's must not reach it", n)
	}
	if filled, _ := b.seq.Filled(); filled != 0 {
		t.Errorf("B read %d events from the log, want 0: nothing was lost", filled)
	}
}

// Signals are routed by their topic like events.
func TestInterestSignalsReachFollowersOnly(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startInterestNode(t, url, subject, log, time.Hour)
	b := startInterestNode(t, url, subject, log, time.Hour)
	b.broker.Follow([]string{parley.TypingTopic("mine")})
	for _, room := range []string{"other", "mine"} {
		sig := parley.NewSignal(parley.TypingTopic(room), parley.Message{Room: room, Kind: parley.KindTyping, From: "ada"})
		if err := a.broker.Signal(context.Background(), sig); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case got := <-b.signals:
		if got.Topic != parley.TypingTopic("mine") {
			t.Fatalf("B got a signal for %q, want only %q", got.Topic, parley.TypingTopic("mine"))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("B got no signal")
	}
	if len(a.signals) != 2 {
		t.Errorf("the sending node got %d of its own signals, want 2", len(a.signals))
	}
}

// A topic that loses its last subscriber keeps its shard for the linger,
// then the node stops receiving it; following it again resumes delivery.
func TestInterestUnfollowAfterLinger(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startInterestNode(t, url, subject, log, 50*time.Millisecond)
	b := startInterestNode(t, url, subject, log, 50*time.Millisecond)
	waitFor(t, "the nodes' first catch-up", func() bool { return log.readCount() >= 2 })
	b.broker.Follow([]string{"mine", "mine"}) // two subscribers
	if n := b.broker.Following(); n != 1 {
		t.Fatalf("Following() = %d, want 1", n)
	}
	b.broker.Unfollow([]string{"mine"})
	time.Sleep(150 * time.Millisecond) // longer than the linger: one subscriber is left
	if n := b.broker.Following(); n != 1 {
		t.Fatalf("Following() = %d with one subscriber left, want 1", n)
	}
	b.broker.Unfollow([]string{"mine"})
	waitFor(t, "the shard to be dropped", func() bool { return b.broker.Following() == 0 })
	publish(t, a, log.commit(parley.Message{Room: "mine", Text: "nobody on B"}))
	waitFor(t, "B to account for it", func() bool { return b.seq.Delivered() == 1 })
	if n := b.broker.Received(); n != 0 {
		t.Errorf("B received %d events after unfollowing, want 0", n)
	}
	b.broker.Follow([]string{"mine"})
	again := log.commit(parley.Message{Room: "mine", Text: "followed again"})
	publish(t, a, again)
	expect(t, "B", b.out, again.ID())
}

// Batches committed in quick succession are announced together: a node
// that follows none of their rooms gets far fewer messages than batches,
// and still accounts for every ID.
func TestInterestAnnouncementsAreCoalesced(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startInterestNode(t, url, subject, log, time.Hour)
	b := startInterestNode(t, url, subject, log, time.Hour)
	waitFor(t, "the nodes' first catch-up", func() bool { return log.readCount() >= 2 })
	before := b.broker.Conn().Stats().InMsgs
	const batches = 200
	for i := range batches {
		publish(t, a, log.commit(parley.Message{Room: fmt.Sprint("room", i%7), Text: "x"}))
	}
	waitFor(t, "B to account for every batch", func() bool { return b.seq.Delivered() == batches })
	if got := b.broker.Conn().Stats().InMsgs - before; got > batches/4 {
		t.Errorf("B received %d messages for %d batches, want them announced together", got, batches)
	}
	if n := b.broker.Received(); n != 0 {
		t.Errorf("B received %d events, following none of the rooms", n)
	}
}
