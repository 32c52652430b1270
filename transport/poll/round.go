package poll

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/session"
	"github.com/parley-chat/parley/stream"
)

// round works out one poll's answer: the events to send and the cursor
// that follows them. It returns an error only for a failed store read or
// a client that went away.
func (h *Handler) round(ctx context.Context, req request, hold *session.Hold) ([]*parley.Event, int64, error) {
	if !req.hasCursor {
		return h.start(ctx, req)
	}
	cursor := req.cursor
	if req.timeout == 0 {
		// Nothing to wait for: what the store has now is the answer.
		return h.after(ctx, req.rooms, cursor)
	}

	// Subscribe first, then read: see the package comment.
	q := hub.NewQueue(h.cfg.MaxBatch)
	sub := h.hub.Subscribe(q, req.rooms)
	defer sub.Cancel()
	if w := h.cfg.Watermark; w == nil || cursor < w.Last() {
		// Unless caught up (then the hub delivers whatever comes after
		// the cursor, see Watermark), read what the client missed.
		evs, next, err := h.after(ctx, req.rooms, cursor)
		if err != nil || len(evs) > 0 {
			return evs, next, err
		}
		cursor = next
	}

	timer := time.NewTimer(req.timeout)
	defer timer.Stop()
	h.waiting.add(1)
	defer h.waiting.add(-1)
	var held []*parley.Event
	done := hold.Done()
	for {
		select {
		case <-ctx.Done():
			return nil, cursor, ctx.Err()
		case <-done:
			// A newer poll of the session, the session ended, or the
			// server is shutting down (Close closes the registry). This
			// channel is the poll's own: a channel shared by every held
			// poll costs them all a lock on each wake-up.
			return nil, cursor, nil
		case <-timer.C:
			return nil, cursor, nil
		case <-q.Ready():
			if reason := q.Revoked(); reason != "" {
				// Logged out, session ended, key revoked or token
				// expired: the next poll would be refused too.
				return nil, cursor, parley.Errorf(parley.EUnauthorized, "%s: log in again", reason)
			}
			var overflowed bool
			held, overflowed = q.Take(held)
			if overflowed {
				h.cfg.Counters.Overflowed()
				// More arrived than one answer holds: all of it is in
				// the store.
				evs, next, err := h.after(ctx, req.rooms, cursor)
				if err != nil || len(evs) > 0 {
					return evs, next, err
				}
				cursor = next
				continue
			}
			evs := held[:0]
			for _, ev := range held {
				if ev.Signal() || ev.ID() > cursor { // older ones the client has
					evs = append(evs, ev)
				}
			}
			if len(evs) > 0 {
				return evs, lastID(evs, cursor), nil
			}
		}
	}
}

// start answers a poll without a cursor: the newest req.last messages and
// the last committed ID as the cursor to wait from.
func (h *Handler) start(ctx context.Context, req request) ([]*parley.Event, int64, error) {
	var last int64
	var err error
	if w := h.cfg.Watermark; w != nil {
		// Everything above the mark will be published after this: a
		// poll from here on misses nothing.
		last = w.Last()
	} else {
		// Any recent ID will do as a starting point, so concurrent
		// starts share one read.
		_, last, err = h.reads.do(ctx, lastIDKey, func(ctx context.Context) ([]*parley.Event, int64, error) {
			id, err := h.store.LastID(ctx)
			return nil, id, err
		})
	}
	if err != nil || req.last == 0 {
		return nil, last, err
	}
	recent, err := stream.Recent(ctx, h.store, req.rooms, req.last, last)
	if err != nil {
		return nil, 0, err
	}
	evs := make([]*parley.Event, len(recent))
	for i, m := range recent {
		evs[i] = parley.NewEvent(m)
	}
	return evs, last, nil
}

// lastIDKey is the coalescer key of LastID reads; room lists never start
// with a NUL.
const lastIDKey = "\x00last"

// after reads at most MaxBatch events after cursor from the store, in one
// read shared with the concurrent polls of the same rooms and cursor. The
// events are shared: they must not be modified.
func (h *Handler) after(ctx context.Context, rooms []string, cursor int64) (evs []*parley.Event, next int64, err error) {
	sorted := slices.Clone(rooms)
	slices.Sort(sorted)
	key := strconv.FormatInt(cursor, 10) + " " + strings.Join(sorted, ",")
	evs, mark, err := h.reads.do(ctx, key, func(ctx context.Context) ([]*parley.Event, int64, error) {
		var mark int64
		if w := h.cfg.Watermark; w != nil {
			mark = w.Last()
		}
		msgs, err := h.store.After(ctx, sorted, cursor, h.cfg.MaxBatch)
		if err != nil || len(msgs) == 0 {
			return nil, mark, err
		}
		evs := make([]*parley.Event, len(msgs))
		for i, m := range msgs {
			evs[i] = parley.NewEvent(m)
		}
		return evs, mark, nil
	})
	switch {
	case err != nil:
		return nil, cursor, err
	case len(evs) > 0:
		return evs, lastID(evs, cursor), nil
	default:
		// The rooms hold nothing after the cursor up to the mark read
		// before the store: every event at or below it was committed
		// before the read began. Every event above it is published
		// after the read began, so after the hub subscriptions of the
		// polls that share the read (a read in flight is never joined):
		// they may move their cursor to the mark, and the next poll
		// then finds itself caught up and skips the store.
		return nil, max(cursor, mark), nil
	}
}

// lastID is the cursor after evs: the last event's ID, or cursor.
func lastID(evs []*parley.Event, cursor int64) int64 {
	for _, ev := range evs {
		cursor = max(cursor, ev.ID()) // a signal's 0 leaves it
	}
	return cursor
}
