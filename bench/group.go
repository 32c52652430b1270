package bench

import (
	"context"
	"fmt"
	"net"
	"time"
)

// A group runs subscribers [lo, hi) of a -rooms layout: all of them when
// -procs is 1, else one child process's share. Its life has three steps,
// driven by the parent (in process, or over the child's stdin and stdout:
// see member.go): subscribe, drain (wait until every subscriber has its
// room's acknowledged posts), close (and count).
type group struct {
	cfg    *config
	l      *layout
	lo, hi int
	logf   func(format string, args ...any)

	lat    Histogram
	pool   *pool
	cancel context.CancelFunc

	subDur   time.Duration
	timedOut bool
}

// trKey names the transport of one (kind, node, room): the request line
// differs in each.
type trKey struct {
	kind       string
	node, room int
}

// newGroup prepares subscribers [lo, hi) of cfg's layout, dialling from
// src (nil: the kernel chooses).
func newGroup(cfg *config, l *layout, lo, hi int, src *net.TCPAddr, runStart time.Time, logf func(string, ...any)) (*group, error) {
	g := &group{cfg: cfg, l: l, lo: lo, hi: hi, logf: logf}
	// messages 0: no "seen" bitsets; deliverRoom checks by ID instead.
	p := newPool(make([]transport, len(cfg.nodes)), hi-lo, 0, cfg.concurrency, &g.lat, runStart)
	p.messages = int64(cfg.messages)
	p.postRoom = l.postRoom
	p.kindLat = make([]Histogram, len(cfg.kindNames))
	trs := map[trKey]transport{}
	for k := range p.subs {
		i := lo + k
		key := trKey{l.kindOf(i), l.nodeOf(i), l.roomOf(i)}
		tr, ok := trs[key]
		if !ok {
			rc := *cfg
			rc.room = cfg.roomName(key.room)
			var err error
			if tr, err = transports[key.kind](&rc, cfg.nodes[key.node]); err != nil {
				return nil, err
			}
			if src != nil {
				if err := setLocalAddr(tr, src); err != nil {
					return nil, err
				}
			}
			trs[key] = tr
		}
		s := &p.subs[k]
		s.tr, s.node, s.room, s.kind = tr, key.node, int32(key.room), uint8(cfg.kindIndex(key.kind))
	}
	g.pool = p
	return g, nil
}

// setLocalAddr makes tr dial from src.
func setLocalAddr(tr transport, src *net.TCPAddr) error {
	switch t := tr.(type) {
	case sseTransport:
		t.dialer.LocalAddr = src
	case wsTransport:
		t.dialer.LocalAddr = src
	case *pollTransport:
		t.dialer.LocalAddr = src
	default:
		return fmt.Errorf("-source-addrs: transport %T cannot choose its source address", tr)
	}
	return nil
}

// readyMsg is the answer to subscribe.
type readyMsg struct {
	Subscribed int64 `json:"subscribed"`
	Failed     int64 `json:"failed"`
}

// subscribe opens the subscriptions and returns when every one is ready
// or has failed (or ctx is done).
func (g *group) subscribe(ctx context.Context) readyMsg {
	subCtx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	start := time.Now()
	g.pool.start(subCtx)
	done := make(chan struct{})
	go func() {
		g.pool.handshakes.Wait()
		close(done)
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ctx.Done():
			break wait
		case <-tick.C:
			g.logf("subscribed %d/%d (%d failed)", g.pool.ready.Load(), g.hi-g.lo, g.pool.failed.Load())
		}
	}
	g.subDur = time.Since(start)
	return readyMsg{Subscribed: g.pool.ready.Load(), Failed: g.pool.failed.Load()}
}

// drain waits until every subscriber still running has want[room] posts,
// or timeout passes.
func (g *group) drain(ctx context.Context, want []int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !g.pool.completeRooms(want) {
		if time.Now().After(deadline) {
			g.timedOut = true
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// groupResult is what a group reports when closed.
type groupResult struct {
	Totals           roomTotals       `json:"totals"`
	Nodes            []roomTotals     `json:"nodes"`
	Kinds            []roomTotals     `json:"kinds"`
	Failed           int64            `json:"failed"`
	ConnErrors       map[string]int64 `json:"conn_errors,omitempty"`
	Dropped          int64            `json:"dropped"`
	DropErrors       map[string]int64 `json:"drop_errors,omitempty"`
	TimedOut         bool             `json:"timed_out"`
	SubscribeSeconds float64          `json:"subscribe_seconds"`
	Latency          *Histogram       `json:"latency"`
	NodeLatency      []*Histogram     `json:"node_latency"`
	KindLatency      []*Histogram     `json:"kind_latency"`
	Connect          *Histogram       `json:"connect"`
}

// close ends the subscriptions and counts what they received against
// want.
func (g *group) close(want []int64) *groupResult {
	if g.cancel != nil {
		g.cancel()
	}
	p := g.pool
	p.stop()
	r := &groupResult{
		Nodes:            make([]roomTotals, len(g.cfg.nodes)),
		Kinds:            make([]roomTotals, len(g.cfg.kindNames)),
		Failed:           p.failed.Load(),
		ConnErrors:       p.connErrs,
		Dropped:          p.dropped.Load(),
		DropErrors:       p.dropErrs,
		TimedOut:         g.timedOut,
		SubscribeSeconds: round3(g.subDur.Seconds()),
		Latency:          &g.lat,
		Connect:          &p.connect,
	}
	r.Totals = p.roomTotals(want, r.Nodes, r.Kinds)
	for i := range p.nodeLat {
		r.NodeLatency = append(r.NodeLatency, &p.nodeLat[i])
	}
	for i := range p.kindLat {
		r.KindLatency = append(r.KindLatency, &p.kindLat[i])
	}
	return r
}
