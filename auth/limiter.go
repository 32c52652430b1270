package auth

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// LimitPolicy is how a LoginLimiter treats one kind of key. It combines
// two limits, each of which can be switched off:
//
//   - attempts: a token bucket of Burst attempts, refilled at one per
//     Every. It bounds the work (argon2 hashing) a key can cause, whether
//     its attempts succeed or not.
//   - failures: once a key has failed Failures times, that failure and
//     each further one lock the key, for Lockout the first time, doubling
//     each time up to MaxLockout. Failures are forgotten when none has
//     happened for Forget since the last one and its lockout.
type LimitPolicy struct {
	Burst      int           // < 0: no attempt limit
	Every      time.Duration // time to earn back one attempt
	Failures   int           // < 0: no lockouts
	Lockout    time.Duration // first lockout
	MaxLockout time.Duration // longest lockout
	Forget     time.Duration // failures are forgotten after this long without one
}

// The default policies; zero fields of a configured policy take their
// values.
//
// Per account and address (UserKey, or the pair LoginKeys makes): 10
// attempts at once, then one every 6 s; the 5th failure locks the account
// from that address for 1 min, the 6th for 2, then 4, 8, 16 and 30 min at
// most; 15 quiet minutes after the last failure and its lockout forget it
// all. Because the lockout is per address, an attacker who knows a name
// locks only their own address out of it; the account-wide policy below
// bounds guessing from many addresses. A successful login clears the
// pair's failures.
//
// Per address (IPKey: an IPv4 address or an IPv6 /64): 20 attempts at
// once, then 20 a minute; the 50th failure locks the address for 1 min,
// doubling up to 1 h; forgotten after 1 quiet hour. Successes never clear
// an address's failures, so one valid account cannot launder them. Many
// users behind one NAT may need a larger Burst.
var (
	defaultUserPolicy = LimitPolicy{Burst: 10, Every: 6 * time.Second, Failures: 5, Lockout: time.Minute, MaxLockout: 30 * time.Minute, Forget: 15 * time.Minute}
	defaultIPPolicy   = LimitPolicy{Burst: 20, Every: 3 * time.Second, Failures: 50, Lockout: time.Minute, MaxLockout: time.Hour, Forget: time.Hour}
	// Per account from every address together (AccountKey): 50 attempts
	// at once, then 50 an hour, and no lockout. It bounds guessing spread
	// over many addresses without handing anyone a way to lock an owner
	// out: lockouts are per account *and* address (LoginKeys).
	defaultAccountPolicy = LimitPolicy{Burst: 50, Every: 72 * time.Second, Failures: -1}
)

// DefaultMaxKeys bounds the keys a LoginLimiter remembers (about 100
// bytes each).
const DefaultMaxKeys = 100_000

// LimiterConfig configures a LoginLimiter. Zero fields take the defaults.
type LimiterConfig struct {
	IP      LimitPolicy // for keys made by IPKey (starting "ip:")
	Account LimitPolicy // for keys made by AccountKey (starting "acct:")
	User    LimitPolicy // for every other key, such as those made by UserKey
	MaxKeys int
	// Now is the clock; time.Now by default. Tests pass a fake one.
	Now func() time.Time
}

// A call sweeps forgotten keys away at most once every sweepEvery, or
// every fullSweepEvery when the limiter is full.
const (
	sweepEvery     = time.Minute
	fullSweepEvery = time.Second
)

// LoginLimiter slows down password guessing, per key: a client address
// and, separately, an account name (see IPKey and UserKey). It is safe
// for concurrent use, starts no goroutines, and remembers at most MaxKeys
// keys: keys with nothing left to remember are swept at most once a
// minute, during calls, and when it is full anyway it forgets a key that
// is not locked out (or, failing that, any key) to make room. An attacker
// with enough addresses can so flush lockouts, but memory stays bounded.
type LoginLimiter struct {
	ip, user, acct LimitPolicy
	max            int
	now            func() time.Time

	mu        sync.Mutex // guards everything below
	keys      map[string]*limitEntry
	lastSweep time.Time
}

// limitEntry is what the limiter remembers of one key.
type limitEntry struct {
	tat      time.Time // token bucket as GCRA: the bucket is full once tat <= now
	fails    int       // failures not yet forgiven
	lastFail time.Time
	until    time.Time // locked out until then
}

// NewLoginLimiter returns a limiter.
func NewLoginLimiter(cfg LimiterConfig) *LoginLimiter {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &LoginLimiter{
		ip:   cfg.IP.withDefaults(defaultIPPolicy),
		user: cfg.User.withDefaults(defaultUserPolicy),
		acct: cfg.Account.withDefaults(defaultAccountPolicy),
		max:  cfg.MaxKeys,
		now:  cfg.Now,
		keys: make(map[string]*limitEntry),
	}
}

func (p LimitPolicy) withDefaults(d LimitPolicy) LimitPolicy {
	if p.Burst == 0 {
		p.Burst = d.Burst
	}
	if p.Every <= 0 {
		p.Every = d.Every
	}
	if p.Failures == 0 {
		p.Failures = d.Failures
	}
	if p.Lockout <= 0 {
		p.Lockout = d.Lockout
	}
	if p.MaxLockout <= 0 {
		p.MaxLockout = d.MaxLockout
	}
	if p.MaxLockout < p.Lockout {
		p.MaxLockout = p.Lockout
	}
	if p.Forget <= 0 {
		p.Forget = d.Forget
	}
	return p
}

