package connlimit

import (
	"testing"

	"github.com/parley-chat/parley"
)

func TestLimiterCapsPerClientAndInAll(t *testing.T) {
	l := New("event streams", 2, 3)
	r1, err := l.Acquire("192.0.2.1:1000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire("192.0.2.1:1001"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire("[::ffff:192.0.2.1]:1002"); parley.ErrorCode(err) != parley.ERateLimited {
		t.Errorf("third from one client (IPv4-mapped) = %v, want rate_limited", err)
	}
	if _, err := l.Acquire("[2001:db8::1]:1"); err != nil {
		t.Fatalf("another client refused: %v", err)
	}
	if _, err := l.Acquire("198.51.100.7:1"); parley.ErrorCode(err) != parley.EUnavailable {
		t.Errorf("past the total = %v, want unavailable", err)
	}
	r1()
	r1() // twice is harmless
	if got := l.Open(); got != 2 {
		t.Errorf("open = %d after one release, want 2", got)
	}
	if _, err := l.Acquire("192.0.2.1:1003"); err != nil {
		t.Errorf("after a release the client is admitted again: %v", err)
	}
	if _, err := l.Acquire("[2001:db8::2]:1"); parley.ErrorCode(err) != parley.EUnavailable {
		t.Errorf("full again = %v, want unavailable", err)
	}
	want := Stats{Open: 3, Opened: 4, Closed: 1, RefusedClient: 1, RefusedFull: 2}
	if got := l.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestNilLimiterAdmitsEverything(t *testing.T) {
	var l *Limiter
	release, err := l.Acquire("192.0.2.1:1")
	if err != nil {
		t.Fatal(err)
	}
	release()
}
