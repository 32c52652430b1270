package auth

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when the test says so.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestLimiter(cfg LimiterConfig) (*LoginLimiter, *fakeClock) {
	clk := &fakeClock{now: t0}
	cfg.Now = clk.Now
	return NewLoginLimiter(cfg), clk
}

func wantAllow(t *testing.T, l *LoginLimiter, step string, wantOK bool, wantWait time.Duration, keys ...string) {
	t.Helper()
	ok, wait := l.Allow(keys...)
	if ok != wantOK || wait != wantWait {
		t.Fatalf("%s: Allow(%v) = %v, %v; want %v, %v", step, keys, ok, wait, wantOK, wantWait)
	}
}

// Per account: the 5th failure locks for 1 min, then 2, 4, 8, 16, 30, 30.
func TestLimiterUserLockout(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	u := UserKey("ada")
	for i := 1; i <= 4; i++ {
		wantAllow(t, l, fmt.Sprintf("before failure %d", i), true, 0, u)
		l.Fail(u)
		clk.Advance(10 * time.Second) // stay clear of the attempt limit
	}
	wantAllow(t, l, "before failure 5", true, 0, u)
	l.Fail(u)
	for _, lock := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
		lock *= time.Minute
		wantAllow(t, l, "locked", false, lock, u)
		clk.Advance(lock - time.Second)
		wantAllow(t, l, "one second before the end", false, time.Second, u)
		clk.Advance(time.Second)
		wantAllow(t, l, "unlocked", true, 0, u)
		l.Fail(u)
	}
	// Other accounts are unaffected.
	wantAllow(t, l, "another user", true, 0, UserKey("bob"))
	// Names fold case, as account names do.
	wantAllow(t, l, "same user, other case", false, 30*time.Minute, UserKey("ADA"))
}

func TestLimiterForget(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	u := UserKey("ada")
	for range 4 {
		l.Fail(u)
	}
	clk.Advance(15*time.Minute - time.Second)
	l.Fail(u) // the 5th, within 15 min of the 4th
	wantAllow(t, l, "5th failure within the window", false, time.Minute, u)

	// After a lockout, 15 quiet minutes after it ended forget everything.
	clk.Advance(time.Minute + 15*time.Minute)
	for i := 1; i <= 4; i++ {
		l.Fail(u)
		wantAllow(t, l, fmt.Sprintf("fresh failure %d", i), true, 0, u)
		clk.Advance(10 * time.Second)
	}
	l.Fail(u)
	wantAllow(t, l, "5th fresh failure", false, time.Minute, u)

	// Short of the quiet time, failures keep counting: the 6th locks 2 min.
	clk.Advance(time.Minute + 14*time.Minute)
	l.Fail(u)
	wantAllow(t, l, "6th failure", false, 2*time.Minute, u)
}

func TestLimiterSucceed(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{IP: LimitPolicy{Failures: 3}})
	ip, u := IPKey(netip.MustParseAddr("192.0.2.7")), UserKey("ada")
	for range 4 {
		l.Fail(u)
	}
	l.Fail(ip)
	l.Fail(ip)
	l.Succeed(ip, u)
	// The account's failures are gone: four more are free.
	for i := range 4 {
		clk.Advance(10 * time.Second)
		wantAllow(t, l, fmt.Sprintf("user failure %d after success", i+1), true, 0, u)
		l.Fail(u)
	}
	// The address's are not: one more failure reaches its 3.
	l.Fail(ip)
	wantAllow(t, l, "address after success", false, time.Minute, ip)
	// Succeed on unknown keys is harmless.
	l.Succeed("user:nobody", "ip:203.0.113.1")
}

func TestLimiterAttempts(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	ip := IPKey(netip.MustParseAddr("192.0.2.7"))
	for i := range 20 {
		wantAllow(t, l, fmt.Sprintf("attempt %d", i+1), true, 0, ip)
	}
	wantAllow(t, l, "attempt 21", false, 3*time.Second, ip)
	clk.Advance(time.Second)
	wantAllow(t, l, "a second later", false, 2*time.Second, ip)
	clk.Advance(2 * time.Second)
	wantAllow(t, l, "one earned back", true, 0, ip)
	wantAllow(t, l, "and only one", false, 3*time.Second, ip)
	clk.Advance(time.Minute)
	for i := range 20 {
		wantAllow(t, l, fmt.Sprintf("after a minute, attempt %d", i+1), true, 0, ip)
	}
	wantAllow(t, l, "bucket holds no more than Burst", false, 3*time.Second, ip)

	// Per account: 10 at once, then one per 6 s.
	u := UserKey("ada")
	for range 10 {
		wantAllow(t, l, "user attempt", true, 0, u)
	}
	wantAllow(t, l, "user attempt 11", false, 6*time.Second, u)
}

// A refused Allow counts nothing, and the longest wait wins.
func TestLimiterAllowAllOrNothing(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	ip := IPKey(netip.MustParseAddr("192.0.2.7"))
	u := UserKey("ada")
	for range 5 {
		l.Fail(u)
	}
	for range 100 {
		wantAllow(t, l, "locked user", false, time.Minute, ip, u)
	}
	// The 100 refusals took nothing from the address's bucket.
	for range 20 {
		wantAllow(t, l, "address alone", true, 0, ip)
	}
	wantAllow(t, l, "both: the lockout is longer", false, time.Minute, ip, u)
	clk.Advance(time.Minute)
	wantAllow(t, l, "both: the bucket is full again", true, 0, ip, u)
}

