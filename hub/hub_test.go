package hub_test

import (
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
)

// recorder collects delivered IDs and signals each delivery.
type recorder struct {
	mu  sync.Mutex
	ids []int64
	got chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1<<16)} }

func (r *recorder) Deliver(ev *parley.Event) {
	r.mu.Lock()
	r.ids = append(r.ids, ev.ID())
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) wait(t *testing.T, n int) []int64 {
	t.Helper()
	for range n {
		<-r.got
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.ids...)
}

func event(id int64, room string) *parley.Event {
	return parley.NewEvent(parley.Message{ID: id, Room: room, Kind: parley.KindMessage})
}

func TestDeliversOnlySubscribedRoomsInOrder(t *testing.T) {
	h := hub.New(hub.WithPartitions(3))
	defer h.Close()
	ab, b, none := newRecorder(), newRecorder(), newRecorder()
	h.Subscribe(ab, []string{"a", "b"})
	h.Subscribe(b, []string{"b"})
	h.Subscribe(none, []string{"c"})

	for i := int64(1); i <= 100; i++ {
		h.Publish(event(i, []string{"a", "b"}[i%2]))
	}
	got := ab.wait(t, 100)
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("subscriber of a,b got %v: out of order at %d", got, i)
		}
	}
	for i, id := range b.wait(t, 50) {
		if id != int64(2*i+1) {
			t.Fatalf("subscriber of b got id %d at %d", id, i)
		}
	}
	h.Close() // flushes nothing more; "none" must have received nothing
	if len(none.ids) != 0 {
		t.Errorf("subscriber of c got %v", none.ids)
	}
}

// An event published after Subscribe returns is delivered: resume depends
// on it.
func TestSubscribeIsOrderedBeforeLaterPublishes(t *testing.T) {
	h := hub.New(hub.WithPartitions(2))
	defer h.Close()
	for i := int64(1); i <= 200; i++ {
		r := newRecorder()
		h.Subscribe(r, []string{"a"})
		h.Publish(event(i, "a"))
		if got := r.wait(t, 1); got[0] != i {
			t.Fatalf("got %v, want %d", got, i)
		}
	}
}

func TestCancelStopsDeliveryEvenFromDeliver(t *testing.T) {
	h := hub.New(hub.WithPartitions(1))
	defer h.Close()
	var sub *hub.Subscription
	ready := make(chan struct{})
	self := &cancelOnFirst{ready: ready, cancel: func() { sub.Cancel() }, got: make(chan int64, 10)}
	sub = h.Subscribe(self, []string{"a"})
	close(ready)
	after := newRecorder()
	h.Publish(event(1, "a"))
	h.Publish(event(2, "a"))
	h.Subscribe(after, []string{"a"})
	h.Publish(event(3, "a"))
	after.wait(t, 1) // event 3 has gone through the partition
	close(self.got)
	var ids []int64
	for id := range self.got {
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] != 1 {
		t.Errorf("cancelled subscriber got %v, want only [1]", ids)
	}
	if n := h.Subscribers(); n != 1 {
		t.Errorf("Subscribers() = %d, want 1", n)
	}
}

type cancelOnFirst struct {
	ready  chan struct{}
	cancel func()
	got    chan int64
}

func (c *cancelOnFirst) Deliver(ev *parley.Event) {
	<-c.ready
	c.got <- ev.ID()
	c.cancel()
}

func TestQueueOverflowDropsInsteadOfGrowing(t *testing.T) {
	q := hub.NewQueue(3)
	for i := int64(1); i <= 10; i++ {
		q.Deliver(event(i, "a"))
	}
	evs, overflowed := q.Take(nil)
	if !overflowed || len(evs) != 0 {
		t.Fatalf("after overflow: %d events, overflowed=%v; want 0, true", len(evs), overflowed)
	}
	q.Deliver(event(11, "a"))
	<-q.Ready()
	evs, overflowed = q.Take(evs)
	if overflowed || len(evs) != 1 || evs[0].ID() != 11 {
		t.Fatalf("after recovery: %v overflowed=%v", evs, overflowed)
	}
}

func BenchmarkFanOut(b *testing.B) {
	h := hub.New()
	defer h.Close()
	const subs = 10000
	counter := &countingSub{done: make(chan struct{}), want: int64(subs) * int64(b.N)}
	for range subs {
		h.Subscribe(counter, []string{"a"})
	}
	ev := event(1, "a")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.Publish(ev)
	}
	<-counter.done
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(counter.want), "ns/delivery")
}

type countingSub struct {
	mu   sync.Mutex
	n    int64
	want int64
	done chan struct{}
}

func (c *countingSub) Deliver(*parley.Event) {
	c.mu.Lock()
	c.n++
	if c.n == c.want {
		close(c.done)
	}
	c.mu.Unlock()
}

