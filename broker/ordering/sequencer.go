// Package ordering hands a cluster node's hub the events of every node in
// ID order, with no gaps and no duplicates.
//
// IDs increase in commit order across the cluster (the store serialises
// them), and every event is committed before any node publishes it. The
// broker between nodes promises less: events from different nodes arrive
// in any order, core NATS may drop one, and nothing arrives while a node is
// cut off from it. So the store is the truth and the broker is the fast
// path: a Sequencer delivers an event as soon as every lower ID has been
// delivered, and when a gap stays open for longer than a short grace, or
// the broker has been quiet, it reads the missing entries from the store.
// Whatever the store holds between two delivered IDs has been delivered,
// and an ID the store no longer holds (deleted by retention in the
// meantime) is skipped.
package ordering

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
)

// Defaults for Config.
const (
	DefaultGrace = 10 * time.Millisecond
	DefaultPoll  = time.Second
	fillPage     = 500
)

// Config configures a Sequencer.
type Config struct {
	// Log is read to fill gaps and to catch up.
	Log parley.LogReader
	// Deliver receives events in ID order, from one goroutine. It must
	// not block for long: the hub's Publish is the intended target.
	Deliver func([]*parley.Event)
	// Start is the last ID already accounted for: the store's LastID when
	// the node starts (streams replay older entries from the store).
	Start int64
	// Grace is how long a gap may wait for the broker to fill it before
	// the store is read; default DefaultGrace.
	Grace time.Duration
	// Poll is how often the store is read for entries the broker did not
	// bring at all (a lost message, a broker outage); default DefaultPoll.
	Poll   time.Duration
	Logger *slog.Logger
}

// Sequencer orders the events offered to it. Its methods may be called
// from any goroutine.
type Sequencer struct {
	cfg       Config
	in        chan []*parley.Event
	kick      chan struct{}
	poll      chan time.Duration
	barrier   chan chan struct{} // tests: wait until earlier offers are handled
	done      chan struct{}
	stopped   chan struct{}
	delivered atomic.Int64
	highest   atomic.Int64  // highest ID offered or read
	filled    atomic.Uint64 // events read from the store, not brought by the broker
	fillFails atomic.Uint64 // failed reads of the store

	// Owned by run.
	last     int64
	pending  map[int64]*parley.Event
	failures int // consecutive failed reads of the log
}

// New starts a sequencer.
func New(cfg Config) *Sequencer {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sequencer{
		cfg:     cfg,
		in:      make(chan []*parley.Event, 1024),
		kick:    make(chan struct{}, 1),
		poll:    make(chan time.Duration, 1),
		barrier: make(chan chan struct{}),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		last:    cfg.Start,
		pending: make(map[int64]*parley.Event),
	}
	s.delivered.Store(cfg.Start)
	s.highest.Store(cfg.Start)
	go s.run()
	return s
}

// Offer hands the sequencer events from the broker or from this node's own
// commits, in any order; duplicates and events already delivered are
// dropped. It blocks only while the sequencer is a full queue behind.
func (s *Sequencer) Offer(events []*parley.Event) {
	if len(events) == 0 {
		return
	}
	select {
	case s.in <- events:
	case <-s.done:
	}
}

// CatchUp asks for an immediate read of the store, for instance when the
// broker connection returns after an outage.
func (s *Sequencer) CatchUp() {
	select {
	case s.kick <- struct{}{}:
	default: // one is already pending
	}
}

// SetPoll changes how often the store is read when nothing arrives: often
// while the broker is down, rarely while it is up.
func (s *Sequencer) SetPoll(d time.Duration) {
	if d <= 0 {
		d = s.cfg.Poll
	}
	select {
	case <-s.poll: // replace a change not yet applied
	default:
	}
	select {
	case s.poll <- d:
	case <-s.done:
	}
}

// Delivered returns the highest ID delivered so far.
func (s *Sequencer) Delivered() int64 { return s.delivered.Load() }

// Lag returns how many IDs the sequencer knows of (offered by the broker
// or this node) beyond the last one it delivered: events waiting for a
// gap below them to fill.
func (s *Sequencer) Lag() int64 { return max(0, s.highest.Load()-s.delivered.Load()) }

