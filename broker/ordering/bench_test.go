package ordering

import (
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/shard"
)

// What the sequencer spends on a batch of a room this node does not
// serve: with Interest an announcement of its range; without, the
// batch's events (here one per batch, delivered to a hub that drops them).
// Both include the hand-off to the sequencer's goroutine.
func BenchmarkSequencerOtherRoomsBatch(b *testing.B) {
	other := []shard.ID{shard.Of("other")}
	for _, tc := range []struct {
		name  string
		offer func(s *Sequencer, id int64)
	}{
		{"interest/announcement", func(s *Sequencer, id int64) { s.Announce(Range{First: id, Last: id, Shards: other}) }},
		{"all/event", func(s *Sequencer, id int64) {
			s.Offer([]*parley.Event{parley.NewEvent(parley.Message{ID: id, Room: "other", Text: "x"})})
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := New(Config{Log: &memLog{}, Deliver: func([]*parley.Event) {}, Interest: tc.name[0] == 'i', Grace: time.Hour, Poll: time.Hour})
			defer s.Close()
			s.Follow(shard.Of("mine"))
			b.ReportAllocs()
			id := int64(0)
			for b.Loop() {
				id++
				tc.offer(s, id)
			}
			reply := make(chan struct{})
			s.barrier <- reply
			<-reply
			if s.Delivered() != id {
				b.Fatalf("accounted up to %d, want %d", s.Delivered(), id)
			}
		})
	}
}
