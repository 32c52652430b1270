package chat

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per client key. Idle buckets are swept so
// memory stays bounded by the number of recently active clients.
type rateLimiter struct {
	rate  float64 // tokens per second; 0 disables limiting
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	if burst <= 0 {
		burst = int(2*rate + 0.5)
		if burst < 1 {
			burst = 1
		}
	}
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// allow takes one token from key's bucket, reporting whether there was one.
func (l *rateLimiter) allow(key string) bool { return l.allowN(key, 1) }

// allowN takes n tokens from key's bucket at once, or none: it reports
// whether there were n. More than the burst are never there.
func (l *rateLimiter) allowN(key string, n int) bool {
	if l.rate <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// sweep drops buckets that have refilled completely; they are equivalent
// to a fresh bucket.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
}