func TestEventReachesExtraTopics(t *testing.T) {
	h := hub.New(hub.WithPartitions(2))
	defer h.Close()
	ada, bob, eve := newRecorder(), newRecorder(), newRecorder()
	h.Subscribe(ada, []string{parley.UserTopic("ada")})
	h.Subscribe(bob, []string{parley.UserTopic("bob")})
	h.Subscribe(eve, []string{parley.UserTopic("eve")})
	dm := parley.NewEvent(parley.Message{ID: 1, Room: parley.DirectRoomName("bob", "ada")})
	dm.Also = []string{parley.UserTopic("ada"), parley.UserTopic("bob")}
	h.Publish(dm)
	h.Publish(event(2, "@eve")) // a marker: once eve has it, the DM has passed
	if got := ada.wait(t, 1); got[0] != 1 {
		t.Errorf("ada got %v", got)
	}
	if got := bob.wait(t, 1); got[0] != 1 {
		t.Errorf("bob got %v", got)
	}
	if got := eve.wait(t, 1); len(got) != 1 || got[0] != 2 {
		t.Errorf("eve got %v, want only the marker", got)
	}
}

// A revoking event (a kick) takes the room away from the streams of the
// revoked user (those following their user topic) before it is delivered;
// the user still gets the event itself on the user topic, and nobody else
// loses anything.
func TestRevokeTakesTheRoomFromTheUsersStreams(t *testing.T) {
	h := hub.New(hub.WithPartitions(2))
	defer h.Close()
	bob1, bob2, ada := newRecorder(), newRecorder(), newRecorder()
	h.Subscribe(bob1, []string{"private", "lobby", "@bob"})
	h.Subscribe(bob2, []string{"private", "@bob"})
	h.Subscribe(ada, []string{"private", "@ada"})

	kick := event(1, "private")
	kick.Also = []string{"@bob"}
	kick.Revoke = "bob"
	h.Publish(kick)
	h.Publish(event(2, "private")) // bob may no longer read it
	h.Publish(event(3, "lobby"))

	if got := bob1.wait(t, 2); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("bob's first stream got %v, want the kick (on @bob), then only lobby's 3", got)
	}
	if got := bob2.wait(t, 1); len(got) != 1 || got[0] != 1 {
		t.Errorf("bob's second stream got %v, want only the kick", got)
	}
	if got := ada.wait(t, 2); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("ada got %v, want 1 and 2", got)
	}
	// Nothing more arrives for bob: a later event in lobby proves the
	// partitions have handled 2.
	h.Publish(event(4, "lobby"))
	if got := bob1.wait(t, 1); got[len(got)-1] != 4 {
		t.Errorf("bob's first stream got %v, want 4 last", got)
	}
	bob2.mu.Lock()
	defer bob2.mu.Unlock()
	if len(bob2.ids) != 1 {
		t.Errorf("bob's second stream got %v after the kick", bob2.ids)
	}
}

// revocable records why it was revoked.
type revocable struct {
	*recorder
	reasons chan string
}

func (r *revocable) Revoke(reason string) { r.reasons <- reason }

func TestDisconnectEndsTheTopicsSubscriptions(t *testing.T) {
	h := hub.New(hub.WithPartitions(2))
	defer h.Close()
	gone := &revocable{newRecorder(), make(chan string, 1)}
	other := &revocable{newRecorder(), make(chan string, 1)}
	h.Subscribe(gone, []string{"lobby", "@~s1"})
	h.Subscribe(other, []string{"lobby", "@~s2"})

	if got := h.Topics("@~"); len(got) != 2 {
		t.Errorf("Topics(@~) = %v, want both sessions", got)
	}
	h.Disconnect("@~s1", "you logged out")
	h.Publish(event(1, "lobby"))
	if why := <-gone.reasons; why != "you logged out" {
		t.Errorf("revoked with %q", why)
	}
	if got := other.wait(t, 1); len(got) != 1 || got[0] != 1 {
		t.Errorf("the other session got %v, want 1", got)
	}
	gone.mu.Lock()
	if len(gone.ids) != 0 {
		t.Errorf("the disconnected subscription got %v after Disconnect", gone.ids)
	}
	gone.mu.Unlock()
	select {
	case why := <-other.reasons:
		t.Errorf("the other session was revoked too: %q", why)
	default:
	}
	if got := h.Topics("@~"); len(got) != 1 || got[0] != "@~s2" {
		t.Errorf("Topics(@~) after Disconnect = %v, want only @~s2", got)
	}
}

// PublishedWithin tells whether events (not signals) are flowing.
func TestPublishedWithin(t *testing.T) {
	h := hub.New()
	defer h.Close()
	if h.PublishedWithin(time.Hour) {
		t.Fatal("a hub that published nothing reports an event within the hour")
	}
	h.Publish(parley.NewSignal("typing:lobby", parley.Message{Room: "lobby"}))
	if h.PublishedWithin(time.Hour) {
		t.Error("a signal counts as a published event")
	}
	h.Publish(parley.NewEvent(parley.Message{ID: 1, Room: "lobby"}))
	if !h.PublishedWithin(time.Hour) {
		t.Error("an event published just now is not within the hour")
	}
	if h.PublishedWithin(0) {
		t.Error("an event is reported within no time at all")
	}
}
