package ordering

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/shard"
)

// head stands in for the store's last committed ID.
type head struct {
	mu    sync.Mutex
	id    int64
	err   error
	reads int
}

func (h *head) read(context.Context) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads++
	return h.id, h.err
}

func (h *head) set(id int64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.id, h.err = id, err
}

func (h *head) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reads
}

// noLogRead checks that the sequencer has not read the log.
func (h *harness) noLogRead(t *testing.T) {
	t.Helper()
	select {
	case <-h.log.reads:
		t.Error("the sequencer read the log")
	default:
	}
}

// Following nothing, a sequencer with Head accounts for every ID it sees
// at once, holds nothing and reads nothing from the store, even with a
// gap below what it saw.
func TestDetachedAccountsForEverythingAtOnce(t *testing.T) {
	hd := &head{}
	h := start(t, Config{Start: 0, Grace: time.Millisecond, Interest: true, Head: hd.read})
	if !h.seq.Detached() {
		t.Fatal("a sequencer with Head that follows nothing is not detached")
	}
	h.seq.Offer(roomEvents("mine", 5, 6)) // this node's commit, above a gap
	h.seq.OfferShard(Range{First: 9, Last: 9, Shards: []shard.ID{shard.Of("mine")}}, shard.Of("mine"), roomEvents("mine", 9))
	h.expectNothing(t)
	if got := h.seq.Delivered(); got != 9 {
		t.Errorf("Delivered() = %d, want 9: detached, every ID seen is accounted for", got)
	}
	if lag := h.seq.Lag(); lag != 0 {
		t.Errorf("Lag() = %d, want 0", lag)
	}
	h.seq.CatchUp()
	h.expectNothing(t)
	h.noLogRead(t)
	if hd.count() != 0 {
		t.Errorf("Head read %d times before any Follow, want 0", hd.count())
	}
}

// The Follow that ends a detached time starts from the store's last
// committed ID: what lies at or below it is left to the store, what lies
// above it is delivered in order, without duplicates.
func TestDetachedFollowStartsAtTheStoreHead(t *testing.T) {
	hd := &head{id: 20}
	h := start(t, Config{Start: 3, Grace: time.Hour, Interest: true, Head: hd.read})
	mine, other := shard.Of("mine"), shard.Of("other")
	h.seq.Follow(mine)
	if h.seq.Detached() {
		t.Fatal("still detached after Follow")
	}
	if got := h.seq.Delivered(); got != 20 {
		t.Fatalf("Delivered() = %d after Follow, want the store's head 20", got)
	}
	// A part of a batch at or below the head (in flight at the Follow)
	// is in the store already: dropped.
	h.seq.OfferShard(Range{First: 19, Last: 20, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 19, 20))
	// Above it, the batches of two publishers arrive out of order.
	h.seq.OfferShard(Range{First: 23, Last: 24, Shards: []shard.ID{mine, other}}, mine, roomEvents("mine", 24))
	h.seq.Announce(Range{First: 22, Last: 22, Shards: []shard.ID{other}})
	h.expectNothing(t) // 21 is not accounted for
	h.seq.OfferShard(Range{First: 21, Last: 21, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 21))
	h.expect(t, 21, 24)
	h.seq.OfferShard(Range{First: 21, Last: 21, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 21)) // a duplicate
	h.expectNothing(t)
	if got, reads := h.seq.Delivered(), hd.count(); got != 24 || reads != 1 {
		t.Errorf("Delivered() = %d, Head read %d times; want 24 and 1", got, reads)
	}
	h.noLogRead(t)
}

// A second shard followed while attached follows from the last accounted
// ID, without reading Head again; unfollowing the last shard detaches
// again, and the next Follow reads Head anew.
func TestDetachesWhenTheLastShardIsUnfollowed(t *testing.T) {
	hd := &head{id: 10}
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true, Head: hd.read})
	a, b := shard.Of("a"), shard.Of("b")
	h.seq.Follow(a)
	h.seq.Announce(Range{First: 11, Last: 11, Shards: []shard.ID{shard.Of("c")}})
	h.seq.Follow(b)
	if got, reads := h.seq.Delivered(), hd.count(); got != 11 || reads != 1 {
		t.Fatalf("Delivered() = %d, Head read %d times; want 11 and 1", got, reads)
	}
	h.seq.Announce(Range{First: 13, Last: 13, Shards: []shard.ID{b}}) // waits behind 12 and its part
	h.seq.Unfollow(a)
	h.seq.Unfollow(b)
	if !h.seq.Detached() {
		t.Fatal("not detached once nothing is followed")
	}
	if got := h.seq.Delivered(); got != 13 {
		t.Errorf("Delivered() = %d once detached, want 13 (every ID seen)", got)
	}
	hd.set(40, nil)
	h.seq.Follow(b)
	if got, reads := h.seq.Delivered(), hd.count(); got != 40 || reads != 2 {
		t.Errorf("Delivered() = %d, Head read %d times; want 40 and 2", got, reads)
	}
	h.seq.OfferShard(Range{First: 41, Last: 41, Shards: []shard.ID{b}}, b, roomEvents("b", 41))
	h.expect(t, 41)
}

// If Head cannot be read, the sequencer follows from its last accounted
// ID: the gap up to the next batch is read from the store, late but
// complete.
func TestDetachedFollowFillsFromTheStoreWithoutHead(t *testing.T) {
	hd := &head{err: errors.New("store down")}
	h := start(t, Config{Start: 0, Grace: time.Millisecond, Interest: true, Head: hd.read})
	mine := shard.Of("mine")
	h.log.mu.Lock()
	h.log.msgs = []parley.Message{{ID: 1, Room: "other"}, {ID: 2, Room: "mine", Text: "stored"}, {ID: 3, Room: "mine"}}
	h.log.mu.Unlock()
	h.seq.Follow(mine)
	if _, fails := h.seq.Filled(); fails != 1 {
		t.Errorf("Filled() counts %d failed reads, want 1 (Head)", fails)
	}
	h.seq.OfferShard(Range{First: 3, Last: 3, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 3))
	got := h.expect(t, 2, 3)
	if got[0].Message.Text != "stored" || got[1].Message.Text != "broker" {
		t.Errorf("texts %q, %q; want the stored 2 and the broker's 3", got[0].Message.Text, got[1].Message.Text)
	}
}

// Without Head a sequencer routed by interest never detaches.
func TestWithoutHeadNeverDetached(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true})
	if h.seq.Detached() || h.seq.Detachable() {
		t.Fatal("detached without Head")
	}
	h.seq.Announce(Range{First: 2, Last: 2, Shards: nil})
	h.expectNothing(t)
	if got := h.seq.Delivered(); got != 0 {
		t.Errorf("Delivered() = %d, want 0: 1 is not accounted for", got)
	}
}
