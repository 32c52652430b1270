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
	"github.com/parley-chat/parley/store/postgres"
)

// ringNode is a node routed by interest whose commits go through a
// shared PostgreSQL store's batch ring, as the chat service commits them.
type ringNode struct {
	*interestNode
	store *postgres.Store
}

func startRingNode(t *testing.T, url, subject, dsn string) *ringNode {
	t.Helper()
	ctx := t.Context()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	head, err := store.LastID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := &interestNode{node: &node{out: make(chan *parley.Event, 1000), signals: make(chan *parley.Event, 100)}}
	n.seq = ordering.New(ordering.Config{
		Log: store, Start: head, Interest: true,
		Deliver: func(evs []*parley.Event) { sendAll(n.out, evs) },
		Grace:   time.Hour, // gaps in this test must be closed by NATS and the ring
		Poll:    time.Hour,
	})
	t.Cleanup(n.seq.Close)
	b, err := natsbroker.Connect(ctx, natsbroker.Config{URL: url, Subject: subject, Node: t.Name(), Sequencer: n.seq, ByInterest: true, Linger: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	n.broker = b
	return &ringNode{interestNode: n, store: store}
}

// post commits one batch of one message per room and publishes it.
func (n *ringNode) post(t *testing.T, rooms ...string) []*parley.Event {
	t.Helper()
	msgs := make([]*parley.Message, len(rooms))
	events := make([]*parley.Event, len(rooms))
	for i, r := range rooms {
		msgs[i] = &parley.Message{Room: r, Kind: parley.KindMessage, From: "ada", Text: "hi " + r}
		events[i] = &parley.Event{Message: *msgs[i]}
	}
	keys, ok := n.broker.BatchKeys(events)
	if !ok {
		t.Fatal("BatchKeys: the broker does not route by interest")
	}
	recent, err := n.store.AppendRing(t.Context(), msgs, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		events[i] = parley.NewEvent(*m)
	}
	if err := n.broker.PublishRing(context.Background(), events, recent); err != nil {
		t.Fatal(err)
	}
	return events
}

// With the store's ring on every part, a node serving one room receives
// that room's parts and nothing else: no announcement of the other
// nodes' batches, unless a batch had more shards than the ring records.
func TestRingReplacesAnnouncements(t *testing.T) {
	url, subject, dsn := servicetest.NATS(t), servicetest.Subject(), servicetest.PostgresDB(t)
	a := startRingNode(t, url, subject, dsn)
	b := startRingNode(t, url, subject, dsn)
	rooms := []string{"mine", "other", "r1", "r2", "r3", "r4", "r5"}
	for _, r := range rooms {
		if err := a.store.CreateRoom(t.Context(), &parley.Room{Name: r}); err != nil {
			t.Fatal(err)
		}
	}
	b.broker.Follow([]string{"mine"})
	before := b.broker.Conn().Stats().InMsgs

	var want []int64
	for i := range 60 {
		a.post(t, fmt.Sprint("other"))
		b.post(t, "r1") // B's own commits of a room nobody follows
		if i%5 == 4 {
			for _, ev := range a.post(t, "mine") {
				want = append(want, ev.ID())
			}
		}
	}
	expect(t, "B", b.out, want...)
	waitFor(t, "B to account for every ID up to its room's last", func() bool { return b.seq.Delivered() >= want[len(want)-1] })
	if got := b.broker.Conn().Stats().InMsgs - before; got != uint64(len(want)) {
		t.Errorf("B received %d NATS messages, want %d: the parts of its room and nothing else", got, len(want))
	}
	if filled, _ := b.seq.Filled(); filled != 0 {
		t.Errorf("B read %d events from the store, want 0: the ring accounts for the others", filled)
	}

	// A batch of six rooms is more than the ring records: it is announced,
	// and B, which follows none of them, accounts for it from that.
	wide := a.post(t, "other", "r1", "r2", "r3", "r4", "r5")
	last := a.post(t, "mine")
	expect(t, "B", b.out, last[0].ID())
	if wide[0].ID() >= last[0].ID() {
		t.Fatal("IDs out of order")
	}
	if filled, _ := b.seq.Filled(); filled != 0 {
		t.Errorf("B read %d events from the store, want 0: the wide batch was announced", filled)
	}
}
