package poll

import (
	"context"
	"sync"
)

// gauge is a counter that can be waited on. A watch channel exists only
// while somebody waits, so the counter costs a mutex and no allocation on
// the poll path.
type gauge struct {
	mu    sync.Mutex
	n     int
	watch chan struct{} // closed and cleared on every change; nil when nobody waits
}

func (g *gauge) add(d int) {
	g.mu.Lock()
	g.n += d
	if g.watch != nil {
		close(g.watch)
		g.watch = nil
	}
	g.mu.Unlock()
}

func (g *gauge) value() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// await blocks until cond holds for the counter, or ctx ends.
func (g *gauge) await(ctx context.Context, cond func(int) bool) error {
	for {
		g.mu.Lock()
		if cond(g.n) {
			g.mu.Unlock()
			return nil
		}
		if g.watch == nil {
			g.watch = make(chan struct{})
		}
		w := g.watch
		g.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
