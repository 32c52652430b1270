package stream_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/store/sqlite"
	"github.com/parley-chat/parley/stream"
)

// gatedStore counts the After calls in progress, and holds the first
// `hold` of them until release is closed.
type gatedStore struct {
	parley.Store
	inFlight, most atomic.Int64
	hold           atomic.Int64
	entered        chan struct{}
	release        chan struct{}
}

func (s *gatedStore) After(ctx context.Context, rooms []string, after int64, limit int) ([]parley.Message, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
	}
	if s.hold.Add(-1) >= 0 {
		s.entered <- struct{}{}
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.After(ctx, rooms, after, limit)
}

// newLog returns a store holding n messages over rooms lobby and b, and
// their IDs.
func newLog(t *testing.T, n int) (*sqlite.Store, []int64) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateRoom(ctx, &parley.Room{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	var batch []*parley.Message
	for i := range n {
		room := "lobby"
		if i%3 == 0 {
			room = "b"
		}
		batch = append(batch, &parley.Message{Room: room, Kind: parley.KindMessage, From: "ada", Text: "x"})
	}
	if err := st.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, m := range batch {
		ids[i] = m.ID
	}
	return st, ids
}

// Concurrent replays under a bound of two slots: never more than two
// pages read at once, and each replay gets every message once, in order.
func TestReplayerBoundsPagesInFlight(t *testing.T) {
	st, want := newLog(t, 1234) // three pages
	gs := &gatedStore{Store: st, entered: make(chan struct{}, 2), release: make(chan struct{})}
	gs.hold.Store(2) // the first two page reads wait until both are in
	r := stream.NewReplayer(gs, 2)
	if r.Slots() != 2 {
		t.Fatalf("Slots() = %d, want 2", r.Slots())
	}
	const replays = 12
	got := make([][]int64, replays)
	errs := make(chan error, replays)
	var wg sync.WaitGroup
	for i := range replays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pending []int64
			add := func(m *parley.Message) error {
				pending = append(pending, m.ID)
				return nil
			}
			flush := func() error {
				got[i] = append(got[i], pending...)
				pending = pending[:0]
				return nil
			}
			last, err := r.Replay(context.Background(), []string{"lobby", "b"}, 0, add, flush)
			if err == nil && last != want[len(want)-1] {
				err = errors.New("Replay returned the wrong last ID")
			}
			errs <- err
		}()
	}
	<-gs.entered
	<-gs.entered
	close(gs.release) // both slots were taken at once; now let everyone through
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range replays {
		if !slices.Equal(got[i], want) {
			t.Fatalf("replay %d got %d messages, not the %d of the log in order", i, len(got[i]), len(want))
		}
	}
	if m := gs.most.Load(); m != 2 {
		t.Fatalf("at most %d page reads at once, want 2 (the slots)", m)
	}
}

// While every slot is taken, a catch-up waiting for one can still be
// cancelled, and live delivery (the hub) does not wait: it never touches
// the slots.
func TestLiveDeliveryDoesNotWaitForReplaySlots(t *testing.T) {
	st, ids := newLog(t, 10)
	gs := &gatedStore{Store: st, entered: make(chan struct{}, 1), release: make(chan struct{})}
	gs.hold.Store(1)
	r := stream.NewReplayer(gs, 1)
	nop := func(*parley.Message) error { return nil }
	first := make(chan error, 1)
	go func() {
		_, err := r.Replay(context.Background(), []string{"lobby"}, 0, nop, func() error { return nil })
		first <- err
	}()
	<-gs.entered // the only slot is held

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() {
		_, _, err := r.Page(ctx, []string{"lobby"}, 0, 0, nop)
		waiting <- err
	}()

	h := hub.New()
	defer h.Close()
	q := hub.NewQueue(4)
	sub := h.Subscribe(q, []string{"lobby"})
	defer sub.Cancel()
	h.Publish(parley.NewEvent(parley.Message{ID: ids[len(ids)-1] + 1, Room: "lobby", Kind: parley.KindMessage}))
	<-q.Ready()
	if evs, _ := q.Take(nil); len(evs) != 1 {
		t.Fatalf("live subscriber got %d events, want 1", len(evs))
	}

	cancel()
	if err := <-waiting; !errors.Is(err, context.Canceled) {
		t.Fatalf("a catch-up waiting for a slot ended with %v, want context.Canceled", err)
	}
	close(gs.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

// NewReplayer's 0 means the default, a negative count no bound.
func TestReplayerSlots(t *testing.T) {
	if got := stream.NewReplayer(nil, 0).Slots(); got != stream.DefaultSlots() || got < 1 {
		t.Errorf("default slots %d, want DefaultSlots() = %d (at least 1)", got, stream.DefaultSlots())
	}
	if got := stream.NewReplayer(nil, -1).Slots(); got != 0 {
		t.Errorf("unbounded replayer has %d slots, want 0", got)
	}
}

// LimitRate bounds the messages all replays read a second together: two
// replays of 2,000 messages at 10,000/s take about 0.35 s (the first page
// is the burst), and each still gets every message once, in order.
func TestReplayerLimitRate(t *testing.T) {
	st, want := newLog(t, 2000)
	r := stream.NewReplayer(st, -1)
	r.LimitRate(10_000, nil)
	start := time.Now()
	var wg sync.WaitGroup
	got := make([][]int64, 2)
	for i := range got {
		wg.Go(func() {
			add := func(m *parley.Message) error { got[i] = append(got[i], m.ID); return nil }
			if _, err := r.Replay(context.Background(), []string{"lobby", "b"}, 0, add, func() error { return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// 2 × 5 pages (the last reads nothing) = 4,500 messages' worth after
	// the burst of 500: 0.45 s at 10,000/s.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("two replays of 2,000 took %v at 10,000 messages/s, want at least 0.4 s", d)
	}
	for i := range got {
		if !slices.Equal(got[i], want) {
			t.Fatalf("replay %d got %d messages, not the %d of the log in order", i, len(got[i]), len(want))
		}
	}

	// The rate holds only while live says so.
	var live atomic.Bool
	r.LimitRate(1, live.Load)
	start = time.Now()
	for range 3 {
		if _, err := r.Replay(context.Background(), []string{"lobby", "b"}, 0, func(*parley.Message) error { return nil }, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("three replays at 1 message/s with nothing live took %v: the rate held", d)
	}
	live.Store(true)

	// A replay that would wait for the rate longer than its context
	// lasts ends at once.
	nop := func(*parley.Message) error { return nil }
	if _, _, err := r.Page(context.Background(), []string{"lobby"}, 0, 0, nop); err != nil {
		t.Fatal(err) // the burst
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start = time.Now()
	if _, _, err := r.Page(ctx, []string{"lobby"}, 0, 0, nop); err == nil {
		t.Error("a page that must wait 500 s for the rate, with a minute to live, returned no error")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("it took %v to give up", d)
	}
}