// Filled returns how many events were read from the store because the
// broker did not bring them in time (gap fills), and how many reads of
// the store failed.
func (s *Sequencer) Filled() (events, failedReads uint64) {
	return s.filled.Load(), s.fillFails.Load()
}

// Close stops the sequencer; events offered later are dropped.
func (s *Sequencer) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	<-s.stopped
}

func (s *Sequencer) run() {
	defer close(s.stopped)
	ticker := time.NewTicker(s.cfg.Poll)
	defer ticker.Stop()
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	gapArmed := false
	for {
		select {
		case events := <-s.in:
			s.accept(events)
		case <-s.kick:
			s.fill()
		case <-gap.C:
			gapArmed = false
			s.fill()
		case <-ticker.C:
			s.fill()
		case d := <-s.poll:
			ticker.Reset(d)
		case reply := <-s.barrier:
			// s.in is drained first: everything offered before the
			// barrier has been handled when it is answered.
			for len(s.in) > 0 {
				s.accept(<-s.in)
			}
			close(reply)
		case <-s.done:
			return
		}
		switch {
		case len(s.pending) > 0 && !gapArmed:
			gap.Reset(s.gapWait())
			gapArmed = true
		case len(s.pending) == 0 && gapArmed:
			gap.Stop()
			gapArmed = false
		}
	}
}

// gapWait is how long a gap waits before the log is read: the grace, and
// longer after failed reads (up to Poll), so that a store that is down is
// not hammered.
func (s *Sequencer) gapWait() time.Duration {
	d := s.cfg.Grace
	for range s.failures {
		if d >= s.cfg.Poll {
			return s.cfg.Poll
		}
		d *= 2
	}
	return min(d, s.cfg.Poll)
}

// accept queues events and delivers the run that is now complete.
func (s *Sequencer) accept(events []*parley.Event) {
	for _, ev := range events {
		id := ev.ID()
		if id > s.last {
			s.pending[id] = ev
		}
		if id > s.highest.Load() {
			s.highest.Store(id) // only run writes it
		}
	}
	s.flush(nil)
}

// flush delivers out plus every pending event that continues the
// sequence.
func (s *Sequencer) flush(out []*parley.Event) {
	for {
		ev, ok := s.pending[s.last+1]
		if !ok {
			break
		}
		delete(s.pending, s.last+1)
		out = append(out, ev)
		s.last++
	}
	s.deliver(out)
}

func (s *Sequencer) deliver(out []*parley.Event) {
	if len(out) == 0 {
		return
	}
	s.cfg.Deliver(out)
	s.delivered.Store(s.last)
}

// fill reads everything after the last delivered ID from the store and
// delivers it, preferring the broker's copy of an event (it carries the
// topics given at commit time). On a store error nothing is skipped: the
// gap stays open until a later read succeeds.
func (s *Sequencer) fill() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msgs, err := s.cfg.Log.Since(ctx, s.last, fillPage)
		cancel()
		if err != nil {
			if s.failures == 0 {
				s.cfg.Logger.Warn("reading the log to fill a gap in broker delivery; retrying", "after", s.last, "err", err)
			}
			s.failures++
			s.fillFails.Add(1)
			return
		}
		if s.failures > 0 {
			s.cfg.Logger.Info("reading the log works again", "after", s.last, "failed_reads", s.failures)
			s.failures = 0
		}
		out := make([]*parley.Event, 0, len(msgs))
		for _, m := range msgs {
			ev, ok := s.pending[m.ID]
			if !ok {
				ev = parley.EventFor(m)
				s.filled.Add(1)
			}
			if m.ID > s.highest.Load() {
				s.highest.Store(m.ID)
			}
			out = append(out, ev)
			s.last = m.ID
		}
		// Pending events at or below the new mark are either delivered
		// above or gone from the store (deleted since).
		for id := range s.pending {
			if id <= s.last {
				delete(s.pending, id)
			}
		}
		s.flush(out)
		if len(msgs) < fillPage {
			return
		}
	}
}
