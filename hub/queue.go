package hub

import (
	"sync"

	"github.com/parley-chat/parley"
)

// Queue is a bounded Subscriber for transports with a writer goroutine per
// connection (WebSocket, long-poll, HTTP/2 streams, IRC). Deliver appends
// to the queue and wakes the writer; it never blocks. When the queue is
// full, Queue drops every queued event and records an overflow instead of
// growing: the writer then catches up from the store by its cursor, so a
// slow client costs neither memory nor the other subscribers' time.
type Queue struct {
	max   int
	ready chan struct{} // capacity 1: "there is something to take"

	mu       sync.Mutex
	events   []*parley.Event
	overflow bool
	revoked  string // why the connection must end; "" while it may go on
}

// Revoke implements Revocable: queued events are dropped and the writer,
// woken, finds Revoked set and ends its connection.
func (q *Queue) Revoke(reason string) {
	if reason == "" {
		reason = "your credentials were revoked"
	}
	q.mu.Lock()
	q.revoked = reason
	clear(q.events)
	q.events = q.events[:0]
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Revoked returns why the connection must end, or "" if it need not. A
// writer checks it on every wake-up, before Take.
func (q *Queue) Revoked() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.revoked
}

// NewQueue returns a queue holding at most max events.
func NewQueue(max int) *Queue {
	if max < 1 {
		max = 1
	}
	return &Queue{max: max, ready: make(chan struct{}, 1)}
}

// Deliver implements Subscriber.
func (q *Queue) Deliver(ev *parley.Event) {
	q.mu.Lock()
	switch {
	case q.revoked != "":
	case q.overflow:
	case len(q.events) >= q.max:
		clear(q.events)
		q.events = q.events[:0]
		q.overflow = true
	default:
		q.events = append(q.events, ev)
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled after Deliver; a writer waits on it, then calls Take.
func (q *Queue) Ready() <-chan struct{} { return q.ready }

// Take moves the queued events into buf (reusing its storage) and returns
// them with overflowed set when events were dropped since the last Take.
// After an overflow the caller must re-read the store from its cursor.
func (q *Queue) Take(buf []*parley.Event) (events []*parley.Event, overflowed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf[:0], q.events...)
	clear(q.events)
	q.events = q.events[:0]
	overflowed, q.overflow = q.overflow, false
	return buf, overflowed
}
