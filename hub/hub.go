// Package hub is Parley's local fan-out: it hands each committed event to
// every subscriber of the event's room on this node.
//
// The hub is split into partitions, one goroutine each (by default one per
// CPU). A subscriber lives in exactly one partition, chosen round-robin. A
// partition goroutine owns its room -> subscribers map outright (no locks):
// subscribes, cancels and events reach it through one FIFO channel, in the
// order they were made. Two guarantees follow, and the resume algorithm in
// package stream depends on both:
//
//  1. Every subscriber receives events in publish order, across all of its
//     rooms, because one goroutine delivers them all.
//  2. Every event published after Subscribe returns is delivered to the new
//     subscriber: the subscribe sits ahead of it in the partition's queue.
//
// Delivery never allocates per subscriber: the same *parley.Event (with its
// encode-once wire forms) is passed to every Subscriber.Deliver, which must
// not block (see Queue for the usual implementation).
package hub

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
)

// Subscriber receives events from the hub. Deliver is called from one hub
// goroutine at a time, in publish order, and must return quickly without
// blocking on the network: a subscriber that cannot keep up drops itself
// (see Queue) rather than stall the other subscribers of its partition.
type Subscriber interface {
	Deliver(ev *parley.Event)
}

// Revocable is a Subscriber whose connection ends when the credentials it
// was opened with are revoked (see Hub.Disconnect). Revoke is called on a
// hub goroutine, after the subscription is cancelled; like Deliver it must
// not block. reason is a sentence for the client.
type Revocable interface {
	Revoke(reason string)
}

// Interest is told which topics this node's subscribers hold, so that a
// cluster broker can bring the node only those topics' events (see
// broker/nats). Follow is called by Subscribe before it returns and may
// block until the topics' events are on their way; Unfollow is called by
// Cancel and must not block. Each topic of a subscription is followed
// once per subscription, and unfollowed once when it is cancelled.
type Interest interface {
	Follow(topics []string)
	Unfollow(topics []string)
}

// Hub fans events out to subscribers. The zero value is not usable; call New.
type Hub struct {
	parts    []*partition
	next     atomic.Uint32
	subs     atomic.Int64 // live subscriptions, for metrics
	interest Interest     // nil: every event reaches the node anyway
	// lastEvent is when an event (not a signal) was last published, in
	// Unix nanoseconds.
	lastEvent atomic.Int64

	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
}

// Option configures a Hub.
type Option func(*Hub)

// WithPartitions sets the number of fan-out goroutines (default GOMAXPROCS).
func WithPartitions(n int) Option {
	return func(h *Hub) {
		if n > 0 {
			h.parts = make([]*partition, n)
		}
	}
}

// WithInterest reports the topics of subscriptions to i.
func WithInterest(i Interest) Option {
	return func(h *Hub) { h.interest = i }
}

// New starts a hub. Close stops it.
func New(opts ...Option) *Hub {
	h := &Hub{done: make(chan struct{})}
	for _, o := range opts {
		o(h)
	}
	if h.parts == nil {
		h.parts = make([]*partition, runtime.GOMAXPROCS(0))
	}
	for i := range h.parts {
		p := &partition{ops: make(chan op, 4096), rooms: make(map[string][]*Subscription)}
		h.parts[i] = p
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			p.run(h.done)
		}()
	}
	return h
}

// Subscription is one subscriber's membership of one or more rooms.
type Subscription struct {
	hub   *Hub
	part  *partition
	sub   Subscriber
	rooms []string

	cancelled atomic.Bool
}

// Subscribe adds s to rooms. Every event published after Subscribe returns,
// to any of rooms, is delivered to s until the subscription is cancelled.
// Subscribe after Close returns a cancelled subscription.
func (h *Hub) Subscribe(s Subscriber, rooms []string) *Subscription {
	p := h.parts[int(h.next.Add(1))%len(h.parts)]
	sub := &Subscription{hub: h, part: p, sub: s, rooms: append([]string(nil), rooms...)}
	if h.interest != nil {
		h.interest.Follow(sub.rooms)
	}
	if p.send(op{kind: opSubscribe, sub: sub}, h.done) {
		h.subs.Add(1)
		return sub
	}
	sub.cancelled.Store(true)
	if h.interest != nil {
		h.interest.Unfollow(sub.rooms)
	}
	return sub
}

// Cancel removes the subscription: no event is delivered to it once Cancel
// has returned. It never blocks, so it is safe to call from inside Deliver,
// and more than once.
func (s *Subscription) Cancel() {
	if s.cancelled.Swap(true) {
		return
	}
	s.hub.subs.Add(-1)
	if s.hub.interest != nil {
		s.hub.interest.Unfollow(s.rooms)
	}
	o := op{kind: opCancel, sub: s}
	select {
	case s.part.ops <- o:
	default:
		// The partition's queue is full (and Cancel may be running on the
		// partition goroutine itself): remove it later. The cancelled flag
		// already stops delivery.
		go s.part.send(o, s.hub.done)
	}
}

// Rooms returns the rooms of the subscription.
func (s *Subscription) Rooms() []string { return s.rooms }

// Publish hands ev to every subscriber of ev's room. It returns once the
// event is queued in every partition; delivery happens asynchronously, in
// publish order. Publish must not be called from Deliver.
func (h *Hub) Publish(ev *parley.Event) {
	if !ev.Signal() {
		h.lastEvent.Store(time.Now().UnixNano())
	}
	for _, p := range h.parts {
		p.send(op{kind: opEvent, ev: ev}, h.done)
	}
}

