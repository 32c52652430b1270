package poll

import (
	"context"
	"sync/atomic"

	"github.com/parley-chat/parley"
)

// Watermark is a parley.Broker decorator that remembers the highest event
// ID handed to the hub. It lets a poll skip its catch-up read of the store
// in the common case, where the client's cursor is the last event it was
// sent:
//
// Watermark raises its mark before passing events on, so an event that
// was published to the hub before a poll subscribed has an ID at or below
// the mark read after subscribing. If the poll's cursor is at or above
// that mark, every event after the cursor is published after the
// subscription and the hub delivers it: the store has nothing the poll
// would not get anyway.
//
// That holds only if every event reaches the hub through this Watermark,
// and the mark starts at the store's LastID (events committed before the
// node started are never published on it). A broker that feeds the hub by
// another path (events from other nodes of a cluster) must raise the mark
// too, or not be used with a Watermark at all.
type Watermark struct {
	next parley.Broker
	mark atomic.Int64
}

var _ parley.Broker = (*Watermark)(nil)

// NewWatermark wraps next; start is the store's LastID at startup.
func NewWatermark(next parley.Broker, start int64) *Watermark {
	w := &Watermark{next: next}
	w.mark.Store(start)
	return w
}

// Publish raises the mark to the last of events, then publishes them.
func (w *Watermark) Publish(ctx context.Context, events []*parley.Event) error {
	for _, ev := range events {
		w.Raise(ev.ID())
	}
	return w.next.Publish(ctx, events)
}

// Raise moves the mark up to id (never down).
func (w *Watermark) Raise(id int64) {
	for {
		cur := w.mark.Load()
		if id <= cur || w.mark.CompareAndSwap(cur, id) {
			return
		}
	}
}

// Last returns the mark: no event above it has reached the hub.
func (w *Watermark) Last() int64 { return w.mark.Load() }