func TestLimiterDisabled(t *testing.T) {
	off := LimitPolicy{Burst: -1, Failures: -1}
	l, _ := newTestLimiter(LimiterConfig{IP: off, User: off})
	keys := []string{IPKey(netip.MustParseAddr("192.0.2.7")), UserKey("ada")}
	for range 1000 {
		wantAllow(t, l, "disabled", true, 0, keys...)
		l.Fail(keys...)
	}
	if n := l.Len(); n != 0 {
		t.Errorf("Len = %d with every limit off; want 0", n)
	}
}

func TestLimiterConfig(t *testing.T) {
	l := NewLoginLimiter(LimiterConfig{User: LimitPolicy{Failures: 2, Lockout: time.Hour, MaxLockout: time.Minute}})
	if l.user.MaxLockout != time.Hour {
		t.Errorf("MaxLockout below Lockout: got %v; want it raised to %v", l.user.MaxLockout, time.Hour)
	}
	if l.user.Failures != 2 || l.user.Burst != 10 || l.user.Every != 6*time.Second || l.user.Forget != 15*time.Minute {
		t.Errorf("user policy %+v: want Failures 2 and defaults elsewhere", l.user)
	}
	if l.ip != defaultIPPolicy || l.max != DefaultMaxKeys || l.now == nil {
		t.Errorf("defaults not applied: %+v, max %d", l.ip, l.max)
	}
}

func TestLimiterSweep(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{})
	for i := range 100 {
		l.Allow(UserKey(fmt.Sprint("attempt", i)))
		l.Fail(UserKey(fmt.Sprint("fail", i)))
	}
	for range 5 {
		l.Fail(UserKey("locked"))
	}
	if n := l.Len(); n != 201 {
		t.Fatalf("Len = %d; want 201", n)
	}
	clk.Advance(sweepEvery)
	l.Allow() // sweeps: the buckets are full again, failures are recent
	if n := l.Len(); n != 101 {
		t.Fatalf("after a minute: Len = %d; want 101 (failures and the lockout remain)", n)
	}
	clk.Advance(14 * time.Minute)
	l.Allow()
	if n := l.Len(); n != 1 {
		t.Fatalf("after 15 minutes: Len = %d; want 1 (the lockout ended only 14 minutes ago)", n)
	}
	clk.Advance(time.Minute)
	l.Allow()
	if n := l.Len(); n != 0 {
		t.Fatalf("after 16 minutes: Len = %d; want 0", n)
	}
}

// Memory stays bounded under a flood of new keys, and evictions spare a
// locked-out key.
func TestLimiterBounded(t *testing.T) {
	l, clk := newTestLimiter(LimiterConfig{MaxKeys: 100})
	victim := UserKey("ada")
	for range 5 {
		l.Fail(victim)
	}
	for i := range 10_000 {
		l.Allow(IPKey(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})))
		l.Fail(UserKey(fmt.Sprint("u", i)))
		if i%1000 == 0 {
			clk.Advance(time.Millisecond)
		}
	}
	if n := l.Len(); n > 100 {
		t.Errorf("Len = %d; want at most MaxKeys, 100", n)
	}
	if ok, _ := l.Allow(victim); ok {
		t.Error("the locked-out key was evicted by the flood")
	}
}

func TestIPKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.7", "::ffff:192.0.2.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"fe80::1%eth0", "fe80::1"},
	} {
		if ka, kb := IPKey(netip.MustParseAddr(tc.a)), IPKey(netip.MustParseAddr(tc.b)); ka != kb {
			t.Errorf("IPKey(%s) = %q, IPKey(%s) = %q; want equal", tc.a, ka, tc.b, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.7", "192.0.2.8"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
	} {
		if ka, kb := IPKey(netip.MustParseAddr(tc.a)), IPKey(netip.MustParseAddr(tc.b)); ka == kb {
			t.Errorf("IPKey(%s) = IPKey(%s) = %q; want different", tc.a, tc.b, ka)
		}
	}
	if k := IPKey(netip.MustParseAddr("2001:db8:1:2::1")); k != "ip:2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %q", k)
	}
	if k := IPKey(netip.MustParseAddr("192.0.2.7")); k != "ip:192.0.2.7" {
		t.Errorf("IPv4 key %q", k)
	}
	if k := IPKey(netip.Addr{}); !strings.HasPrefix(k, "ip:") {
		t.Errorf("zero address key %q", k)
	}
}

func TestUserKey(t *testing.T) {
	if UserKey("Ada") != UserKey("ADA") || UserKey("ada") == UserKey("bob") {
		t.Error("UserKey does not fold case")
	}
	if UserKey("ip:1.2.3.4") == "ip:1.2.3.4" || isIPKey(UserKey("ip:1.2.3.4")) {
		t.Error("a user name can pose as an IP key")
	}
	if k := UserKey(strings.Repeat("x", 10_000)); len(k) > 200 {
		t.Errorf("UserKey of a long name is %d bytes", len(k))
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := NewLoginLimiter(LimiterConfig{MaxKeys: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				keys := []string{IPKey(netip.AddrFrom4([4]byte{10, 0, byte(g), byte(i)})), UserKey(fmt.Sprint("u", i%20))}
				if ok, _ := l.Allow(keys...); ok {
					if i%3 == 0 {
						l.Succeed(keys...)
					} else {
						l.Fail(keys...)
					}
				}
				_ = l.Len()
			}
		})
	}
	wg.Wait()
	if n := l.Len(); n > 50 {
		t.Errorf("Len = %d; want at most 50", n)
	}
}
