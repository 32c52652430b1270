package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/postgres"
)

// batchOf returns n messages to lobby.
func batchOf(n int) []*parley.Message {
	msgs := make([]*parley.Message, n)
	for i := range msgs {
		msgs[i] = &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: fmt.Sprint("m", i)}
	}
	return msgs
}

// checkTiles fails unless ring's batches follow each other with no hole.
func checkTiles(t *testing.T, ring []parley.Batch) {
	t.Helper()
	for i := 1; i < len(ring); i++ {
		if ring[i].First != ring[i-1].Last+1 {
			t.Fatalf("ring has a hole between %+v and %+v: %+v", ring[i-1], ring[i], ring)
		}
	}
}

// Every commit, from any node, enters the ring under the counter's lock:
// the ring a batch gets back is exactly the batches committed before it,
// with their keys, ending with its own.
func TestBatchRingHoldsTheLastBatchesOfEveryNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dsn := tempDB(t)
	nodes := []*postgres.Store{open(t, dsn), open(t, dsn)}

	const (
		writers = 6
		each    = 25
	)
	var (
		mu      sync.Mutex
		batches = make(map[int64]parley.Batch) // by First, as committed
		rings   [][]parley.Batch
	)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			node := nodes[w%len(nodes)]
			for i := range each {
				msgs := batchOf(1 + (w+i)%3)
				var keys []uint16
				switch i % 4 {
				case 0: // none: a batch of a topic nothing routes
				case 1:
					keys = []uint16{uint16(w), uint16(100 + i)}
				case 2:
					keys = []uint16{1, 2, 3, 4, 5, 6} // more than BatchKeysMax
				case 3:
					keys = []uint16{uint16(w)}
				}
				var ring []parley.Batch
				var err error
				if i%5 == 4 {
					err = node.Append(ctx, msgs) // plain: keys unknown
					keys = nil
				} else {
					ring, err = node.AppendRing(ctx, msgs, keys)
				}
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
				b := parley.Batch{First: msgs[0].ID, Last: msgs[len(msgs)-1].ID}
				if len(keys) <= parley.BatchKeysMax && (i%5 != 4) {
					b.Keys = keys
					if b.Keys == nil {
						b.Keys = []uint16{}
					}
				}
				mu.Lock()
				batches[b.First] = b
				if ring != nil {
					rings = append(rings, ring)
					if got := ring[len(ring)-1]; got.First != b.First || got.Last != b.Last {
						t.Errorf("AppendRing's last entry %+v is not its own batch %d..%d", got, b.First, b.Last)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	full := 0
	for _, ring := range rings {
		checkTiles(t, ring)
		if len(ring) > 32 {
			t.Fatalf("ring of %d batches, want at most 32", len(ring))
		}
		if len(ring) == 32 {
			full++
		}
		for _, got := range ring {
			want, ok := batches[got.First]
			if !ok || want.Last != got.Last {
				t.Fatalf("ring entry %+v is no committed batch (committed: %+v)", got, want)
			}
			switch {
			case want.Keys == nil && got.Keys != nil:
				t.Fatalf("ring entry %+v has keys; the batch recorded none (plain Append or too many)", got)
			case want.Keys != nil && !slices.Equal(got.Keys, want.Keys):
				t.Fatalf("ring entry %+v, want keys %v", got, want.Keys)
			}
		}
		// The entries are the batches committed just before: none missing.
		if first := ring[0].First; first > 1 {
			if _, ok := batches[first]; !ok {
				t.Fatalf("ring starts at %d, which no batch started at", first)
			}
		}
	}
	if full == 0 {
		t.Errorf("no ring reached 32 batches over %d commits", writers*each)
	}
}

// A batch that fails leaves the ring as it was, and a counter moved by
// other means (a transfer) shows as a hole: the ring starts after it.
func TestBatchRingSkipsFailuresAndHoles(t *testing.T) {
	ctx := t.Context()
	dsn := tempDB(t)
	s := open(t, dsn)
	if _, err := s.AppendRing(ctx, batchOf(2), []uint16{7}); err != nil {
		t.Fatal(err)
	}
	bad := batchOf(1)
	bad[0].Room = "nowhere"
	if _, err := s.AppendRing(ctx, bad, []uint16{8}); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("append to a missing room: %v, want ENotFound", err)
	}
	ring, err := s.AppendRing(ctx, batchOf(1), []uint16{9})
	if err != nil {
		t.Fatal(err)
	}
	want := []parley.Batch{{First: 1, Last: 2, Keys: []uint16{7}}, {First: 3, Last: 3, Keys: []uint16{9}}}
	if fmt.Sprint(ring) != fmt.Sprint(want) {
		t.Fatalf("ring = %+v, want %+v", ring, want)
	}

	if _, err := rawConn(t, dsn).Exec(ctx, `UPDATE counters SET value = value + 100 WHERE name = 'message_id'`); err != nil {
		t.Fatal(err)
	}
	ring, err = s.AppendRing(ctx, batchOf(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	want = []parley.Batch{{First: 104, Last: 104, Keys: []uint16{}}}
	if fmt.Sprint(ring) != fmt.Sprint(want) {
		t.Fatalf("after the counter moved, ring = %+v, want %+v", ring, want)
	}
}

var _ parley.BatchRing = (*postgres.Store)(nil)