// IPKey returns the limiter key of a client address. IPv6 addresses are
// grouped by /64, the block one subscriber usually gets, so a client
// cannot escape the limit by changing addresses within it.
func IPKey(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + addr.String()
}

// UserKey returns the limiter key of an account name, case-folded like
// account names are. It is bounded in length, so any string the client
// sends is safe to pass.
func UserKey(name string) string {
	name = strings.ToLower(name)
	if len(name) > 128 {
		name = name[:128]
	}
	return "user:" + name
}

// AccountKey is the key of an account's login attempts from every
// address together (case-insensitive).
func AccountKey(name string) string { return "acct:" + strings.TrimPrefix(UserKey(name), "user:") }

// LoginKeys are the keys of a login to account name from addr: the
// address (every account), the account from that address (which locks
// out after repeated failures), and the account from everywhere (a
// looser bound on attempts, never a lockout). An attacker's failures thus
// lock the attacker's address out of the account, not its owner, who
// logs in from another; and an attacker cannot tell from a lockout which
// names exist, since unknown names are limited alike.
func LoginKeys(name string, addr netip.Addr) []string {
	ip := IPKey(addr)
	return []string{ip, UserKey(name) + "|" + ip, AccountKey(name)}
}

func isIPKey(key string) bool { return strings.HasPrefix(key, "ip:") }

func (l *LoginLimiter) policy(key string) *LimitPolicy {
	switch {
	case isIPKey(key):
		return &l.ip
	case strings.HasPrefix(key, "acct:"):
		return &l.acct
	}
	return &l.user
}

// Allow reports whether a login attempt by all of keys may go ahead. If
// it may, the attempt is counted against each key's attempt limit; if
// not, nothing is counted, and retryAfter says how long to wait before
// asking again (the longest wait among the keys). Call it before checking
// the password, and then Fail or Succeed with the same keys.
func (l *LoginLimiter) Allow(keys ...string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.maybeSweep(now)
	for _, k := range keys {
		e := l.keys[k]
		if e == nil {
			continue // a new key has a full bucket and no failures
		}
		p := l.policy(k)
		if now.Before(e.until) {
			retryAfter = max(retryAfter, e.until.Sub(now))
		}
		if p.Burst > 0 && e.tat.After(now) {
			// The attempt would move tat to tat+Every; more than Burst
			// attempts ahead of now is too many.
			if wait := e.tat.Sub(now) + p.Every - time.Duration(p.Burst)*p.Every; wait > 0 {
				retryAfter = max(retryAfter, wait)
			}
		}
	}
	if retryAfter > 0 {
		return false, retryAfter
	}
	for _, k := range keys {
		p := l.policy(k)
		if p.Burst <= 0 {
			continue
		}
		e := l.entry(k, now)
		e.tat = later(e.tat, now).Add(p.Every)
	}
	return true, 0
}

// Fail records a failed attempt (a wrong password, or an unknown user)
// against each key.
func (l *LoginLimiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.maybeSweep(now)
	for _, k := range keys {
		p := l.policy(k)
		if p.Failures <= 0 {
			continue
		}
		e := l.entry(k, now)
		if e.fails > 0 && now.Sub(later(e.lastFail, e.until)) >= p.Forget {
			e.fails = 0
		}
		e.fails++
		e.lastFail = now
		if n := e.fails - p.Failures; n >= 0 {
			e.until = now.Add(lockout(p, n))
		}
	}
}

// lockout returns the n-th (from 0) lockout of policy p.
func lockout(p *LimitPolicy, n int) time.Duration {
	d := p.Lockout
	for ; n > 0 && d < p.MaxLockout; n-- {
		d *= 2
	}
	return min(d, p.MaxLockout)
}

// Succeed records a successful login: it forgets the failures of each
// account key. The failures of IP keys stay, so that logging in to one
// valid account cannot wipe out an address's guessing record.
func (l *LoginLimiter) Succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if isIPKey(k) {
			continue
		}
		if e := l.keys[k]; e != nil {
			e.fails, e.lastFail, e.until = 0, time.Time{}, time.Time{}
		}
	}
}

// Len returns the number of keys remembered.
func (l *LoginLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// entry returns the entry of key k, creating it, making room if the
// limiter is full. l.mu must be held.
func (l *LoginLimiter) entry(k string, now time.Time) *limitEntry {
	if e := l.keys[k]; e != nil {
		return e
	}
	if len(l.keys) >= l.max && now.Sub(l.lastSweep) >= fullSweepEvery {
		l.sweep(now)
	}
	if len(l.keys) >= l.max {
		l.evict(now)
	}
	e := &limitEntry{}
	l.keys[k] = e
	return e
}

// evict forgets one key, preferring one that is not locked out among a
// few taken in the map's random order. l.mu must be held.
func (l *LoginLimiter) evict(now time.Time) {
	var victim string
	seen := 0
	for k, e := range l.keys {
		if !now.Before(e.until) {
			victim = k
			break
		}
		if seen == 0 {
			victim = k
		}
		if seen++; seen == 16 {
			break
		}
	}
	delete(l.keys, victim)
}

func (l *LoginLimiter) maybeSweep(now time.Time) {
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
}

// sweep forgets every key with nothing left to remember: a full bucket,
// no lockout, and no failures, or failures old enough to be forgiven.
// l.mu must be held.
func (l *LoginLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, e := range l.keys {
		p := l.policy(k)
		if now.Before(e.tat) || now.Before(e.until) {
			continue
		}
		if e.fails > 0 && now.Sub(later(e.lastFail, e.until)) < p.Forget {
			continue
		}
		delete(l.keys, k)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
