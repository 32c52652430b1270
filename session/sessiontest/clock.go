// Package sessiontest provides a fake clock for tests of code built on
// package session: time moves only when the test says so, and timers fire
// in the test's goroutine, so a test never sleeps to see a lease run out.
package sessiontest

import (
	"sync"
	"time"

	"github.com/parley-chat/parley/session"
)

// Clock is a fake session.Clock. The zero value is not usable; call
// NewClock.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

var _ session.Clock = (*Clock)(nil)

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

type timer struct {
	c    *Clock
	when time.Time
	f    func()
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for d from now; it runs inside Advance.
func (c *Clock) AfterFunc(d time.Duration, f func()) session.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, when: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the clock forward by d, running every timer that comes
// due, in order of due time, in the caller's goroutine; timers scheduled
// by those calls run too when they fall due within d. When Advance
// returns, everything due has run.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		var next *timer
		idx := -1
		for i, t := range c.timers {
			if !t.when.After(end) && (next == nil || t.when.Before(next.when)) {
				next, idx = t, i
			}
		}
		if next == nil {
			break
		}
		c.timers = append(c.timers[:idx], c.timers[idx+1:]...)
		if next.when.After(c.now) {
			c.now = next.when
		}
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Pending returns the number of timers not yet run or stopped.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
