package sse

import (
	"net/http"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
)

// serveBuffered runs a stream in the handler goroutine: HTTP/2, TLS, or a
// ResponseWriter that cannot be hijacked.
func (s *Handler) serveBuffered(w http.ResponseWriter, r *http.Request, req request) {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	q := hub.NewQueue(s.cfg.QueueLen)
	sub := s.hub.Subscribe(q, req.rooms)
	defer sub.Cancel()

	cursor, recent, err := s.start(ctx, req)
	if err != nil {
		s.log.Error("starting event stream", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p := s.enter(req); p != nil { // after the cursor: the stream gets its own join
		defer p.Leave()
	}
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		_, err := w.Write(b)
		return err
	}
	if write(s.retryFrame) != nil {
		return
	}
	// Context and replay are encoded into one buffer, written a page at
	// a time.
	pages := &pageBuffer{counters: s.cfg.Counters, write: write}
	for i := range recent {
		_ = pages.add(&recent[i])
	}
	replay := func() error {
		var err error
		cursor, err = s.replay.Replay(ctx, req.rooms, cursor, pages.add, pages.flush)
		pages.out = nil // an idle stream keeps no buffer
		return err
	}
	if pages.flush() != nil {
		return
	}
	// Without a cursor the stream starts at the newest ID, read after
	// subscribing: there is nothing to replay (see serveRaw).
	if req.hasCursor && replay() != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}

	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	var events []*parley.Event
	wrote := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-heartbeat.C:
			if !wrote {
				if write(heartbeatFrame) != nil || rc.Flush() != nil {
					return
				}
			}
			wrote = false
		case <-q.Ready():
			if reason := q.Revoked(); reason != "" {
				_ = write(revokedFrame(reason))
				_ = rc.Flush()
				return
			}
			var overflowed bool
			events, overflowed = q.Take(events)
			if overflowed {
				s.cfg.Counters.Overflowed()
				// Fell behind: everything dropped is in the store.
				if replay() != nil {
					return
				}
				events = events[:0]
			}
			for _, ev := range events {
				if ev.Signal() {
					if write(ev.SSE()) != nil {
						return
					}
					continue
				}
				if ev.ID() <= cursor {
					continue // already sent by a replay
				}
				if write(ev.SSE()) != nil {
					return
				}
				s.cfg.Counters.Delivered(1)
				cursor = ev.ID()
			}
			clear(events)
			if rc.Flush() != nil {
				return
			}
			wrote = true
		}
	}
}
