package stream

import "sync/atomic"

// Counters count what one transport delivers, for metrics. They are
// plain atomic counters, read when metrics are scraped, so delivery pays
// one atomic add. Safe for concurrent use; a nil *Counters counts nothing.
type Counters struct {
	delivered atomic.Uint64
	overflows atomic.Uint64
	cutOff    atomic.Uint64
}

// Delivered counts n events sent to a client (replayed or live).
func (c *Counters) Delivered(n int) {
	if c != nil && n > 0 {
		c.delivered.Add(uint64(n))
	}
}

// Overflowed counts a subscriber whose queue filled up: its events were
// dropped and it reads them again from the store.
func (c *Counters) Overflowed() {
	if c != nil {
		c.overflows.Add(1)
	}
}

// CutOff counts a client disconnected for being too slow to take what it
// was sent (it resumes from its cursor when it reconnects).
func (c *Counters) CutOff() {
	if c != nil {
		c.cutOff.Add(1)
	}
}

// CountersSnapshot is what Counters hold at one moment.
type CountersSnapshot struct {
	Delivered, Overflows, CutOff uint64
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() CountersSnapshot {
	if c == nil {
		return CountersSnapshot{}
	}
	return CountersSnapshot{Delivered: c.delivered.Load(), Overflows: c.overflows.Load(), CutOff: c.cutOff.Load()}
}
