package ordering

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// memLog is a LogReader over a slice, standing in for the store.
type memLog struct {
	mu    sync.Mutex
	msgs  []parley.Message // ascending IDs
	err   error
	reads chan struct{} // one token per Since call, when not full
}

func (l *memLog) Since(_ context.Context, after int64, limit int) ([]parley.Message, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.reads <- struct{}{}:
	default:
	}
	if l.err != nil {
		return nil, l.err
	}
	var out []parley.Message
	for _, m := range l.msgs {
		if m.ID > after && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (l *memLog) add(ids ...int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.msgs = append(l.msgs, parley.Message{ID: id, Room: "lobby", Text: "stored"})
	}
}

func (l *memLog) setErr(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

type harness struct {
	seq *Sequencer
	log *memLog
	out chan *parley.Event
}

func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{log: &memLog{reads: make(chan struct{}, 1)}, out: make(chan *parley.Event, 10000)}
	cfg.Log = h.log
	cfg.Deliver = func(evs []*parley.Event) {
		for _, ev := range evs {
			h.out <- ev
		}
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Hour // only the tests that want polling get it
	}
	h.seq = New(cfg)
	t.Cleanup(h.seq.Close)
	return h
}

func events(ids ...int64) []*parley.Event {
	out := make([]*parley.Event, len(ids))
	for i, id := range ids {
		out[i] = parley.NewEvent(parley.Message{ID: id, Room: "lobby", Text: "broker"})
	}
	return out
}

// expect reads n delivered events and checks their IDs.
func (h *harness) expect(t *testing.T, want ...int64) []*parley.Event {
	t.Helper()
	got := make([]*parley.Event, 0, len(want))
	deadline := time.After(5 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-h.out:
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("delivered %v, want %v", idsOf(got), want)
		}
	}
	if !slices.Equal(idsOf(got), want) {
		t.Fatalf("delivered %v, want %v", idsOf(got), want)
	}
	return got
}

// expectNothing checks that nothing more is delivered once the sequencer
// has handled everything offered so far.
func (h *harness) expectNothing(t *testing.T) {
	t.Helper()
	reply := make(chan struct{})
	h.seq.barrier <- reply
	<-reply
	select {
	case ev := <-h.out:
		t.Fatalf("unexpected delivery of %d", ev.ID())
	default:
	}
}

func idsOf(evs []*parley.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID()
	}
	return out
}

func TestDeliversInIDOrder(t *testing.T) {
	h := start(t, Config{Start: 10, Grace: time.Hour})
	h.seq.Offer(events(13, 14))
	h.seq.Offer(events(12))
	h.seq.Offer(events(11))
	h.expect(t, 11, 12, 13, 14)
	if got := h.seq.Delivered(); got != 14 {
		t.Errorf("Delivered() = %d, want 14", got)
	}
}

func TestDropsDuplicatesAndOldEvents(t *testing.T) {
	h := start(t, Config{Start: 10, Grace: time.Hour})
	h.seq.Offer(events(9, 10, 11, 11, 12))
	h.seq.Offer(events(12, 11))
	h.expect(t, 11, 12)
	h.expectNothing(t)
}

func TestFillsALostEventFromTheLog(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Millisecond})
	h.log.add(1, 2, 3)
	h.seq.Offer(events(1, 3)) // 2 was lost by the broker
	got := h.expect(t, 1, 2, 3)
	if got[1].Message.Text != "stored" {
		t.Errorf("event 2 text = %q, want the stored copy", got[1].Message.Text)
	}
	if got[2].Message.Text != "broker" {
		t.Errorf("event 3 text = %q, want the broker's copy (it carries commit-time topics)", got[2].Message.Text)
	}
	h.expectNothing(t)
	if filled, fails := h.seq.Filled(); filled != 1 || fails != 0 {
		t.Errorf("Filled() = %d, %d; want 1 event read from the log (2), no failed read", filled, fails)
	}
	if lag := h.seq.Lag(); lag != 0 {
		t.Errorf("Lag() = %d once everything is delivered, want 0", lag)
	}
}

func TestSkipsIDsTheLogNoLongerHolds(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Millisecond})
	h.log.add(1, 3) // 2 was deleted before this node saw it
	h.seq.Offer(events(3))
	h.expect(t, 1, 3)
}

func TestCatchUpReadsWhatTheBrokerNeverBrought(t *testing.T) {
	h := start(t, Config{Start: 5, Grace: time.Hour})
	h.log.add(4, 5, 6, 7) // the broker was down while 6 and 7 committed
	h.seq.CatchUp()
	h.expect(t, 6, 7)
	h.seq.Offer(events(7, 8))
	h.expect(t, 8)
}

func TestPollingFindsEntriesWithoutAnyOffer(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour, Poll: time.Millisecond})
	h.log.add(1, 2)
	h.expect(t, 1, 2)
}

func TestReadsTheLogInPages(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour})
	want := make([]int64, 0, 3*fillPage+7)
	for id := int64(1); id <= 3*fillPage+7; id++ {
		h.log.add(id)
		want = append(want, id)
	}
	h.seq.CatchUp()
	h.expect(t, want...)
}

func TestStoreErrorLeavesTheGapOpen(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Millisecond})
	h.log.setErr(errors.New("store down"))
	h.seq.Offer(events(1, 3))
	h.expect(t, 1)
	<-h.log.reads      // a read that failed: the gap timer fired
	h.expectNothing(t) // 3 must wait for 2
	if lag := h.seq.Lag(); lag != 2 {
		t.Errorf("Lag() = %d while 3 waits for 2, want 2", lag)
	}
	if _, fails := h.seq.Filled(); fails == 0 {
		t.Error("Filled() counts no failed read of the log")
	}
	h.log.setErr(nil)
	h.log.add(1, 2, 3)
	h.seq.CatchUp()
	h.expect(t, 2, 3)
}

func TestSetPollSpeedsUpReads(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour})
	h.log.add(1)
	h.seq.SetPoll(time.Millisecond)
	h.expect(t, 1)
}

func TestOfferAfterCloseDoesNotBlock(t *testing.T) {
	h := start(t, Config{})
	h.seq.Close()
	h.seq.Offer(events(1))
	h.seq.Close() // a second Close is harmless
}

func TestGapWaitBacksOffAfterFailures(t *testing.T) {
	s := &Sequencer{cfg: Config{Grace: 10 * time.Millisecond, Poll: time.Second}}
	for failures, want := range []time.Duration{10, 20, 40, 80, 160, 320, 640, 1000, 1000} {
		s.failures = failures
		if got := s.gapWait(); got != want*time.Millisecond {
			t.Errorf("after %d failures gapWait() = %v, want %v", failures, got, want*time.Millisecond)
		}
	}
	s.failures = 1000
	if got := s.gapWait(); got != time.Second {
		t.Errorf("after 1000 failures gapWait() = %v, want the poll interval", got)
	}
}
