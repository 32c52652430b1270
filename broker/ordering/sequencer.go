// Package ordering hands a cluster node's hub the events of every node in
// ID order, with no gaps and no duplicates.
//
// IDs increase in commit order across the cluster (the store serialises
// them), and every event is committed before any node publishes it. The
// broker between nodes promises less: events from different nodes arrive
// in any order, core NATS may drop one, and nothing arrives while a node is
// cut off from it. So the store is the truth and the broker is the fast
// path: a Sequencer delivers an event as soon as every lower ID has been
// accounted for, and when a gap stays open for longer than a short grace,
// or the broker has been quiet, it reads the missing entries from the
// store. Whatever the store holds between two delivered IDs has been
// delivered, and an ID the store no longer holds (deleted by retention in
// the meantime) is skipped.
//
// Routing by interest (Config.Interest): a node then receives only the
// events of the shards it follows (see package shard), so a gap in IDs is
// normal. A range of IDs is accounted for once the node holds the events
// of every followed shard its batch touched; one that touched none of
// them costs nothing more. What a batch touched comes with the parts the
// node receives and with its own commits: the batches committed just
// before them, as the store's ring recorded them (parley.BatchRing, the
// recent ranges of OfferShard and Announce), or an announcement for a
// batch the ring could not record. IDs below what those reach are read
// from the store after the grace, like any gap. A shard followed from now
// on is followed from the last accounted ID: everything at or below it is
// in the store, where a new subscriber's replay reads it.
//
// Detached (Config.Head set): a node routed by interest that follows no
// shard at all needs nothing from the other nodes, so its broker stops
// receiving their announcements, and the sequencer accounts for every ID
// it sees at once and never reads the store. The Follow that ends it
// reads the store's last committed ID H, after the broker receives the
// shard and the announcements again, and starts there: every ID at or
// below H is in the store (IDs are dense and committed in order), and
// a commit above H was not visible to that read, so it is published
// after it, to subscriptions already in place.
package ordering

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/shard"
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
	// Advanced, if set, is called from the same goroutine each time the
	// last accounted ID moves up, after the events up to it were
	// delivered: with Interest, IDs of shards not followed move it too.
	Advanced func(last int64)
	// Start is the last ID already accounted for: the store's LastID when
	// the node starts (streams replay older entries from the store).
	Start int64
	// Interest delivers only the events of followed shards (see Follow)
	// and expects batches to be announced (see Announce); without it
	// every event is delivered.
	Interest bool
	// Head, with Interest, returns the store's last committed ID. Given
	// it, the sequencer is detached while it follows no shard (see the
	// package doc and Detached).
	Head func(context.Context) (int64, error)
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
	in        chan input
	follow    chan followOp
	kick      chan struct{}
	poll      chan time.Duration
	barrier   chan chan struct{} // tests: wait until earlier offers are handled
	done      chan struct{}
	stopped   chan struct{}
	delivered atomic.Int64  // the last accounted ID
	highest   atomic.Int64  // highest ID offered, announced or read
	filled    atomic.Uint64 // events read from the store, not brought by the broker
	fillFails atomic.Uint64 // failed reads of the store

	detached atomic.Bool

	// Owned by run.
	last      int64
	pending   map[int64]*parley.Event
	spans     map[int64]*span // by first ID, all above last
	followed  map[shard.ID]int
	failures  int // consecutive failed reads of the log
	sinceTidy int // spans handled since stale entries were last dropped
}

// span is a range of IDs committed in one batch, as far as this node
// knows it.
type span struct {
	last     int64
	complete bool       // every event of the range is held (this node's own, or unrouted)
	shards   []shard.ID // the shards the batch touched, once announced
	got      []shard.ID // the shards whose part arrived
	events   bool       // some event of the range is pending
}

// Range is a batch of IDs committed in one transaction, First to Last,
// whose events went to Shards (see shard.OfEvent).
type Range struct {
	First, Last int64
	Shards      []shard.ID
	// Unknown says that Shards was not recorded (a batch of the store's
	// ring with too many shards): the range waits for its announcement,
	// or for the store.
	Unknown bool
}

// valid reports whether r names at least one ID.
func (r Range) valid() bool { return r.First > 0 && r.Last >= r.First }

