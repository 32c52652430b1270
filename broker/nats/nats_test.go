package nats_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	natsbroker "github.com/parley-chat/parley/broker/nats"
	"github.com/parley-chat/parley/broker/ordering"
	"github.com/parley-chat/parley/internal/servicetest"
)

// sharedLog stands in for the cluster's store: every node reads the same
// log.
type sharedLog struct {
	mu    sync.Mutex
	msgs  []parley.Message
	reads int
}

func (l *sharedLog) readCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads
}

func (l *sharedLog) commit(m parley.Message) *parley.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	m.ID = int64(len(l.msgs) + 1)
	l.msgs = append(l.msgs, m)
	return parley.EventFor(m)
}

// head returns the last committed ID.
func (l *sharedLog) head(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.msgs)), nil
}

func (l *sharedLog) Since(_ context.Context, after int64, limit int) ([]parley.Message, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	var out []parley.Message
	for _, m := range l.msgs {
		if m.ID > after && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

// node is a broker with its sequencer; delivered events land in out.
type node struct {
	broker  *natsbroker.Broker
	out     chan *parley.Event
	signals chan *parley.Event
}

func startNode(t *testing.T, url, subject string, log *sharedLog, poll time.Duration) *node {
	t.Helper()
	n := &node{out: make(chan *parley.Event, 1000), signals: make(chan *parley.Event, 100)}
	seq := ordering.New(ordering.Config{
		Log:     log,
		Deliver: func(evs []*parley.Event) { sendAll(n.out, evs) },
		Grace:   time.Hour, // gaps in these tests must be filled by NATS or polling
		Poll:    poll,
	})
	t.Cleanup(seq.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := natsbroker.Connect(ctx, natsbroker.Config{URL: url, Subject: subject, Node: t.Name(), Sequencer: seq, ReconnectWait: 20 * time.Millisecond,
		Signals: func(ev *parley.Event) { n.signals <- ev }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	n.broker = b
	return n
}

func sendAll(ch chan *parley.Event, evs []*parley.Event) {
	for _, ev := range evs {
		ch <- ev
	}
}

func expect(t *testing.T, who string, ch chan *parley.Event, want ...int64) []*parley.Event {
	t.Helper()
	var got []*parley.Event
	var ids []int64
	deadline := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-ch:
			got = append(got, ev)
			ids = append(ids, ev.ID())
		case <-deadline:
			t.Fatalf("%s got %v, want %v", who, ids, want)
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("%s got %v, want %v", who, ids, want)
	}
	return got
}

func TestEventsReachEveryNodeWithTheirTopics(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startNode(t, url, subject, log, time.Hour)
	b := startNode(t, url, subject, log, time.Hour)
	// Each node reads the log once after subscribing; wait for that, or
	// B could read these events from the log before NATS brings them.
	waitFor(t, "the nodes' first catch-up", func() bool { return log.readCount() >= 2 })

	ev1 := log.commit(parley.Message{Room: "lobby", From: "ada", Text: "hello"})
	ev2 := log.commit(parley.Message{Room: "lobby", From: "ada", Text: "kick"})
	ev2.Also = []string{"@bob"} // a topic given only at commit time
	ev2.Revoke = "bob"
	if err := a.broker.Publish(context.Background(), []*parley.Event{ev1, ev2}); err != nil {
		t.Fatal(err)
	}
	expect(t, "publishing node", a.out, 1, 2)
	got := expect(t, "other node", b.out, 1, 2)
	if got[0].Message.Text != "hello" || got[0].Message.From != "ada" {
		t.Errorf("other node got %+v", got[0].Message)
	}
	if !slices.Equal(got[1].Also, []string{"@bob"}) || got[1].Revoke != "bob" {
		t.Errorf("other node's event Also = %q, Revoke = %q; want [@bob] and bob: commit-time routing must cross NATS", got[1].Also, got[1].Revoke)
	}
}

func TestConcurrentPublishersAreDeliveredInIDOrder(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	nodes := []*node{
		startNode(t, url, subject, log, time.Hour),
		startNode(t, url, subject, log, time.Hour),
		startNode(t, url, subject, log, time.Hour),
	}
	// Commits interleave across nodes; each node publishes its own, so
	// the others receive them in whatever order NATS brings them.
	var mu sync.Mutex // commit+publish of one node is atomic, as in chat
	var wg sync.WaitGroup
	const perNode = 100
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perNode {
				mu.Lock()
				ev := log.commit(parley.Message{Room: "lobby", From: string(rune('a' + i)), Text: "x"})
				mu.Unlock()
				if err := n.broker.Publish(context.Background(), []*parley.Event{ev}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	want := make([]int64, 3*perNode)
	for i := range want {
		want[i] = int64(i + 1)
	}
	for i, n := range nodes {
		expect(t, "node "+string(rune('A'+i)), n.out, want...)
	}
}

func TestNodeCatchesUpAfterLosingNATS(t *testing.T) {
	srv := servicetest.PrivateNATS(t)
	subject := servicetest.Subject()
	log := &sharedLog{}
	a := startNode(t, srv.URL(), subject, log, time.Hour)
	b := startNode(t, srv.URL(), subject, log, time.Hour)

	srv.Stop()
	waitFor(t, "both nodes to notice the outage", func() bool { return !a.broker.Connected() && !b.broker.Connected() })
	// Posted on A while NATS is down: B reads it from the store (it polls
	// often during the outage).
	ev := log.commit(parley.Message{Room: "lobby", Text: "during the outage"})
	_ = a.broker.Publish(context.Background(), []*parley.Event{ev}) // NATS buffers or fails; either is fine
	expect(t, "A", a.out, 1)
	expect(t, "B during the outage", b.out, 1)

	srv.Start()
	waitFor(t, "both nodes to reconnect", func() bool { return a.broker.Connected() && b.broker.Connected() })
	ev = log.commit(parley.Message{Room: "lobby", Text: "after"})
	if err := a.broker.Publish(context.Background(), []*parley.Event{ev}); err != nil {
		t.Fatal(err)
	}
	expect(t, "B after reconnecting", b.out, 2)
}

func TestConnectFailsClearlyWithoutNATS(t *testing.T) {
	seq := ordering.New(ordering.Config{Log: &sharedLog{}, Deliver: func([]*parley.Event) {}})
	defer seq.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := natsbroker.Connect(ctx, natsbroker.Config{URL: "nats://user:secret@127.0.0.1:1", Sequencer: seq})
	if err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "--broker") || strings.Contains(msg, "secret") {
		t.Errorf("error %q should point at --broker and hide the password", msg)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a state with no signal to wait on
	}
}

func TestSignalsReachEveryNodeUnsequenced(t *testing.T) {
	url, subject := servicetest.NATS(t), servicetest.Subject()
	log := &sharedLog{}
	a := startNode(t, url, subject, log, time.Hour)
	b := startNode(t, url, subject, log, time.Hour)
	sig := parley.NewSignal(parley.TypingTopic("lobby"), parley.Message{Room: "lobby", Kind: parley.KindTyping, From: "ada"})
	if err := a.broker.Signal(context.Background(), sig); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name string
		ch   chan *parley.Event
	}{{"publishing node", a.signals}, {"other node", b.signals}} {
		select {
		case got := <-n.ch:
			if !got.Signal() || got.Topic != parley.TypingTopic("lobby") || got.Message.From != "ada" || got.Message.Kind != parley.KindTyping {
				t.Errorf("%s got signal %+v on topic %q", n.name, got.Message, got.Topic)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s got no signal", n.name)
		}
	}
	// A signal is not an event of the log: the sequencers saw nothing,
	// and read nothing for it.
	select {
	case ev := <-b.out:
		t.Fatalf("a signal reached the sequencer as event %d", ev.ID())
	default:
	}
}
