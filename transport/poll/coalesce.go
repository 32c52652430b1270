package poll

import (
	"context"
	"sync"
	"time"

	"github.com/parley-chat/parley"
)

// coalescer merges identical store reads of concurrent polls. After a
// message is published, every poller of a room answers and polls again,
// all at once and all with the same rooms and cursor: without merging,
// thousands of identical catch-up reads queue for the store's few read
// connections, and the next message waits behind them. Merged, one read
// answers everybody, and its events (so their JSON too) are shared.
//
// A poll joins only a read that has not started yet, never one in flight:
// that keeps the resume guarantee, because the read then starts after the
// poll's hub subscription, exactly as if the poll had read alone. So per
// key there is at most one read running and one batch waiting for it.
type coalescer struct {
	timeout time.Duration // bounds a read, which no single poll owns

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is the state of one key.
type flight struct {
	running bool
	next    *batch // waiting for the running read to finish; nil when none
}

// batch is one read and the polls waiting for it.
type batch struct {
	done chan struct{}
	evs  []*parley.Event // shared: read-only
	id   int64
	err  error
}

// readTimeout bounds a merged read.
const readTimeout = 10 * time.Second

type readFunc func(ctx context.Context) ([]*parley.Event, int64, error)

func newCoalescer(timeout time.Duration) *coalescer {
	return &coalescer{timeout: timeout, flights: make(map[string]*flight)}
}

// do runs read, or joins a batch of the same key that has not started,
// and returns the batch's result. Polls of one key must pass equivalent
// reads.
func (c *coalescer) do(ctx context.Context, key string, read readFunc) ([]*parley.Event, int64, error) {
	c.mu.Lock()
	f := c.flights[key]
	if f == nil {
		f = &flight{}
		c.flights[key] = f
	}
	b := f.next
	if b == nil {
		b = &batch{done: make(chan struct{})}
		f.next = b
	}
	lead := !f.running
	if lead {
		f.running = true
		f.next = nil // started: nobody joins it any more
	}
	c.mu.Unlock()

	if lead {
		c.run(key, f, b, read)
	}
	select {
	case <-b.done:
		return b.evs, b.id, b.err
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
}

// run performs b's read and hands the key on to the batch that gathered
// meanwhile, if any, in a new goroutine: the leader's own poll should not
// wait for it.
func (c *coalescer) run(key string, f *flight, b *batch, read readFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	b.evs, b.id, b.err = read(ctx)
	cancel()
	close(b.done)

	c.mu.Lock()
	next := f.next
	f.next = nil
	if next == nil {
		f.running = false
		delete(c.flights, key)
	}
	c.mu.Unlock()
	if next != nil {
		go c.run(key, f, next, read)
	}
}
