package ordering

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/shard"
)

func roomEvents(room string, ids ...int64) []*parley.Event {
	out := make([]*parley.Event, len(ids))
	for i, id := range ids {
		out[i] = parley.NewEvent(parley.Message{ID: id, Room: room, Text: "broker"})
	}
	return out
}

// A node that follows one room delivers that room in ID order and
// accounts for the other rooms' ranges from their announcements alone.
func TestInterestDeliversOnlyFollowedShards(t *testing.T) {
	var advanced atomic.Int64
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true, Advanced: func(last int64) { advanced.Store(last) }})
	mine, other := shard.Of("mine"), shard.Of("other")
	h.seq.Follow(mine)

	h.seq.Announce(Range{First: 1, Last: 3, Shards: []shard.ID{other}}, Range{First: 4, Last: 5, Shards: []shard.ID{mine, other}})
	h.seq.Announce(Range{First: 6, Last: 9, Shards: []shard.ID{other}})
	h.expectNothing(t) // 4-5 wait for the part of "mine"
	h.seq.OfferShard(Range{First: 4, Last: 5, Shards: []shard.ID{mine, other}}, mine, roomEvents("mine", 5))
	h.expect(t, 5)
	h.expectNothing(t)
	if got := h.seq.Delivered(); got != 9 {
		t.Errorf("Delivered() = %d, want 9 (the other room's ranges are accounted for)", got)
	}
	if got := advanced.Load(); got != 9 {
		t.Errorf("Advanced saw %d, want 9", got)
	}
	if filled, _ := h.seq.Filled(); filled != 0 {
		t.Errorf("read %d events from the log, want none: nothing was lost", filled)
	}
}

// A part that NATS lost is read from the log after the grace, and only
// the followed room's entries are delivered.
func TestInterestFillsALostPartFromTheLog(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Millisecond, Interest: true})
	mine := shard.Of("mine")
	h.seq.Follow(mine)
	h.log.mu.Lock()
	h.log.msgs = []parley.Message{{ID: 1, Room: "other"}, {ID: 2, Room: "mine", Text: "stored"}, {ID: 3, Room: "other"}}
	h.log.mu.Unlock()
	h.seq.Announce(Range{First: 1, Last: 3, Shards: []shard.ID{shard.Of("other"), mine}})
	got := h.expect(t, 2)
	if got[0].Message.Text != "stored" {
		t.Errorf("event 2 text = %q, want the stored copy", got[0].Message.Text)
	}
	// A part carries its batch's shards: it needs no announcement.
	h.seq.OfferShard(Range{First: 4, Last: 4, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 4))
	h.expect(t, 4)
	h.expectNothing(t)
}

// A shard followed while a range that touched it waits behind a gap is
// not skipped.
func TestInterestFollowMidStreamMissesNothing(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true})
	late := shard.Of("late")
	h.log.mu.Lock()
	h.log.msgs = []parley.Message{{ID: 1, Room: "other"}, {ID: 2, Room: "late"}}
	h.log.mu.Unlock()
	h.seq.Announce(Range{First: 2, Last: 2, Shards: []shard.ID{late}}) // waits behind 1, not followed yet
	h.seq.Follow(late)
	h.seq.Announce(Range{First: 1, Last: 1, Shards: []shard.ID{shard.Of("other")}})
	h.seq.OfferShard(Range{First: 2, Last: 2, Shards: []shard.ID{late}}, late, roomEvents("late", 2))
	h.expect(t, 2)
	h.expectNothing(t)
}

// With nothing announcing every batch, the last accounted ID of a node
// whose rooms are quiet lags the store. Following a new shard reads up to
// the store's head first: that shard's events committed meanwhile reach
// the hub before Follow returns, and Delivered (the poll watermark) is
// the head.
func TestInterestFollowReadsUpToTheHead(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true})
	h.seq.Follow(shard.Of("quiet"))
	h.log.mu.Lock()
	h.log.msgs = []parley.Message{{ID: 1, Room: "other"}, {ID: 2, Room: "late", Text: "stored"}, {ID: 3, Room: "other"}}
	h.log.mu.Unlock()
	h.seq.Follow(shard.Of("late"))
	if got := h.seq.Delivered(); got != 3 {
		t.Errorf("Delivered() = %d when Follow returned, want 3 (the store's head)", got)
	}
	h.expect(t, 2)
	select {
	case <-h.log.reads:
	default:
	}
	h.seq.Follow(shard.Of("late")) // counted, not new: no read
	select {
	case <-h.log.reads:
		t.Error("following a shard followed already read the store")
	default:
	}
	h.expectNothing(t)
}

