package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/ordering"
	"github.com/parley-chat/parley/broker/shard"
)

// DefaultLinger is how long a shard stays subscribed after its last local
// subscriber left.
const DefaultLinger = 10 * time.Second

// DefaultAnnounceEvery is the least time between two announcement
// messages of one node.
const DefaultAnnounceEvery = 5 * time.Millisecond

// wireRange tells every node that IDs F to L were committed in one batch
// whose events went to shards S. An announcement message is a JSON array
// of them.
type wireRange struct {
	First  int64      `json:"f"`
	Last   int64      `json:"l"`
	Shards []shard.ID `json:"s"`
}

func (w wireRange) toRange() ordering.Range {
	return ordering.Range{First: w.First, Last: w.Last, Shards: w.Shards}
}

// toRecent converts a batch of the store's ring, whose shards are
// unknown when S is null.
func (w wireRange) toRecent() ordering.Range {
	return ordering.Range{First: w.First, Last: w.Last, Shards: w.Shards, Unknown: w.Shards == nil}
}

// wireShard is the part of batch F..L that went to one shard; it carries
// the batch's shards, so that it stands for the batch's announcement, and
// the batches committed just before it as the store's ring recorded them
// (P; S null where the ring did not record the shards), so that a node
// that receives it accounts for their IDs without hearing of them.
type wireShard struct {
	wireRange
	Recent []wireRange `json:"p,omitempty"`
	Events []wireEvent `json:"e"`
}

type wireShardIn struct {
	wireRange
	Recent []wireRange   `json:"p,omitempty"`
	Events []wireEventIn `json:"e"`
}

func (b *Broker) shardSubject(sh shard.ID) string {
	return b.cfg.Subject + ".shard." + strconv.Itoa(int(sh))
}

// publishByShard sends each run of consecutive IDs (a committed batch is
// one run) as one part per shard it touched and one announcement.
func (b *Broker) publishByShard(events []*parley.Event) error {
	for len(events) > 0 {
		n := 1
		for n < len(events) && events[n].ID() == events[n-1].ID()+1 {
			n++
		}
		if err := b.publishRun(events[:n], nil, true); err != nil {
			return err
		}
		events = events[n:]
	}
	return nil
}

// BatchKeys returns the shards events reach, each once; it implements
// parley.RingPublisher. Routing all events, it returns false.
func (b *Broker) BatchKeys(events []*parley.Event) ([]uint16, bool) {
	if !b.cfg.ByInterest {
		return nil, false
	}
	var keys []shard.ID
	for _, ev := range events {
		for _, sh := range shard.OfEvent(ev) {
			if !slices.Contains(keys, sh) {
				keys = append(keys, sh)
			}
		}
	}
	return keys, true
}

// PublishRing publishes one batch stored with parley.BatchRing.AppendRing.
// Its parts carry the batches recent says were committed just before it,
// which the receivers take for their announcements; only a batch whose
// shards the ring could not record is announced to every node. The
// batches also reach this node's sequencer, which accounts for other
// nodes' IDs from its own commits.
func (b *Broker) PublishRing(ctx context.Context, events []*parley.Event, recent []parley.Batch) error {
	if !b.cfg.ByInterest || len(recent) == 0 {
		return b.Publish(ctx, events)
	}
	before := recent[:len(recent)-1] // the last is this batch
	ranges := make([]ordering.Range, len(before))
	wire := make([]wireRange, len(before))
	for i, r := range before {
		wire[i] = wireRange{First: r.First, Last: r.Last, Shards: r.Keys}
		ranges[i] = wire[i].toRecent()
	}
	b.cfg.Sequencer.Announce(ranges...)
	b.cfg.Sequencer.Offer(events)
	return b.publishRun(events, wire, recent[len(recent)-1].Keys == nil)
}