// input is one thing offered to the sequencer.
type input struct {
	events []*parley.Event // Offer, OfferShard
	ranges []Range         // Announce; OfferShard: the part's batch, then recent ones
	shard  shard.ID        // OfferShard
	kind   inputKind
}

type inputKind uint8

const (
	inputComplete inputKind = iota
	inputAnnounce
	inputShard
)

type followOp struct {
	shard shard.ID
	delta int
	done  chan struct{}
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
		cfg:      cfg,
		in:       make(chan input, 1024),
		follow:   make(chan followOp, 64),
		kick:     make(chan struct{}, 1),
		poll:     make(chan time.Duration, 1),
		barrier:  make(chan chan struct{}),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
		last:     cfg.Start,
		pending:  make(map[int64]*parley.Event),
		spans:    make(map[int64]*span),
		followed: make(map[shard.ID]int),
	}
	s.delivered.Store(cfg.Start)
	s.highest.Store(cfg.Start)
	s.detached.Store(s.detachable())
	go s.run()
	return s
}

// Offer hands the sequencer events whose IDs it then holds in full: this
// node's own commits, or (without Interest) another node's batch. They
// may come in any order; duplicates and events already delivered are
// dropped. It blocks only while the sequencer is a full queue behind.
func (s *Sequencer) Offer(events []*parley.Event) {
	if len(events) == 0 {
		return
	}
	s.send(input{kind: inputComplete, events: events})
}

// Announce tells the sequencer of committed batches (announcements from
// other nodes, or the ring of this node's own commit). With Interest, a
// range is delivered once the part of every followed shard it touched has
// arrived (OfferShard); a range with no followed shard is accounted for
// at once, and one whose shards are Unknown waits for a range that knows
// them.
func (s *Sequencer) Announce(ranges ...Range) {
	ranges = slices.DeleteFunc(slices.Clone(ranges), func(r Range) bool { return !r.valid() })
	if len(ranges) > 0 {
		s.send(input{kind: inputAnnounce, ranges: ranges})
	}
}

// OfferShard hands the sequencer the events that batch r sent to shard sh
// (possibly none of them new to this node). It announces r as well, and
// the batches of recent: those committed just before r (the store's
// ring, see parley.BatchRing).
func (s *Sequencer) OfferShard(r Range, sh shard.ID, events []*parley.Event, recent ...Range) {
	if !r.valid() {
		return
	}
	ranges := append(make([]Range, 0, 1+len(recent)), r)
	for _, rr := range recent {
		if rr.valid() {
			ranges = append(ranges, rr)
		}
	}
	s.send(input{kind: inputShard, ranges: ranges, shard: sh, events: events})
}

func (s *Sequencer) send(in input) {
	select {
	case s.in <- in:
	case <-s.done:
	}
}

// Follow adds sh to the followed shards (with Interest; it counts: each
// Follow needs its own Unfollow). It returns once the sequencer follows
// it: every event of sh above Delivered() is delivered from then on,
// while those at or below it are in the store. A detached sequencer
// reads Config.Head first: call it only once the broker receives sh's
// events and the announcements.
func (s *Sequencer) Follow(sh shard.ID) { s.changeFollow(sh, 1) }

// Detached reports whether the sequencer follows no shard and has
// Config.Head: it then needs no announcements (see the package doc).
// Only Follow and Unfollow change it.
func (s *Sequencer) Detached() bool { return s.detached.Load() }

// Detachable reports whether the sequencer is ever detached: Interest
// with Config.Head.
func (s *Sequencer) Detachable() bool { return s.detachable() }

func (s *Sequencer) detachable() bool { return s.cfg.Interest && s.cfg.Head != nil }

// Unfollow undoes one Follow.
func (s *Sequencer) Unfollow(sh shard.ID) { s.changeFollow(sh, -1) }

