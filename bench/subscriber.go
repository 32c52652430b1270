package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// maxSeenBytes bounds the per-subscriber "seen" bitsets (one bit per
// message per subscriber). Above it, duplicates are detected from IDs
// alone (a repeat of the previous ID), and an older ID counts as out of
// order even if it was a duplicate.
const maxSeenBytes = 256 << 20

// sub is one subscriber's state. The fields below the atomics are owned by
// the subscriber's goroutine and read only after it has exited.
type sub struct {
	uniq atomic.Int64 // distinct bench messages received
	done atomic.Bool  // the goroutine has exited

	lastID   int64
	dups     int64
	ooo      int64 // out of order: an ID lower than one already received
	other    int64 // events that are not this run's bench messages
	lastRecv int64 // unix nanos of the last bench delivery
	seen     []uint64
	node     int // index into the pool's transports (-url)
	ready    bool
	err      error // why the stream ended early (nil when we closed it)

	// With -rooms (see layout.go): the subscriber's own transport and
	// room, and messages of other rooms that reached it.
	tr      transport
	room    int32
	kind    uint8 // index into the pool's kindLat
	foreign int64
}

// pool runs the subscribers, spread round-robin over one transport per
// node.
type pool struct {
	trs      []transport
	subs     []sub
	messages int64
	runStart int64 // unix nanos; bench texts sent before it are not ours

	// postRoom, with -rooms, is the room of each post: deliveries are
	// then checked by room and ID order (deliverRoom), not by bitset.
	postRoom func(seq int64) int
	kindLat  []Histogram // latency by transport, with -rooms

	lat     *Histogram  // publish-to-delivery latency, ns
	nodeLat []Histogram // the same, per node
	connect Histogram   // dial to ready, ns

	sem        chan struct{} // handshakes in flight
	handshakes sync.WaitGroup
	wg         sync.WaitGroup // subscriber goroutines
	started    chan struct{}  // closed when start has launched every goroutine

	ready   atomic.Int64
	failed  atomic.Int64
	dropped atomic.Int64

	mu       sync.Mutex
	connErrs map[string]int64 // handshake failures by class
	dropErrs map[string]int64 // streams that ended early, by class
}

// newPool prepares n subscribers; subscriber i connects through
// trs[nodeOf(i, len(trs))].
func newPool(trs []transport, n, messages, concurrency int, lat *Histogram, runStart time.Time) *pool {
	p := &pool{
		trs:      trs,
		subs:     make([]sub, n),
		messages: int64(messages),
		runStart: runStart.UnixNano(),
		lat:      lat,
		nodeLat:  make([]Histogram, max(len(trs), 1)),
		sem:      make(chan struct{}, concurrency),
		started:  make(chan struct{}),
		connErrs: map[string]int64{},
		dropErrs: map[string]int64{},
	}
	words := (messages + 63) / 64
	if words > 0 && int64(n)*int64(words)*8 <= maxSeenBytes {
		bits := make([]uint64, n*words)
		for i := range p.subs {
			p.subs[i].seen = bits[i*words : (i+1)*words : (i+1)*words]
		}
	}
	for i := range p.subs {
		p.subs[i].node = nodeOf(i, len(p.nodeLat))
	}
	return p
}

// start opens the subscriptions, at most cap(sem) handshakes at a time.
// It returns at once; wait on p.handshakes for all to be ready or failed.
func (p *pool) start(ctx context.Context) {
	p.handshakes.Add(len(p.subs))
	go func() {
		defer close(p.started)
		for i := range p.subs {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				// Never started: counts as failed.
				n := len(p.subs) - i
				p.failed.Add(int64(n))
				p.addErr(p.connErrs, "interrupted", int64(n))
				for ; i < len(p.subs); i++ {
					p.subs[i].done.Store(true)
					p.handshakes.Done()
				}
				return
			}
			p.wg.Add(1)
			go p.run(ctx, &p.subs[i])
		}
	}()
}

// stop waits for start to finish and for every subscriber to exit. The
// caller cancels the context given to start first.
func (p *pool) stop() {
	<-p.started
	p.wg.Wait()
}