// publishRun publishes one committed batch as a part per shard, each with
// recent, and announces it to every node if announce is set.
func (b *Broker) publishRun(events []*parley.Event, recent []wireRange, announce bool) error {
	parts := make(map[shard.ID][]wireEvent)
	var order []shard.ID
	for _, ev := range events {
		w := wireEvent{Message: ev.JSON(), Also: ev.Also, Revoke: ev.Revoke}
		for _, sh := range shard.OfEvent(ev) {
			if _, ok := parts[sh]; !ok {
				order = append(order, sh)
			}
			parts[sh] = append(parts[sh], w)
		}
	}
	r := wireRange{First: events[0].ID(), Last: events[len(events)-1].ID(), Shards: order}
	for _, sh := range order {
		data, err := json.Marshal(wireShard{wireRange: r, Recent: recent, Events: parts[sh]})
		if err != nil {
			return fmt.Errorf("encoding events for NATS: %w", err)
		}
		if err := b.conn.Publish(b.shardSubject(sh)+".events", data); err != nil {
			return fmt.Errorf("publishing to NATS: %w", err)
		}
	}
	if !announce {
		return nil
	}
	return b.announcer.add(r)
}

func (b *Broker) receiveAnnouncement(m *natsgo.Msg) {
	var list []wireRange
	if err := json.Unmarshal(m.Data, &list); err != nil {
		b.cfg.Logger.Warn("ignoring a malformed batch announcement from NATS", "subject", m.Subject, "err", err)
		return
	}
	ranges := make([]ordering.Range, len(list))
	for i, w := range list {
		ranges[i] = w.toRange()
	}
	b.cfg.Sequencer.Announce(ranges...)
}

// announcer sends a node's batch announcements to every node: the first
// at once, then at most one message per AnnounceEvery carrying every range
// committed meanwhile. Under load this keeps what a node that follows
// none of the rooms pays for them to a few hundred small messages a
// second per posting node, at the price of up to AnnounceEvery of delay
// for an event whose lower IDs another node committed.
type announcer struct {
	b     *Broker
	every time.Duration

	mu      sync.Mutex
	pending []wireRange
	armed   bool // a flush is scheduled
	last    time.Time
	timer   *time.Timer
}

func (a *announcer) add(r wireRange) error {
	a.mu.Lock()
	if !a.armed && time.Since(a.last) >= a.every {
		a.last = time.Now()
		a.mu.Unlock()
		return a.b.publishAnnouncement([]wireRange{r})
	}
	a.pending = append(a.pending, r)
	if !a.armed {
		a.armed = true
		a.timer = time.AfterFunc(a.every-time.Since(a.last), a.flush)
	}
	a.mu.Unlock()
	return nil
}

func (a *announcer) flush() {
	a.mu.Lock()
	list := a.pending
	a.pending, a.armed, a.last = nil, false, time.Now()
	a.mu.Unlock()
	if len(list) > 0 {
		if err := a.b.publishAnnouncement(list); err != nil {
			// The other nodes read the ranges from the store.
			a.b.cfg.Logger.Warn("publishing batch announcements to NATS failed", "err", err)
		}
	}
}

// close sends what is pending.
func (a *announcer) close() {
	a.mu.Lock()
	if a.timer != nil {
		a.timer.Stop()
	}
	a.mu.Unlock()
	a.flush()
}

func (b *Broker) publishAnnouncement(list []wireRange) error {
	data, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("encoding batch announcements for NATS: %w", err)
	}
	if err := b.conn.Publish(b.subject, data); err != nil {
		return fmt.Errorf("publishing to NATS: %w", err)
	}
	return nil
}

// receiveShard handles SUBJECT.shard.N.events and SUBJECT.shard.N.signals.
func (b *Broker) receiveShard(sh shard.ID) natsgo.MsgHandler {
	return func(m *natsgo.Msg) {
		if strings.HasSuffix(m.Subject, ".signals") {
			b.receiveSignal(m)
			return
		}
		var w wireShardIn
		if err := json.Unmarshal(m.Data, &w); err != nil {
			b.cfg.Logger.Warn("ignoring a malformed event batch from NATS", "subject", m.Subject, "err", err)
			return
		}
		events := eventsOf(w.Events)
		b.received.Add(uint64(len(events)))
		recent := make([]ordering.Range, len(w.Recent))
		for i, r := range w.Recent {
			recent[i] = r.toRecent()
		}
		b.cfg.Sequencer.OfferShard(w.toRange(), sh, events, recent...)
	}
}