// This node's own commits are complete ranges: delivered if followed,
// accounted for either way.
func TestInterestOwnCommitsAreComplete(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true})
	h.seq.Follow(shard.Of("mine"))
	evs := append(roomEvents("other", 1), roomEvents("mine", 2)...)
	h.seq.Offer(evs)
	h.expect(t, 2)
	// A direct message reaches a followed user topic.
	h.seq.Unfollow(shard.Of("mine"))
	h.seq.Follow(shard.Of(parley.UserTopic("ada")))
	dm := parley.NewEvent(parley.Message{ID: 3, Room: "@ada,bob"})
	dm.Also = []string{parley.UserTopic("ada"), parley.UserTopic("bob")}
	h.seq.Offer(append([]*parley.Event{dm}, roomEvents("mine", 4)...))
	h.expect(t, 3)
	h.expectNothing(t)
	if got := h.seq.Delivered(); got != 4 {
		t.Errorf("Delivered() = %d, want 4", got)
	}
}

// A part carries the store's ring: the batches committed just before it
// account for other rooms' IDs with no announcement, a recent batch that
// touched a followed shard waits for its part, and one whose shards the
// ring did not record waits for its announcement.
func TestInterestRecentBatchesStandForAnnouncements(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Hour, Interest: true})
	mine, other := shard.Of("mine"), shard.Of("other")
	h.seq.Follow(mine)

	recent := []Range{
		{First: 1, Last: 3, Shards: []shard.ID{other}},
		{First: 4, Last: 4, Shards: []shard.ID{mine}},
		{First: 5, Last: 6, Shards: []shard.ID{other, shard.Of("third")}},
	}
	h.seq.OfferShard(Range{First: 7, Last: 7, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 7), recent...)
	h.expectNothing(t) // 4 touched "mine": its part has not come
	if got := h.seq.Delivered(); got != 3 {
		t.Fatalf("Delivered() = %d, want 3: the ring accounts for 1-3", got)
	}
	h.seq.OfferShard(Range{First: 4, Last: 4, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 4))
	h.expect(t, 4, 7)

	// Batch 8's shards went unrecorded; 9 is ours.
	h.seq.OfferShard(Range{First: 9, Last: 9, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 9),
		Range{First: 8, Last: 8, Unknown: true})
	h.expectNothing(t)
	if got := h.seq.Delivered(); got != 7 {
		t.Fatalf("Delivered() = %d, want 7: batch 8's shards are unknown", got)
	}
	h.seq.Announce(Range{First: 8, Last: 8, Shards: []shard.ID{other}})
	h.expect(t, 9)
	if filled, _ := h.seq.Filled(); filled != 0 {
		t.Errorf("read %d events from the log, want none", filled)
	}
}

// IDs older than the ring reaches are read from the log after the grace:
// the ring is a shortcut, never the only source.
func TestInterestBelowTheRingReadsTheLog(t *testing.T) {
	h := start(t, Config{Start: 0, Grace: time.Millisecond, Interest: true})
	mine := shard.Of("mine")
	h.seq.Follow(mine)
	h.log.mu.Lock()
	h.log.msgs = []parley.Message{{ID: 1, Room: "other"}, {ID: 2, Room: "mine", Text: "stored"}, {ID: 3, Room: "other"}, {ID: 4, Room: "other"}, {ID: 5, Room: "mine"}}
	h.log.mu.Unlock()
	h.seq.OfferShard(Range{First: 5, Last: 5, Shards: []shard.ID{mine}}, mine, roomEvents("mine", 5),
		Range{First: 4, Last: 4, Shards: []shard.ID{shard.Of("other")}})
	got := h.expect(t, 2, 5)
	if got[0].Message.Text != "stored" || got[1].Message.Text != "broker" {
		t.Errorf("texts %q, %q: want the stored copy of 2 and the broker's of 5", got[0].Message.Text, got[1].Message.Text)
	}
}
