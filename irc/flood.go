package irc

import "time"

// flood is a token bucket over a client's lines: burst lines at once,
// refilled at rate per second. It is owned by the reader goroutine.
type flood struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newFlood(rate float64, burst int, now time.Time) *flood {
	return &flood{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes a token for one line, reporting false when the bucket is
// empty: the client has sent more than the burst beyond the rate.
func (f *flood) allow(now time.Time) bool {
	f.tokens = min(f.burst, f.tokens+now.Sub(f.last).Seconds()*f.rate)
	f.last = now
	if f.tokens < 1 {
		return false
	}
	f.tokens--
	return true
}