// PublishedWithin reports whether an event (not a signal) was published
// within the last d: live messages are flowing. Bulk work such as
// catch-ups (stream.Replayer.LimitRate) holds back while they do.
func (h *Hub) PublishedWithin(d time.Duration) bool {
	return time.Now().UnixNano()-h.lastEvent.Load() < int64(d)
}

// Disconnect cancels every subscription that follows topic and tells
// each subscriber that implements Revocable why, so that its connection
// ends. Events published before Disconnect may still be delivered; none
// published after it returns are. Connections follow credential topics
// (parley.SessionTopic and its kind) so that a revoked credential reaches
// every connection opened with it.
func (h *Hub) Disconnect(topic, reason string) {
	for _, p := range h.parts {
		p.send(op{kind: opDisconnect, topic: topic, reason: reason}, h.done)
	}
}

// Topics returns the topics with prefix that have at least one live
// subscription on this node, each once. The revocation sweep uses it to
// find the credentials that open connections hold.
func (h *Hub) Topics(prefix string) []string {
	seen := make(map[string]bool)
	for _, p := range h.parts {
		reply := make(chan []string, 1)
		if !p.send(op{kind: opTopics, topic: prefix, reply: reply}, h.done) {
			return nil
		}
		select {
		case list := <-reply:
			for _, t := range list {
				seen[t] = true
			}
		case <-h.done:
			return nil
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	return out
}

// Subscribers returns the number of live subscriptions.
func (h *Hub) Subscribers() int64 { return h.subs.Load() }

// Close stops the partitions. Subscribers get no more events; closing their
// connections is their owners' job.
func (h *Hub) Close() {
	h.closeOnce.Do(func() { close(h.done) })
	h.wg.Wait()
}

type opKind uint8

const (
	opEvent opKind = iota
	opSubscribe
	opCancel
	opDisconnect
	opTopics
)

type op struct {
	kind   opKind
	ev     *parley.Event
	sub    *Subscription
	topic  string        // opDisconnect: the topic; opTopics: the prefix
	reason string        // opDisconnect
	reply  chan []string // opTopics
}

// partition is one fan-out goroutine with the subscribers it owns.
type partition struct {
	ops chan op

	// owned by run, not safe for use elsewhere
	rooms map[string][]*Subscription
}

// send queues o, reporting false when the hub is closed.
func (p *partition) send(o op, done <-chan struct{}) bool {
	select {
	case <-done:
		return false
	default:
	}
	select {
	case p.ops <- o:
		return true
	case <-done:
		return false
	}
}

func (p *partition) run(done <-chan struct{}) {
	for {
		select {
		case o := <-p.ops:
			p.apply(o)
		case <-done:
			return
		}
	}
}

func (p *partition) apply(o op) {
	switch o.kind {
	case opEvent:
		if o.ev.Topic != "" {
			p.deliver(o.ev, o.ev.Topic) // a signal
			return
		}
		if o.ev.Revoke != "" {
			p.revoke(o.ev.Message.Room, parley.UserTopic(o.ev.Revoke))
		}
		p.deliver(o.ev, o.ev.Message.Room)
		for _, topic := range o.ev.Also {
			// A subscriber of several of the topics gets the event more
			// than once; transports drop IDs they have already sent.
			p.deliver(o.ev, topic)
		}
	case opSubscribe:
		if o.sub.cancelled.Load() {
			return
		}
		for _, r := range o.sub.rooms {
			if !contains(p.rooms[r], o.sub) {
				p.rooms[r] = append(p.rooms[r], o.sub)
			}
		}
	case opDisconnect:
		// Cancel queues the removal (it never mutates p.rooms here), so
		// ranging over the live slice is safe.
		for _, s := range p.rooms[o.topic] {
			if s.cancelled.Load() {
				continue
			}
			s.Cancel()
			if r, ok := s.sub.(Revocable); ok {
				r.Revoke(o.reason)
			}
		}
	case opTopics:
		var list []string
		for t, subs := range p.rooms {
			if strings.HasPrefix(t, o.topic) && len(subs) > 0 {
				list = append(list, t)
			}
		}
		o.reply <- list
	case opCancel:
		for _, r := range o.sub.rooms {
			p.rooms[r] = remove(p.rooms[r], o.sub)
			if len(p.rooms[r]) == 0 {
				delete(p.rooms, r)
			}
		}
	}
}

// revoke takes room away from the subscriptions that also follow
// userTopic: the streams of a user who lost access to room. A subscription
// keeps its Rooms (Cancel removing it from a room it is no longer in does
// nothing).
func (p *partition) revoke(room, userTopic string) {
	for _, s := range p.rooms[userTopic] {
		p.rooms[room] = remove(p.rooms[room], s)
	}
	if len(p.rooms[room]) == 0 {
		delete(p.rooms, room)
	}
}

func (p *partition) deliver(ev *parley.Event, topic string) {
	for _, s := range p.rooms[topic] {
		if !s.cancelled.Load() {
			s.sub.Deliver(ev)
		}
	}
}

func contains(list []*Subscription, s *Subscription) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// remove deletes s from list by swapping in the last element; order among
// subscribers does not matter.
func remove(list []*Subscription, s *Subscription) []*Subscription {
	for i, x := range list {
		if x == s {
			last := len(list) - 1
			list[i] = list[last]
			list[last] = nil
			return list[:last]
		}
	}
	return list
}