func (s *Sequencer) changeFollow(sh shard.ID, delta int) {
	op := followOp{shard: sh, delta: delta, done: make(chan struct{})}
	select {
	case s.follow <- op:
	case <-s.done:
		return
	}
	select {
	case <-op.done:
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

// Delivered returns the last ID accounted for: every event at or below it
// that this node follows has been delivered.
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
		case in := <-s.in:
			s.accept(in)
		case op := <-s.follow:
			s.changeFollowed(op)
		case <-s.kick:
			if !s.detached.Load() {
				s.fill()
			}
		case <-gap.C:
			gapArmed = false
			s.fill()
		case <-ticker.C:
			if !s.detached.Load() {
				s.fill()
			}
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
		waiting := len(s.pending) > 0 || len(s.spans) > 0
		switch {
		case waiting && !gapArmed:
			gap.Reset(s.gapWait())
			gapArmed = true
		case !waiting && gapArmed:
			gap.Stop()
			gapArmed = false
		}
	}
}

func (s *Sequencer) changeFollowed(op followOp) {
	defer close(op.done)
	n := s.followed[op.shard] + op.delta
	if n <= 0 {
		delete(s.followed, op.shard)
	} else {
		s.followed[op.shard] = n
	}
	switch {
	case s.detachable() && len(s.followed) == 0 && !s.detached.Load():
		s.detached.Store(true)
		s.skipAll(s.highest.Load())
		return
	case s.detachable() && len(s.followed) > 0 && s.detached.Load():
		s.detached.Store(false)
		s.attach()
	case s.cfg.Interest && n == 1 && op.delta > 0:
		// A new shard, followed from the last accounted ID. Nothing
		// announces every batch any more, so that ID may lag the store
		// (a node whose rooms were quiet): read up to the store's head
		// now, so that the shard's events committed meanwhile reach the
		// hub before Follow returns, and the poll watermark, raised to
		// the head, sends a poll with a later cursor to the store.
		s.fill()
	}
	// A range that waited for nothing may now wait for this shard's
	// part, and one that waited for it may be complete.
	s.flush(nil)
}

// attach starts following after a detached time: from the store's last
// committed ID, everything at or below it being in the store.
func (s *Sequencer) attach() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	head, err := s.cfg.Head(ctx)
	cancel()
	if err != nil {
		// The announcements from now on open a gap down to the last
		// accounted ID, which the store fills later.
		s.cfg.Logger.Warn("reading the last committed ID to follow a shard; the gap will be read from the store", "after", s.last, "err", err)
		s.fillFails.Add(1)
		return
	}
	s.skipAll(head)
}

