package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/parley-chat/parley"
)

// DefaultRetentionInterval is how often the retention loop runs.
const DefaultRetentionInterval = 5 * time.Minute

// retentionLoop applies every room's retention on a timer. The store
// deletes in small transactions (see parley.RetentionStore), so appends
// go on while it works.
//
// Its goroutine owns nothing but its timer; stop and done are closed once
// each, by close and by the goroutine.
type retentionLoop struct {
	store parley.RetentionStore
	log   *slog.Logger
	stop  chan struct{}
	done  chan struct{}
}

// startRetention starts the loop, which first runs one interval after
// start. It returns nil (no loop) when interval is negative or the store
// keeps no retention.
func startRetention(store parley.Store, interval time.Duration, log *slog.Logger) *retentionLoop {
	rs, ok := store.(parley.RetentionStore)
	if !ok || interval < 0 {
		return nil
	}
	if interval == 0 {
		interval = DefaultRetentionInterval
	}
	l := &retentionLoop{store: rs, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go l.run(interval)
	return l
}

func (l *retentionLoop) run(interval time.Duration) {
	defer close(l.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel() // ends a pass in progress
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if _, err := applyRetention(ctx, l.store, time.Now(), l.log); err != nil && ctx.Err() == nil {
				l.log.Error("applying retention failed; retrying at the next interval", "err", err)
			}
		}
	}
}

// close stops the loop and waits for a pass in progress to end.
func (l *retentionLoop) close() {
	if l == nil {
		return
	}
	close(l.stop)
	<-l.done
}

// applyRetention applies the retention of every room that has one, as of
// now, and returns how many entries it deleted. A room that fails does not
// stop the others; the first error is returned.
func applyRetention(ctx context.Context, store parley.RetentionStore, now time.Time, log *slog.Logger) (int, error) {
	rooms, err := store.RetentionRooms(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	var first error
	for _, rr := range rooms {
		n, err := store.ApplyRetention(ctx, rr.Room, now)
		total += n
		if n > 0 {
			log.Info("retention deleted old messages", "room", rr.Room, "deleted", n, "days", rr.Retention.Days, "messages", rr.Retention.Messages)
		}
		if err != nil && parley.ErrorCode(err) != parley.ENotFound { // a room deleted meanwhile
			if first == nil {
				first = err
			}
			if ctx.Err() != nil {
				break
			}
		}
	}
	return total, first
}

// ApplyRetention runs one retention pass now, as of the time now, and
// returns how many entries it deleted. The loop does this every
// Config.RetentionInterval; tests and operators may call it at any time.
func (s *Server) ApplyRetention(ctx context.Context, now time.Time) (int, error) {
	rs, ok := s.store.(parley.RetentionStore)
	if !ok {
		return 0, parley.Errorf(parley.EUnavailable, "retention is not available with this message store")
	}
	return applyRetention(ctx, rs, now, s.log)
}
