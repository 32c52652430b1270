package server

import (
	"sync"
	"time"
)

// rateWindow is how far back the console's messages per second look.
const rateWindow = 10 * time.Second

// postRate turns the count of accepted posts into messages per second over
// the last rateWindow, from samples taken when the figure is asked for (no
// goroutine of its own). The first answers, with no sample that old yet,
// average since the node started.
type postRate struct {
	count func() uint64

	mu      sync.Mutex
	samples []rateSample // oldest first; samples[0] is the base
}

type rateSample struct {
	at time.Time
	n  uint64
}

func newPostRate(count func() uint64, now time.Time) *postRate {
	return &postRate{count: count, samples: []rateSample{{now, count()}}}
}

func (p *postRate) perSecond(now time.Time) float64 {
	n := p.count()
	p.mu.Lock()
	defer p.mu.Unlock()
	if last := p.samples[len(p.samples)-1]; now.Sub(last.at) >= 250*time.Millisecond {
		p.samples = append(p.samples, rateSample{now, n})
	}
	// Keep as base the newest sample at least rateWindow old.
	for len(p.samples) > 1 && !p.samples[1].at.After(now.Add(-rateWindow)) {
		p.samples = p.samples[1:]
	}
	base := p.samples[0]
	secs := now.Sub(base.at).Seconds()
	if secs <= 0 || n < base.n {
		return 0
	}
	return float64(n-base.n) / secs
}

// figures are the console's live figures: open connections by transport
// and messages accepted per second.
func (s *Server) figures() (map[string]int, float64) {
	conns := make(map[string]int, len(s.conns))
	for transport, l := range s.conns {
		conns[transport] = l.Open()
	}
	return conns, s.rate.perSecond(time.Now())
}
