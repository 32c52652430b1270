package sse

import (
	"context"
	"sync"
	"time"
)

// registry tracks raw-mode streams so that they get heartbeats and are
// closed on shutdown. A sweeper goroutine visits each stream once per
// sweep interval; the visit is cheap unless the stream is due a heartbeat.
type registry struct {
	h *Handler

	mu     sync.Mutex
	conns  map[*rawConn]struct{}
	closed bool

	stop chan struct{}
	wg   sync.WaitGroup
}

func newRegistry(h *Handler) *registry {
	r := &registry{h: h, conns: make(map[*rawConn]struct{}), stop: make(chan struct{})}
	r.wg.Add(1)
	go r.sweep()
	return r
}

func (r *registry) add(c *rawConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *registry) remove(c *rawConn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

// snapshot copies the streams into buf, so they can be visited without
// holding r.mu (a stream's close takes r.mu).
func (r *registry) snapshot(buf []*rawConn) []*rawConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	buf = buf[:0]
	for c := range r.conns {
		buf = append(buf, c)
	}
	return buf
}

// closeAll ends every stream and stops the sweeper.
func (r *registry) closeAll() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	r.wg.Wait()
	for _, c := range r.snapshot(nil) {
		c.close()
	}
}

func (r *registry) sweep() {
	defer r.wg.Done()
	interval := max(r.h.cfg.Heartbeat/15, 10*time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	var buf []*rawConn
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			buf = r.snapshot(buf)
			for _, c := range buf {
				c.heartbeat(now, r.h.cfg.Heartbeat)
			}
			clear(buf)
		}
	}
}

// contextUntil returns a context that ends when done is closed or after
// timeout.
func contextUntil(done <-chan struct{}, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