// Follow makes this node receive the events and signals of topics (hub
// topics that gained their first local subscriber). It returns once the
// sequencer follows their shards, so that a subscriber that then reads
// the store and waits for live events misses nothing. Without ByInterest
// it does nothing: every event arrives anyway.
func (b *Broker) Follow(topics []string) {
	if b.interest != nil {
		b.interest.follow(topics)
	}
}

// Unfollow records that topics lost a local subscriber. It never blocks
// (the hub calls it from Cancel); shards with no topic left are
// unsubscribed after Linger.
func (b *Broker) Unfollow(topics []string) {
	if b.interest != nil {
		b.interest.unfollow(topics)
	}
}

// Following returns how many shards the node is subscribed to.
func (b *Broker) Following() int {
	if b.interest == nil {
		return shard.Count
	}
	b.interest.mu.Lock()
	defer b.interest.mu.Unlock()
	return len(b.interest.shards)
}

// interest counts the node's subscribers per topic and subscribes to the
// shards that have any.
type interest struct {
	b    *Broker
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	topics map[string]int
	shards map[shard.ID]*following

	// subMu orders starting and dropping shards: shards start under its
	// read lock while the sequencer is attached; attaching a detached
	// sequencer and dropping shards (which may detach it) hold it
	// exclusively, so that the sequencer's Follow and Unfollow and the
	// announcement subscription change in one order.
	subMu   sync.RWMutex
	batches *natsgo.Subscription // the announcements, while attached (detachable sequencer only)
}

// following is one followed shard.
type following struct {
	topics int           // topics of the shard with local subscribers
	ready  chan struct{} // closed once the sequencer follows it and sub is set
	sub    *natsgo.Subscription
	idle   time.Time // when topics fell to 0
}

func newInterest(b *Broker) *interest {
	in := &interest{
		b: b, stop: make(chan struct{}), done: make(chan struct{}),
		topics: make(map[string]int), shards: make(map[shard.ID]*following),
	}
	go in.sweep()
	return in
}

// starting is a shard that gained its first topic.
type starting struct {
	sh shard.ID
	f  *following
}

func (in *interest) follow(topics []string) {
	var starts []starting
	var waits []chan struct{}
	in.mu.Lock()
	for _, t := range topics {
		if !shard.Routed(t) {
			continue
		}
		in.topics[t]++
		sh := shard.Of(t)
		f := in.shards[sh]
		if f == nil {
			f = &following{ready: make(chan struct{})}
			in.shards[sh] = f
			starts = append(starts, starting{sh, f})
		}
		if in.topics[t] == 1 {
			f.topics++
		}
		waits = append(waits, f.ready)
	}
	in.mu.Unlock()
	if len(starts) > 0 {
		in.start(starts)
	}
	for _, s := range starts {
		close(s.f.ready)
	}
	for _, w := range waits {
		<-w
	}
}

// start subscribes to new shards and makes the sequencer follow them.
// Shards start side by side while the sequencer is attached; attaching a
// detached one, and dropping shards, happen one at a time.
func (in *interest) start(starts []starting) {
	seq := in.b.cfg.Sequencer
	in.subMu.RLock()
	if !seq.Detached() {
		// Dropping (the only way back to detached) waits for the lock.
		defer in.subMu.RUnlock()
		in.subscribe(starts, false)
		return
	}
	in.subMu.RUnlock()
	in.subMu.Lock()
	defer in.subMu.Unlock()
	in.subscribe(starts, seq.Detached())
}

