package server

import (
	"testing"
	"time"
)

func TestPostRateLooksBackOverTheWindow(t *testing.T) {
	var n uint64
	t0 := time.Unix(1000, 0)
	p := newPostRate(func() uint64 { return n }, t0)
	n = 50
	if got := p.perSecond(t0.Add(5 * time.Second)); got != 10 {
		t.Errorf("50 posts in the first 5 s: %v/s, want 10", got)
	}
	n = 150
	if got := p.perSecond(t0.Add(20 * time.Second)); got != 100.0/15 {
		t.Errorf("100 more by 20 s, base at 5 s: %v/s, want %v", got, 100.0/15)
	}
	// Idle: the rate falls to zero once the window has passed.
	p.perSecond(t0.Add(31 * time.Second))
	if got := p.perSecond(t0.Add(42 * time.Second)); got != 0 {
		t.Errorf("no posts for 22 s: %v/s, want 0", got)
	}
}
