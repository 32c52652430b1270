package session_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/session"
	"github.com/parley-chat/parley/session/sessiontest"
)

// goneLog records OnGone calls.
type goneLog struct {
	mu  sync.Mutex
	ids []string
	why []session.Reason
}

func (g *goneLog) add(id string, why session.Reason) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ids = append(g.ids, id)
	g.why = append(g.why, why)
}

func (g *goneLog) take() ([]string, []session.Reason) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ids, why := g.ids, g.why
	g.ids, g.why = nil, nil
	return ids, why
}

const lease = 40 * time.Second

func newRegistry(t *testing.T, max int) (*session.Registry, *sessiontest.Clock, *goneLog) {
	t.Helper()
	clock := sessiontest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	gone := &goneLog{}
	r := session.New(session.Config{Lease: lease, Max: max, Clock: clock, OnGone: gone.add})
	t.Cleanup(r.Close)
	return r, clock, gone
}

// poll holds and releases a session, like one answered long-poll.
func poll(t *testing.T, r *session.Registry, id string) string {
	t.Helper()
	h, err := r.Hold(id)
	if err != nil {
		t.Fatalf("Hold(%q): %v", id, err)
	}
	h.Release()
	return h.ID()
}

func TestNewIDsAreRandomAndWellFormed(t *testing.T) {
	r, _, _ := newRegistry(t, 0)
	seen := map[string]bool{}
	for range 1000 {
		id := poll(t, r, "")
		if !session.ValidID(id) {
			t.Fatalf("ID %q is not well formed", id)
		}
		if seen[id] {
			t.Fatalf("ID %q handed out twice", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", "AAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAA+", "AAAAAAAAAAAAAAAAAAAAAAA"} {
		if session.ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestLeaseLapsesWithoutRenewal(t *testing.T) {
	r, clock, gone := newRegistry(t, 0)
	a := poll(t, r, "")
	clock.Advance(20 * time.Second)
	b := poll(t, r, "")
	if got := poll(t, r, a); got != a {
		t.Fatalf("renewing a live session handed out %q, want %q", got, a)
	}
	// a was renewed at 20s, b created at 20s: both lapse at 60s, not at 40s.
	clock.Advance(lease - time.Nanosecond)
	if ids, _ := gone.take(); len(ids) != 0 {
		t.Fatalf("sessions gone before their lease ran out: %v", ids)
	}
	clock.Advance(time.Second + time.Nanosecond) // within the sweep resolution
	ids, why := gone.take()
	slices.Sort(ids)
	want := []string{a, b}
	slices.Sort(want)
	if !slices.Equal(ids, want) || why[0] != session.Expired || why[1] != session.Expired {
		t.Fatalf("gone = %v %v, want %v expired", ids, why, want)
	}
	if r.Len() != 0 {
		t.Errorf("Len = %d after expiry", r.Len())
	}
	// Coming back after the lease gets a new session.
	if got := poll(t, r, a); got == a {
		t.Errorf("a lapsed session was revived")
	}
}

func TestHeldSessionNeverLapses(t *testing.T) {
	r, clock, gone := newRegistry(t, 0)
	h, err := r.Hold("")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * lease) // a very long poll
	if ids, _ := gone.take(); len(ids) != 0 {
		t.Fatalf("held session lapsed: %v", ids)
	}
	h.Release() // the lease starts now
	clock.Advance(lease - time.Second)
	if ids, _ := gone.take(); len(ids) != 0 {
		t.Fatalf("session lapsed %v after release, lease is %v", lease-time.Second, lease)
	}
	clock.Advance(2 * time.Second)
	if ids, _ := gone.take(); !slices.Equal(ids, []string{h.ID()}) {
		t.Fatalf("gone = %v, want [%s]", ids, h.ID())
	}
}

func TestTouchRenews(t *testing.T) {
	r, clock, gone := newRegistry(t, 0)
	id := poll(t, r, "")
	for range 10 {
		clock.Advance(lease / 2)
		if !r.Touch(id) {
			t.Fatal("Touch of a live session = false")
		}
	}
	if ids, _ := gone.take(); len(ids) != 0 {
		t.Fatalf("touched session lapsed: %v", ids)
	}
	if r.Touch("AAAAAAAAAAAAAAAAAAAAAA") {
		t.Error("Touch of an unknown session = true")
	}
}

func TestNewerHoldSupersedesOlder(t *testing.T) {
	r, _, _ := newRegistry(t, 0)
	first, _ := r.Hold("")
	second, err := r.Hold(first.ID())
	if err != nil || second.ID() != first.ID() {
		t.Fatalf("second hold: %v, id %q want %q", err, second.ID(), first.ID())
	}
	select {
	case <-first.Done():
	default:
		t.Fatal("first hold not superseded")
	}
	select {
	case <-second.Done():
		t.Fatal("newest hold is done")
	default:
	}
	first.Release()
	first.Release() // harmless
	second.Release()
}

func TestEndReportsAndReleasesHold(t *testing.T) {
	r, clock, gone := newRegistry(t, 0)
	h, _ := r.Hold("")
	if !r.End(h.ID()) {
		t.Fatal("End of a live session = false")
	}
	<-h.Done()
	h.Release()
	if r.End(h.ID()) {
		t.Error("End of an ended session = true")
	}
	ids, why := gone.take()
	if !slices.Equal(ids, []string{h.ID()}) || why[0] != session.Ended {
		t.Fatalf("gone = %v %v, want [%s] ended", ids, why, h.ID())
	}
	clock.Advance(2 * lease)
	if ids, _ := gone.take(); len(ids) != 0 {
		t.Errorf("ended session reported again: %v", ids)
	}
}

func TestFullRegistryEvictsLongestIdle(t *testing.T) {
	r, clock, gone := newRegistry(t, 3)
	a := poll(t, r, "")
	clock.Advance(time.Second)
	b := poll(t, r, "")
	held, _ := r.Hold("")
	d := poll(t, r, "") // full: evicts a
	ids, why := gone.take()
	if !slices.Equal(ids, []string{a}) || why[0] != session.Evicted {
		t.Fatalf("gone = %v %v, want [%s] evicted", ids, why, a)
	}
	if r.Len() != 3 {
		t.Fatalf("Len = %d, want 3", r.Len())
	}
	poll(t, r, "") // evicts b
	poll(t, r, "") // evicts d
	if ids, _ := gone.take(); !slices.Equal(ids, []string{b, d}) {
		t.Fatalf("gone = %v, want [%s %s]", ids, b, d)
	}
	// Every session held: nothing to evict.
	r2, _, _ := newRegistry(t, 1)
	h2, _ := r2.Hold("")
	if _, err := r2.Hold(""); parley.ErrorCode(err) != parley.EUnavailable {
		t.Errorf("Hold on a full registry of held sessions: %v, want unavailable", err)
	}
	h2.Release()
	held.Release()
}

func TestSweepIsDrivenByOneTimer(t *testing.T) {
	r, clock, gone := newRegistry(t, 0)
	for range 1000 {
		poll(t, r, "")
	}
	if n := clock.Pending(); n != 1 {
		t.Fatalf("%d timers pending for 1000 idle sessions, want 1", n)
	}
	clock.Advance(lease + time.Second)
	if ids, _ := gone.take(); len(ids) != 1000 {
		t.Fatalf("%d sessions expired, want 1000", len(ids))
	}
	if n := clock.Pending(); n != 0 {
		t.Errorf("%d timers pending with no sessions", n)
	}
}

func TestCloseEndsHoldsQuietly(t *testing.T) {
	r, clock, gone := newRegistry(t, 0)
	h, _ := r.Hold("")
	poll(t, r, "")
	r.Close()
	<-h.Done()
	h.Release()
	clock.Advance(2 * lease)
	if ids, _ := gone.take(); len(ids) != 0 {
		t.Errorf("Close reported sessions gone: %v", ids)
	}
	if _, err := r.Hold(""); parley.ErrorCode(err) != parley.EUnavailable {
		t.Errorf("Hold after Close: %v, want unavailable", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := session.New(session.Config{Lease: time.Millisecond})
	defer r.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			id := ""
			for range 2000 {
				h, err := r.Hold(id)
				if err != nil {
					t.Error(err)
					return
				}
				id = h.ID()
				h.Release()
				r.Touch(id)
			}
			r.End(id)
		})
	}
	wg.Wait()
}

// A request held without a goroutine learns through AfterDone that its
// hold was superseded, ended or closed; a stopped call never runs.
func TestAfterDone(t *testing.T) {
	r, _, _ := newRegistry(t, 0)
	ran := make(chan string, 4)

	superseded, _ := r.Hold("")
	superseded.AfterDone(func() { ran <- "superseded" })
	newer, _ := r.Hold(superseded.ID())
	if got := <-ran; got != "superseded" {
		t.Fatalf("AfterDone ran %q", got)
	}

	stopped, _ := r.Hold("")
	stopped.AfterDone(func() { ran <- "stopped" })
	if !stopped.StopAfterDone() {
		t.Fatal("StopAfterDone of a pending call = false")
	}
	if stopped.StopAfterDone() {
		t.Error("second StopAfterDone = true")
	}

	newer.AfterDone(func() { ran <- "ended" })
	r.End(newer.ID())
	if got := <-ran; got != "ended" {
		t.Fatalf("AfterDone ran %q, want ended", got)
	}
	// Already done: it runs at once.
	newer.AfterDone(func() { ran <- "late" })
	if got := <-ran; got != "late" {
		t.Fatalf("AfterDone ran %q, want late", got)
	}

	closing, _ := r.Hold("")
	closing.AfterDone(func() { ran <- "closed" })
	r.Close()
	if got := <-ran; got != "closed" {
		t.Fatalf("AfterDone ran %q, want closed", got)
	}
	select {
	case got := <-ran:
		t.Errorf("unexpected call %q (a stopped one?)", got)
	default:
	}
	stopped.Release()
	superseded.Release()
}