// subscribe subscribes to the shards of starts. A detached sequencer
// (attach) starts from the store's last committed ID, read once the
// subscriptions and the announcements' are in place; an attached one
// follows from its last accounted ID, before them.
func (in *interest) subscribe(starts []starting, attach bool) {
	seq := in.b.cfg.Sequencer
	if attach && in.batches == nil {
		sub, err := in.b.conn.Subscribe(in.b.subject, in.b.receiveAnnouncement)
		if err != nil {
			// Batches of other shards then open gaps that the store
			// fills: late but complete.
			in.b.cfg.Logger.Warn("subscribing to NATS batch announcements failed; the store will fill their place", "err", err)
		}
		in.batches = sub
	}
	for _, s := range starts {
		if !attach {
			seq.Follow(s.sh)
		}
		sub, err := in.b.conn.Subscribe(in.b.shardSubject(s.sh)+".*", in.b.receiveShard(s.sh))
		if err != nil {
			// The sequencer follows the shard: its events come from the
			// store, late but complete.
			in.b.cfg.Logger.Warn("subscribing to a NATS shard subject failed; its events will be read from the store", "shard", s.sh, "err", err)
		}
		in.mu.Lock()
		s.f.sub = sub
		in.mu.Unlock()
	}
	if in.b.conn.IsConnected() {
		// Wait until the server has the subscriptions, so that what is
		// published from now on comes over NATS: events would otherwise
		// wait for a gap fill from the store, and signals be lost. (Cut
		// off from NATS, events come from the store anyway: no wait.)
		if err := in.b.conn.FlushTimeout(time.Second); err != nil {
			in.b.cfg.Logger.Warn("NATS did not confirm new shard subscriptions; their events may come from the store", "err", err)
		}
	}
	if attach {
		for _, s := range starts {
			seq.Follow(s.sh)
		}
	}
}

func (in *interest) unfollow(topics []string) {
	now := time.Now()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, t := range topics {
		if !shard.Routed(t) || in.topics[t] == 0 {
			continue
		}
		in.topics[t]--
		if in.topics[t] > 0 {
			continue
		}
		delete(in.topics, t)
		if f := in.shards[shard.Of(t)]; f != nil {
			f.topics--
			if f.topics == 0 {
				f.idle = now
			}
		}
	}
}

// sweep unsubscribes shards idle for Linger.
func (in *interest) sweep() {
	defer close(in.done)
	tick := time.NewTicker(max(in.b.cfg.Linger/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-in.stop:
			return
		case now := <-tick.C:
			in.drop(now)
		}
	}
}

func (in *interest) drop(now time.Time) {
	type gone struct {
		sh  shard.ID
		sub *natsgo.Subscription
	}
	var list []gone
	in.subMu.Lock()
	defer in.subMu.Unlock()
	in.mu.Lock()
	for sh, f := range in.shards {
		if f.topics > 0 || now.Sub(f.idle) < in.b.cfg.Linger {
			continue
		}
		select {
		case <-f.ready:
		default:
			continue // still starting
		}
		delete(in.shards, sh)
		list = append(list, gone{sh, f.sub})
	}
	in.mu.Unlock()
	for _, g := range list {
		if g.sub != nil {
			_ = g.sub.Unsubscribe()
		}
		// Counted: a Follow of the same shard made meanwhile keeps it
		// followed whatever the order.
		in.b.cfg.Sequencer.Unfollow(g.sh)
	}
	// Following nothing, a detached sequencer needs no announcements.
	// (A shard still starting attaches again; it waits for subMu.)
	if in.batches != nil && in.b.cfg.Sequencer.Detached() {
		_ = in.batches.Unsubscribe()
		in.batches = nil
	}
}

func (in *interest) close() {
	close(in.stop)
	<-in.done
	in.subMu.Lock()
	defer in.subMu.Unlock()
	if in.batches != nil {
		_ = in.batches.Unsubscribe()
		in.batches = nil
	}
}