// skipAll accounts for every ID up to id without delivering anything:
// they are all committed, and nothing followed needs them from here.
func (s *Sequencer) skipAll(id int64) {
	s.saw(id)
	s.last = max(s.last, id)
	s.tidy()
	s.deliver(nil)
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

func (s *Sequencer) saw(id int64) {
	if id > s.highest.Load() {
		s.highest.Store(id) // only run writes it
	}
}

// accept records what arrived and delivers the run that is now complete.
func (s *Sequencer) accept(in input) {
	if s.detached.Load() {
		// Nothing is followed: every ID seen, and so every lower one, is
		// committed and needed by no one here.
		top := int64(0)
		for _, ev := range in.events {
			top = max(top, ev.ID())
		}
		for _, r := range in.ranges {
			top = max(top, r.Last)
		}
		s.skipAll(top)
		return
	}
	switch in.kind {
	case inputComplete:
		// Each run of consecutive IDs is a complete range.
		var cur *span
		for _, ev := range in.events {
			id := ev.ID()
			s.saw(id)
			if id <= s.last {
				continue
			}
			s.pending[id] = ev
			if cur != nil && id == cur.last+1 {
				cur.last = id
				continue
			}
			cur = s.spanAt(id, id)
			cur.complete, cur.events = true, true
		}
	case inputAnnounce:
		for _, r := range in.ranges {
			s.announce(r)
		}
	case inputShard:
		for _, rr := range in.ranges[1:] {
			s.announce(rr)
		}
		r := in.ranges[0]
		sp := s.announce(r)
		if sp == nil {
			break
		}
		if !containsShard(sp.got, in.shard) {
			sp.got = append(sp.got, in.shard)
		}
		for _, ev := range in.events {
			if id := ev.ID(); id > s.last && id >= r.First && id <= r.Last {
				s.pending[id] = ev
				sp.events = true
			}
		}
	}
	s.flush(nil)
}

// announce records range r and returns its span, or nil if it is
// accounted for already.
func (s *Sequencer) announce(r Range) *span {
	s.saw(r.Last)
	if r.Last <= s.last {
		return nil
	}
	sp := s.spanAt(r.First, r.Last)
	if sp.shards == nil && !r.Unknown {
		sp.shards = r.Shards
		if sp.shards == nil {
			sp.shards = []shard.ID{} // announced, touching nothing
		}
	}
	return sp
}

// spanAt returns the span that starts at first, made if new.
func (s *Sequencer) spanAt(first, last int64) *span {
	sp := s.spans[first]
	if sp == nil {
		sp = &span{last: last}
		s.spans[first] = sp
	}
	sp.last = max(sp.last, last)
	return sp
}

// ready reports whether every event of sp that this node follows is held.
func (s *Sequencer) ready(sp *span) bool {
	if sp.complete {
		return true
	}
	if sp.shards == nil {
		return false // parts arrived, the announcement not yet
	}
	for _, sh := range sp.shards {
		if s.isFollowed(sh) && !containsShard(sp.got, sh) {
			return false
		}
	}
	return true
}

func (s *Sequencer) isFollowed(sh shard.ID) bool {
	if !s.cfg.Interest {
		return true
	}
	return s.followed[sh] > 0
}

// wants reports whether ev goes to a shard this node follows.
func (s *Sequencer) wants(ev *parley.Event) bool {
	if !s.cfg.Interest {
		return true
	}
	for _, sh := range shard.OfEvent(ev) {
		if s.followed[sh] > 0 {
			return true
		}
	}
	return false
}

// flush delivers out plus every range that continues the sequence.
func (s *Sequencer) flush(out []*parley.Event) {
	for {
		sp, ok := s.spans[s.last+1]
		if !ok || !s.ready(sp) {
			break
		}
		delete(s.spans, s.last+1)
		if sp.events {
			for id := s.last + 1; id <= sp.last; id++ {
				ev, ok := s.pending[id]
				if !ok {
					continue
				}
				delete(s.pending, id)
				if s.wants(ev) {
					out = append(out, ev)
				}
			}
		}
		s.last = sp.last
		s.sinceTidy++
	}
	s.deliver(out)
	if s.sinceTidy > 4096 {
		s.tidy()
	}
}

func (s *Sequencer) deliver(out []*parley.Event) {
	if len(out) > 0 {
		s.cfg.Deliver(out)
	}
	if s.last > s.delivered.Load() {
		s.delivered.Store(s.last)
		if s.cfg.Advanced != nil {
			s.cfg.Advanced(s.last)
		}
	}
}

// tidy drops what lies at or below the last accounted ID: duplicates and
// parts of ranges that were accounted for another way.
func (s *Sequencer) tidy() {
	s.sinceTidy = 0
	for id := range s.pending {
		if id <= s.last {
			delete(s.pending, id)
		}
	}
	for first, sp := range s.spans {
		if sp.last <= s.last {
			delete(s.spans, first)
		} else if first <= s.last {
			// Part of the range was read from the store: what is left
			// starts after it.
			delete(s.spans, first)
			s.spans[s.last+1] = sp
		}
	}
}

// fill reads everything after the last accounted ID from the store and
// delivers what this node follows, preferring the broker's copy of an
// event (it carries the topics given at commit time). On a store error
// nothing is skipped: the gap stays open until a later read succeeds.
func (s *Sequencer) fill() {
	for {
		known := s.highest.Load()
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
			}
			s.saw(m.ID)
			if s.wants(ev) {
				if !ok {
					s.filled.Add(1)
				}
				out = append(out, ev)
			}
			s.last = m.ID
		}
		if len(msgs) < fillPage {
			// Every ID this node had heard of was committed before the
			// read began, so the read saw all of them: those it did not
			// return were deleted since.
			s.last = max(s.last, known)
		}
		s.tidy()
		s.flush(out)
		if len(msgs) < fillPage {
			return
		}
	}
}

func containsShard(list []shard.ID, sh shard.ID) bool {
	for _, x := range list {
		if x == sh {
			return true
		}
	}
	return false
}
