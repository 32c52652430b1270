package chat

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newRateLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if !l.allow("a") {
			t.Fatalf("burst message %d refused", i)
		}
	}
	if l.allow("a") {
		t.Fatal("fourth message in the same instant allowed; burst is 3")
	}
	if !l.allow("b") {
		t.Fatal("another client was limited by the first one's bucket")
	}
	now = now.Add(500 * time.Millisecond) // refills one token at 2/s
	if !l.allow("a") || l.allow("a") {
		t.Fatal("after 0.5 s exactly one more message should pass")
	}
	now = now.Add(time.Hour)
	l.allow("c") // triggers a sweep
	if _, ok := l.buckets["a"]; ok {
		t.Error("idle bucket not swept")
	}
	if off := newRateLimiter(0, 0, time.Now); !off.allow("x") {
		t.Error("rate 0 should mean unlimited")
	}
}
