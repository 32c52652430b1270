package chat_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/mem"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/store/sqlite"
)

// countingStore records the size of every Append batch and fails any
// batch holding the text "poison".
type countingStore struct {
	parley.Store
	mu      sync.Mutex
	batches []int
}

func (s *countingStore) Append(ctx context.Context, msgs []*parley.Message) error {
	s.mu.Lock()
	s.batches = append(s.batches, len(msgs))
	s.mu.Unlock()
	for _, m := range msgs {
		if m.Text == "poison" {
			return parley.Errorf(parley.EInvalid, "poisoned")
		}
	}
	return s.Store.Append(ctx, msgs)
}

func newService(t *testing.T) (*chat.Service, *countingStore, *hub.Hub) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	h := hub.New()
	svc := chat.New(cs, mem.New(h), chat.Config{})
	t.Cleanup(func() {
		svc.Close()
		h.Close()
		st.Close()
	})
	return svc, cs, h
}

type collector struct{ ch chan *parley.Event }

func (c collector) Deliver(ev *parley.Event) { c.ch <- ev }

func TestGroupCommitAcknowledgesAfterCommitInOrder(t *testing.T) {
	svc, cs, h := newService(t)
	ctx := context.Background()
	const posters, each = 16, 40
	sub := collector{make(chan *parley.Event, posters*each)}
	h.Subscribe(sub, []string{"lobby"})

	var wg sync.WaitGroup
	acked := make(chan parley.Message, posters*each)
	for p := range posters {
		wg.Go(func() {
			for i := range each {
				m, err := svc.PostAs(ctx, guest("p"+strconv.Itoa(p)), "client"+strconv.Itoa(p), "lobby", strconv.Itoa(i))
				if err != nil {
					t.Errorf("post: %v", err)
					return
				}
				// Acknowledged means committed: the store must have it.
				got, err := cs.After(ctx, []string{"lobby"}, m.ID-1, 1)
				if err != nil || len(got) != 1 || got[0].ID != m.ID || got[0].Text != m.Text {
					t.Errorf("acknowledged message %d not in the store: %v %v", m.ID, got, err)
				}
				acked <- m
			}
		})
	}
	wg.Wait()
	close(acked)

	var last int64
	for range posters * each {
		ev := <-sub.ch
		if ev.ID() <= last {
			t.Fatalf("published out of order: %d after %d", ev.ID(), last)
		}
		last = ev.ID()
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	biggest := 0
	for _, n := range cs.batches {
		biggest = max(biggest, n)
	}
	if biggest < 2 {
		t.Errorf("16 concurrent posters never shared a commit (batches %v): group commit is not working", cs.batches)
	}
}

func TestBadMessageInBatchFailsAlone(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			text := "fine"
			if i == 7 {
				text = "poison"
			}
			_, errs[i] = svc.PostAs(ctx, guest("ada"), "c", "lobby", text)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Errorf("post %d: err = %v", i, err)
		}
	}
}

func TestPostRefusesUnknownRoomAndShutdown(t *testing.T) {
	svc, cs, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.PostAs(ctx, guest("ada"), "c", "nope", "hi"); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("unknown room: %v", err)
	}
	svc.Close()
	if _, err := svc.PostAs(ctx, guest("ada"), "c", "lobby", "hi"); parley.ErrorCode(err) != parley.EUnavailable {
		t.Errorf("after Close: %v, want unavailable", err)
	}
	if n, _ := cs.LastID(ctx); n != 0 {
		t.Errorf("refused posts stored something: last id %d", n)
	}
}

func guest(name string) parley.Identity { return parley.Identity{Name: name, Kind: parley.Guest} }