func (p *pool) addErr(m map[string]int64, class string, n int64) {
	p.mu.Lock()
	m[class] += n
	p.mu.Unlock()
}

func (p *pool) run(ctx context.Context, s *sub) {
	defer p.wg.Done()
	defer s.done.Store(true)
	t0 := time.Now()
	handshaking := true
	fail := func(err error) {
		if ctx.Err() != nil {
			err = ctx.Err() // the connection was closed because we stopped
		}
		handshaking = false
		p.failed.Add(1)
		p.addErr(p.connErrs, errClass(err), 1)
		<-p.sem
		p.handshakes.Done()
	}
	tr := s.tr
	if tr == nil {
		tr = p.trs[s.node]
	}
	st, err := tr.open(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer st.close()
	for {
		f, err := st.next()
		if err != nil {
			switch {
			case handshaking:
				fail(err)
			case ctx.Err() == nil:
				s.err = err
				p.dropped.Add(1)
				p.addErr(p.dropErrs, errClass(err), 1)
			}
			return
		}
		if f.ready {
			if handshaking {
				handshaking = false
				s.ready = true
				p.connect.Record(int64(time.Since(t0)))
				p.ready.Add(1)
				<-p.sem
				p.handshakes.Done()
			}
			continue
		}
		if p.postRoom != nil {
			p.deliverRoom(s, f)
		} else {
			p.deliver(s, f)
		}
	}
}

// deliver does the per-event bookkeeping: latency, duplicates, order.
func (p *pool) deliver(s *sub, f frame) {
	now := time.Now().UnixNano()
	seq, sent, ok := parseBenchText(f.data)
	if !ok || seq < 1 || seq > p.messages || sent < p.runStart {
		s.other++
		if f.id > 0 {
			switch {
			case f.id == s.lastID:
				s.dups++
			case f.id < s.lastID:
				s.ooo++
			default:
				s.lastID = f.id
			}
		}
		return
	}
	dup := false
	if s.seen != nil {
		w, bit := (seq-1)>>6, uint64(1)<<uint((seq-1)&63)
		dup = s.seen[w]&bit != 0
		s.seen[w] |= bit
	} else {
		dup = f.id > 0 && f.id == s.lastID
	}
	if f.id > 0 {
		if f.id < s.lastID && !dup {
			s.ooo++
		}
		if f.id > s.lastID {
			s.lastID = f.id
		}
	}
	if dup {
		s.dups++
		return
	}
	p.lat.Record(now - sent)
	p.nodeLat[s.node].Record(now - sent)
	s.lastRecv = now
	s.uniq.Add(1)
}

// complete reports whether every subscriber still running has at least
// want distinct messages.
func (p *pool) complete(want int64) bool {
	for i := range p.subs {
		s := &p.subs[i]
		if s.uniq.Load() < want && !s.done.Load() {
			return false
		}
	}
	return true
}

// delivered returns the number of distinct deliveries so far.
func (p *pool) delivered() int64 {
	var n int64
	for i := range p.subs {
		n += p.subs[i].uniq.Load()
	}
	return n
}

// totals sums the per-subscriber counters; call after stop.
type subTotals struct {
	delivered, dups, ooo, other, lastRecv int64
	ready                                 int64
	incomplete                            int64 // ready subscribers missing at least one message
}

// nodeTotals is one node's share of the subscribers.
type nodeTotals struct {
	ready, delivered int64
}

// nodeTotals sums the subscribers' counters per node; call after stop.
func (p *pool) nodeTotals() []nodeTotals {
	t := make([]nodeTotals, len(p.nodeLat))
	for i := range p.subs {
		s := &p.subs[i]
		t[s.node].delivered += s.uniq.Load()
		if s.ready {
			t[s.node].ready++
		}
	}
	return t
}

func (p *pool) totals(want int64) subTotals {
	var t subTotals
	for i := range p.subs {
		s := &p.subs[i]
		u := s.uniq.Load()
		t.delivered += u
		t.dups += s.dups
		t.ooo += s.ooo
		t.other += s.other
		if s.lastRecv > t.lastRecv {
			t.lastRecv = s.lastRecv
		}
		if s.ready {
			t.ready++
			if u < want {
				t.incomplete++
			}
		}
	}
	return t
}
